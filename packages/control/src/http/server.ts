// The REST + SSE API (ARCHITECTURE §7) on fastify. Every route comes from the OpenAPI document: its
// request schemas validate bodies, path and query parameters (every invalid field named), and its
// operationId picks the handler and the authorisation rule. Order of checks, so that nothing
// leaks to those who may not see it: token (401) → role (403) → request shape (400) → namespace
// and resource (404/409, in the ControlPlane). Nothing is persisted from a request that fails.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import Fastify from 'fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { Ajv } from 'ajv';
import type { ValidateFunction } from 'ajv';
import type { Problem } from '@aob/core';
import type { TokenStore } from '@aob/store';
import type { ControlPlane } from '../control-plane.js';
import type { Operation, Principal } from '../auth/index.js';
import { OPERATIONS, authenticate } from '../auth/index.js';
import type { TimelineStreams } from '../fanout/index.js';
import type { ApiRoute } from './openapi.js';
import { apiRoutes, fastifyPath, inlineRefs, parametersSchema } from './openapi.js';
import { answerClientError } from './client-errors.js';
import { isCanvasRoute, sendCanvasIndex, serveCanvas } from './canvas.js';
import { frameworkProblem, isFrameworkError } from './framework-errors.js';
import { parseJsonBody } from './json-body.js';
import { schemaProblem } from './schema-problems.js';
import type { McpHttpOptions } from '../mcp/http.js';
import { registerMcpRoutes } from '../mcp/http.js';
import { problem, problemOf } from './problem.js';
import type { ProblemBody } from './problem.js';
import { DRAFT_FEED_OPERATION, HANDLERS, TIMELINE_OPERATIONS } from './routes.js';
import { DraftFeeds } from './draft-feed.js';
import type { DraftFeedOptions } from './draft-feed.js';

export interface ApiServerOptions {
  plane: ControlPlane;
  tokens: TokenStore;
  /** Serves the two timeline routes (the fanout hub, in this process). */
  timelines: TimelineStreams;
  /** The largest request body read (default 1 MiB); larger ones get 413. */
  maxBodyBytes?: number;
  /** The drafts' live feeds (GET /v1/drafts/{draftId}/feed): heartbeats, token checks. */
  draftFeed?: DraftFeedOptions;
  /** Checks every response against the document (tests): a mismatch becomes a 500. */
  validateResponses?: boolean;
  /** The built canvas (apps/canvas/dist), served at / beside the API; absent: API only. */
  canvasRoot?: string;
  /** Serves aob's MCP server on Streamable HTTP at /mcp (its version and host rules). */
  mcp?: Omit<McpHttpOptions, 'plane' | 'tokens'>;
  /**
   * Serves GET /metrics with this handler (`aob dev`: the process's Prometheus text), without a
   * token — so to loopback clients only, 403 to any other. The cluster's services serve their
   * metrics on their health port instead, never on the API's.
   */
  metrics?: (req: IncomingMessage, res: ServerResponse) => void;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

export async function createApiServer(opts: ApiServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: false,
    bodyLimit: opts.maxBodyBytes ?? 1_048_576,
    // Ids in paths may be long (run ids, workflow refs); the default 100 is too short.
    routerOptions: { maxParamLength: 500 },
    // Errors the router raises before any route (a URL it cannot decode, a parameter too long)
    // answer like the rest: problem+json with this API's code.
    // Requests Node's parser refuses (and a missing Host, checked below) answer the same way.
    clientErrorHandler: answerClientError,
    http: { requireHostHeader: false },
    frameworkErrors: (err, req, reply) => {
      const body = frameworkProblem(err);
      void (reply as FastifyReply)
        .code(body.status)
        .type('application/problem+json')
        .send({ ...body, instance: req.url.slice(0, 200) });
    },
  });
  const responses = opts.validateResponses ? responseValidators() : undefined;
  const draftFeeds = new DraftFeeds(opts.plane, opts.draftFeed);
  app.addHook('preClose', async () => draftFeeds.close());
  // Bodies are JSON only: anything else is 415, not a string to validate.
  app.removeContentTypeParser('text/plain');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, text, done) => {
    const parsed = parseJsonBody(text as string);
    if ('problem' in parsed) done(new HttpProblem(parsed.problem), undefined);
    else done(null, parsed.value);
  });
  // Query and path parameters arrive as text and are coerced to their declared types; a body is
  // JSON and is taken exactly as sent (42 is no string). Every error is reported, none removed.
  const bodies = new Ajv({
    allErrors: true,
    coerceTypes: false,
    removeAdditional: false,
    strict: false,
  });
  const parameters = new Ajv({
    allErrors: true,
    coerceTypes: 'array',
    removeAdditional: false,
    strict: false,
  });
  app.setValidatorCompiler(({ schema, httpPart }) =>
    (httpPart === 'body' ? bodies : parameters).compile(schema),
  );

  // HTTP/1.1 requires Host (RFC 9112 §3.2); Node's own refusal would be an empty 400.
  app.addHook('onRequest', async (req) => {
    if (req.raw.httpVersion === '1.1' && req.headers.host === undefined) {
      throw new HttpProblem(
        problem(400, 'BAD_REQUEST', 'an HTTP/1.1 request must carry a Host header', [
          { code: 'REQUIRED', path: 'headers/host', message: 'is missing' },
        ]),
      );
    }
  });
  app.setErrorHandler((err, req, reply) => {
    const body = requestProblem(err) ?? problemOf(err);
    void reply
      .code(body.status)
      .type('application/problem+json')
      .send({ ...body, instance: req.url.slice(0, 200) });
  });
  if (opts.mcp) {
    const mcp = registerMcpRoutes(app, { ...opts.mcp, plane: opts.plane, tokens: opts.tokens });
    app.addHook('onClose', async () => mcp.close());
  }
  if (opts.metrics) {
    const metrics = opts.metrics;
    app.get('/metrics', (req, reply) => {
      if (!isLoopback(req.socket.remoteAddress)) {
        void reply
          .code(403)
          .type('application/problem+json')
          .send(problem(403, 'FORBIDDEN', 'GET /metrics is served to clients on loopback only'));
        return;
      }
      reply.hijack();
      metrics(req.raw, reply.raw);
    });
  }
  if (opts.canvasRoot) await serveCanvas(app, opts.canvasRoot);
  app.setNotFoundHandler((req, reply) => {
    if (opts.canvasRoot && isCanvasRoute(req)) return void sendCanvasIndex(reply);
    void reply
      .code(404)
      .type('application/problem+json')
      .send(
        problem(
          404,
          'NO_ROUTE',
          `no route ${req.method} ${req.url.split('?')[0]} (see schemas/openapi.json)`,
        ),
      );
  });

  for (const route of apiRoutes()) {
    const op = route.operation.operationId as Operation;
    if (!(op in OPERATIONS))
      throw new Error(`openapi.json: operation ${op} has no authorisation rule`);
    const handler = HANDLERS[op];
    const timeline = TIMELINE_OPERATIONS.has(op);
    const draftFeed = op === DRAFT_FEED_OPERATION;
    if (!handler && !timeline && !draftFeed)
      throw new Error(`openapi.json: operation ${op} has no handler`);
    const body = route.operation.requestBody?.content['application/json']?.schema;
    const params = parametersSchema(route.operation, 'path');
    app.route({
      method: route.method,
      url: fastifyPath(route.path),
      schema: {
        ...(body ? { body: inlineRefs(body) } : {}),
        ...(params ? { params } : {}),
        querystring: parametersSchema(route.operation, 'query')!,
      },
      // Before the body is even read: who is it (401), and may their role do this (403)?
      onRequest: async (req) => {
        const principal = await authenticate(opts.tokens, req.headers.authorization);
        if (!principal) throw new HttpProblem(unauthenticated(req));
        opts.plane.authorize(principal, op);
        req.principal = principal;
      },
      handler: async (req, reply) => {
        const principal = req.principal!;
        if (draftFeed) {
          reply.hijack();
          const authorization = req.headers.authorization ?? '';
          await draftFeeds.serve(
            req.raw,
            reply.raw,
            principal,
            (req.params as Record<string, string>).draftId!,
            async () => (await authenticate(opts.tokens, authorization)) !== undefined,
          );
          return;
        }
        if (timeline) {
          reply.hijack();
          const runId = (req.params as Record<string, string>).runId;
          const authorization = req.headers.authorization ?? '';
          await opts.timelines.serve(req.raw, reply.raw, principal, runId, {
            key: authorization,
            valid: async () => (await authenticate(opts.tokens, authorization)) !== undefined,
          });
          return;
        }
        // The caller leaving before the answer aborts what waits for it (a long poll).
        const gone = new AbortController();
        reply.raw.once('close', () => {
          if (!reply.raw.writableFinished) gone.abort();
        });
        const out = await handler!(opts.plane, {
          principal,
          params: req.params as Record<string, string>,
          query: req.query as Record<string, unknown>,
          body: req.body,
          signal: gone.signal,
        });
        const mismatch = responses?.(route, out.status, out.body);
        if (mismatch) {
          throw new HttpProblem(
            problem(
              500,
              'RESPONSE_CONTRACT',
              `${op} answered ${out.status} against openapi.json`,
              mismatch,
            ),
          );
        }
        void reply.code(out.status).send(out.body);
      },
    });
  }
  if (responses) {
    // Error answers must match the document too (every route declares its problem responses).
    app.addHook('onSend', async (req, reply, payload) => {
      if (reply.statusCode < 400 || typeof payload !== 'string' || !req.routeOptions.url)
        return payload;
      const problems = responses.problem(JSON.parse(payload));
      if (problems)
        throw new Error(`problem body against openapi.json: ${JSON.stringify(problems)}`);
      return payload;
    });
  }
  await app.ready();
  return app;
}

/** A problem to answer with as is (thrown from hooks). */
class HttpProblem extends Error {
  constructor(readonly body: ProblemBody) {
    super(body.detail);
  }
}

function unauthenticated(req: FastifyRequest): ProblemBody {
  return problem(
    401,
    'UNAUTHENTICATED',
    req.headers.authorization
      ? 'the bearer token is unknown, revoked or expired'
      : 'this API needs a bearer token (Authorization: Bearer aob_…; create one with aob token create)',
  );
}

/** Problems of the request itself, found by fastify before any handler ran. */
function requestProblem(err: unknown): ProblemBody | undefined {
  if (err instanceof HttpProblem) return err.body;
  const e = err as {
    code?: string;
    statusCode?: number;
    message?: string;
    validation?: {
      instancePath: string;
      message?: string;
      keyword: string;
      params: Record<string, unknown>;
    }[];
    validationContext?: string;
  };
  if (e.validation) {
    const where = e.validationContext ?? 'body';
    const errors: Problem[] = e.validation.map((v) => schemaProblem(v, where));
    return problem(
      400,
      'VALIDATION',
      `the request's ${where} is invalid: ${errors.length} problem(s)`,
      errors,
    );
  }
  return isFrameworkError(err) ? frameworkProblem(err) : undefined;
}

type ResponseCheck = ((route: ApiRoute, status: number, body: unknown) => Problem[] | undefined) & {
  problem: (body: unknown) => Problem[] | undefined;
};

/** Validators of every declared JSON response, by route and status (tests). */
function responseValidators(): ResponseCheck {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  const cache = new Map<string, ValidateFunction>();
  const compile = (key: string, schema: unknown) => {
    let v = cache.get(key);
    if (!v) cache.set(key, (v = ajv.compile(inlineRefs(schema) as object)));
    return v;
  };
  const toProblems = (v: ValidateFunction): Problem[] | undefined =>
    v.errors?.map((e) => ({
      code: e.keyword.toUpperCase(),
      path: e.instancePath,
      message: e.message ?? '',
    }));
  const check = ((route: ApiRoute, status: number, body: unknown) => {
    const schema = route.operation.responses[String(status)]?.content?.['application/json']?.schema;
    if (!schema) {
      return [
        {
          code: 'UNDECLARED',
          path: '',
          message: `status ${status} is not declared for ${route.method} ${route.path}`,
        },
      ];
    }
    const v = compile(`${route.method} ${route.path} ${status}`, schema);
    return v(JSON.parse(JSON.stringify(body))) ? undefined : toProblems(v);
  }) as ResponseCheck;
  check.problem = (body) => {
    const v = compile('problem', { $ref: '#/components/schemas/Problem' });
    return v(body) ? undefined : toProblems(v);
  };
  return check;
}

/** 127.0.0.0/8, ::1, and IPv4 loopback mapped into IPv6. */
export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  if (isIP(v4) === 4) return v4.startsWith('127.');
  return address === '::1';
}
