// The fanout service's own HTTP server (node:http): the API's two timeline routes, authenticated
// by the function it is given (the control plane's `authenticate`), nothing else.
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { TimelineStreams } from './sse.js';
import { problem, sendProblem } from './sse.js';
import type { TimelinePrincipal } from './types.js';

/** Resolves the `Authorization` header to a principal; undefined when absent, unknown, revoked or expired. */
export type Authenticate = (
  authorization: string | undefined,
) => Promise<TimelinePrincipal | undefined>;

const RUN_TIMELINE = /^\/v1\/runs\/([^/]+)\/timeline$/;

/** A request listener for `GET /v1/runs/:runId/timeline` and `GET /v1/timeline`. */
export function timelineRequestListener(streams: TimelineStreams, authenticate: Authenticate) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    void handle(streams, authenticate, req, res).catch((err: unknown) => {
      sendProblem(res, problem(503, 'UNAVAILABLE', `the timeline failed: ${String(err)}`));
    });
  };
}

async function handle(
  streams: TimelineStreams,
  authenticate: Authenticate,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  const run = RUN_TIMELINE.exec(path);
  if (!run && path !== '/v1/timeline') {
    sendProblem(
      res,
      problem(
        404,
        'NOT_FOUND',
        `no route ${path} here (the fanout serves /v1/runs/{runId}/timeline and /v1/timeline)`,
      ),
    );
    return;
  }
  if (req.method !== 'GET') {
    sendProblem(res, problem(405, 'METHOD_NOT_ALLOWED', `${req.method} ${path}: only GET`), {
      allow: 'GET',
    });
    return;
  }
  let runId: string | undefined;
  if (run) {
    try {
      runId = decodeURIComponent(run[1]!);
    } catch {
      sendProblem(
        res,
        problem(400, 'BAD_REQUEST', 'the timeline request is invalid', [
          { code: 'BAD_RUN_ID', path: 'path/runId', message: 'is not valid percent-encoding' },
        ]),
      );
      return;
    }
  }
  const principal = await authenticate(req.headers.authorization);
  if (!principal) {
    sendProblem(
      res,
      problem(
        401,
        'UNAUTHENTICATED',
        'a valid bearer token is required (Authorization: Bearer aob_…)',
      ),
      { 'www-authenticate': 'Bearer' },
    );
    return;
  }
  // The operation table's rule (auth/operations.ts: followTimeline and followNamespace are not
  // open to job tokens), applied here too: this server authenticates on its own.
  if (principal.runId !== undefined) {
    sendProblem(
      res,
      problem(
        403,
        'FORBIDDEN',
        `timelines are not open to a job token: ${principal.subject}'s token is scoped to run ${principal.runId}`,
      ),
    );
    return;
  }
  const authorization = req.headers.authorization ?? '';
  await streams.serve(req, res, principal, runId, {
    key: authorization,
    valid: async () => (await authenticate(authorization)) !== undefined,
  });
}

/** Listens on `port` (0: any free one) on every interface; resolves once bound. */
export async function listenTimelines(
  streams: TimelineStreams,
  authenticate: Authenticate,
  port: number,
  host = '0.0.0.0',
): Promise<Server> {
  const server = createServer(timelineRequestListener(streams, authenticate));
  // SSE connections are long-lived: no request timeout, and keep-alive sockets may idle.
  server.requestTimeout = 0;
  server.headersTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}
