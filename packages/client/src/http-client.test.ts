import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AobHttpClient } from './http-client.js';
import { unreachableFrom } from './errors.js';
import type { TimelineMessage } from './http-client.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}
type Handler = (req: Seen, res: ServerResponse) => void;
let server: Server | undefined;
let seen: Seen[] = [];

async function serve(handler: Handler): Promise<string> {
  seen = [];
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const s = { method: req.method!, url: req.url!, headers: req.headers, body };
      seen.push(s);
      handler(s, res);
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

function problem(res: ServerResponse, status: number, doc: Record<string, unknown>): void {
  res.writeHead(status, { 'content-type': 'application/problem+json' });
  res.end(JSON.stringify({ type: 'about:blank', status, ...doc }));
}

describe('AobHttpClient requests', () => {
  it('sends the bearer token, JSON bodies, encoded path segments and query parameters', async () => {
    const base = await serve((_req, res) => {
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end('{"runId":"run_1"}');
    });
    const client = new AobHttpClient({ baseUrl: base, token: 'aob_secret' });
    expect(await client.startRun({ workflow: 'triage@3', inputs: { a: 1 } })).toEqual({
      runId: 'run_1',
    });
    await client.showWorkflow('triage@3', { patches: ['p1', 'p2'] });
    await client.listRuns({ status: ['waiting', 'failed'], limit: 5 });
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/v1/runs' });
    expect(seen[0]!.headers.authorization).toBe('Bearer aob_secret');
    expect(seen[0]!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(seen[0]!.body)).toEqual({ workflow: 'triage@3', inputs: { a: 1 } });
    expect(seen[1]!.url).toBe('/v1/workflows/triage%403?patches=p1%2Cp2');
    expect(seen[2]!.url).toBe('/v1/runs?status=waiting%2Cfailed&limit=5');
  });

  it('keeps a path prefix of the base URL', async () => {
    const base = await serve((_req, res) => res.end('{}'));
    await new AobHttpClient({ baseUrl: `${base}/aob` }).whoami();
    expect(seen[0]!.url).toBe('/aob/v1/whoami');
    expect(seen[0]!.headers.authorization).toBeUndefined();
  });

  it('follows nextCursor through every page', async () => {
    const base = await serve((req, res) => {
      const cursor = new URL(req.url, 'http://x').searchParams.get('cursor');
      res.end(
        JSON.stringify(cursor === null ? { items: [1, 2], nextCursor: 'c2' } : { items: [3] }),
      );
    });
    const client = new AobHttpClient({ baseUrl: base });
    const all = await client.all(
      (cursor) => client.listWorkflows(cursor ? { cursor } : {}) as never,
    );
    expect(all).toEqual([1, 2, 3]);
  });
});

describe('AobHttpClient errors', () => {
  it('turns a problem document into an AobApiError carrying every problem', async () => {
    const base = await serve((_req, res) =>
      problem(res, 400, {
        title: 'Bad Request',
        code: 'VALIDATION',
        detail: 'invalid definition: 2 problems',
        errors: [
          { code: 'REQUIRED', path: '/name', message: 'name is required' },
          { code: 'UNKNOWN_NODE', path: '/edges/0/to', message: 'no node b' },
        ],
      }),
    );
    const err = await new AobHttpClient({ baseUrl: base })
      .registerWorkflow({})
      .catch((e: unknown) => e);
    expect(err).toMatchObject({
      name: 'AobApiError',
      status: 400,
      code: 'VALIDATION',
      title: 'Bad Request',
      detail: 'invalid definition: 2 problems',
      message: 'invalid definition: 2 problems',
      retryable: false,
      errors: [
        { code: 'REQUIRED', path: '/name', message: 'name is required' },
        { code: 'UNKNOWN_NODE', path: '/edges/0/to', message: 'no node b' },
      ],
    });
  });

  it.each([
    [401, 'UNAUTHENTICATED'],
    [403, 'FORBIDDEN'],
    [404, 'NOT_FOUND'],
    [409, 'CONFLICT'],
    [413, 'PAYLOAD_TOO_LARGE'],
    [415, 'UNSUPPORTED_MEDIA_TYPE'],
    [502, 'SERVER_ERROR'],
  ])('names a %i answer without a problem body %s', async (status, code) => {
    const base = await serve((_req, res) => {
      res.writeHead(status, { 'content-type': 'text/html' });
      res.end('<html>nope</html>');
    });
    const err = await new AobHttpClient({ baseUrl: base }).getRun('r').catch((e: unknown) => e);
    expect(err).toMatchObject({ status, code, errors: [], retryable: status >= 500 });
    expect((err as Error).message).toContain(`HTTP ${status}`);
    expect((err as Error).message).toContain('<html>nope</html>');
  });

  it('lists, gets and answers questions: filters in the query, the answer as any JSON', async () => {
    const base = await serve((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(req.url.startsWith('/v1/questions?') ? '{"items":[]}' : '{"questionId":"q/1"}');
    });
    const client = new AobHttpClient({ baseUrl: base, token: 'aob_secret' });
    await client.questions({ run: 'run_1', mine: true, status: 'all', limit: 2 });
    await client.question('q/1');
    await client.answer('q/1', { seats: 4 });
    await client.answer('q/1', null);
    expect(seen.map((r) => `${r.method} ${r.url}`)).toEqual([
      'GET /v1/questions?run=run_1&mine=true&status=all&limit=2',
      'GET /v1/questions/q%2F1',
      'POST /v1/questions/q%2F1/answer',
      'POST /v1/questions/q%2F1/answer',
    ]);
    expect(JSON.parse(seen[2]!.body)).toEqual({ answer: { seats: 4 } });
    expect(JSON.parse(seen[3]!.body)).toEqual({ answer: null });
  });

  it('keeps the server’s code and fills a problem with missing fields', async () => {
    const base = await serve((_req, res) =>
      problem(res, 409, {
        code: 'TICKET_DECIDED',
        detail: 'ticket t1 is already approved',
        errors: [{ path: '/x' }],
      }),
    );
    const err = await new AobHttpClient({ baseUrl: base })
      .decideApproval('t1', { decision: 'approved' })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({
      status: 409,
      code: 'TICKET_DECIDED',
      detail: 'ticket t1 is already approved',
      errors: [{ code: 'INVALID', path: '/x', message: '{"path":"/x"}' }],
    });
  });

  it('says a 2xx answer that is not JSON is a bad response, not success', async () => {
    const base = await serve((_req, res) => res.end('<html>'));
    await expect(new AobHttpClient({ baseUrl: base }).getRun('r')).rejects.toMatchObject({
      code: 'BAD_RESPONSE',
    });
  });

  it('returns undefined for an empty 204', async () => {
    const base = await serve((_req, res) => {
      res.writeHead(204);
      res.end();
    });
    await expect(
      new AobHttpClient({ baseUrl: base }).revokeToken('tok_1'),
    ).resolves.toBeUndefined();
    expect(seen[0]).toMatchObject({ method: 'DELETE', url: '/v1/tokens/tok_1' });
  });

  it('calls a refused connection unreachable (ECONNREFUSED)', async () => {
    const base = await serve(() => undefined);
    await new Promise((resolve) => server!.close(resolve));
    server = undefined;
    const err = await new AobHttpClient({ baseUrl: base }).whoami().catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'SERVER_UNREACHABLE',
      reason: 'ECONNREFUSED',
      retryable: true,
    });
    expect((err as Error).message).toBe(`cannot reach ${base}: connection refused`);
  });

  it('calls a server that never answers unreachable after the timeout', async () => {
    const base = await serve(() => undefined); // reads the request, never answers
    const started = Date.now();
    const err = await new AobHttpClient({ baseUrl: base, timeoutMs: 150 })
      .whoami()
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'SERVER_UNREACHABLE', reason: 'TIMEOUT' });
    expect((err as Error).message).toBe(`no answer from ${base} after 150 ms`);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('calls a connection dropped before the answer unreachable', async () => {
    const base = await serve((req, res) => res.socket?.destroy());
    await expect(new AobHttpClient({ baseUrl: base }).whoami()).rejects.toMatchObject({
      code: 'SERVER_UNREACHABLE',
    });
  });

  it('names DNS failures as unknown hosts', () => {
    const cause = Object.assign(new Error('getaddrinfo ENOTFOUND aob.invalid'), {
      code: 'ENOTFOUND',
    });
    const err = unreachableFrom(
      'http://aob.invalid/v1/whoami',
      new TypeError('fetch failed', { cause }),
    );
    expect(err).toMatchObject({
      reason: 'ENOTFOUND',
      message: 'cannot reach http://aob.invalid: unknown host',
    });
  });
});

describe('AobHttpClient timelines', () => {
  it('types run events and deltas, resumes after `after`, and ends on the end event', async () => {
    const base = await serve((req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const e = (seq: number, type: string) =>
        `id: ${seq}\nevent: ${type}\ndata: ${JSON.stringify({ runId: 'run_1', seq, type, at: 1, data: {} })}\n\n`;
      res.end(
        e(3, 'NodeStarted') +
          `event: NodeOutputDelta\ndata: ${JSON.stringify({ runId: 'run_1', nodeId: 'a', attempt: 1, delta: 'hi', at: 2 })}\n\n` +
          e(4, 'RunCompleted') +
          'event: end\ndata: {"reason":"over"}\n\n',
      );
    });
    const got: TimelineMessage[] = [];
    for await (const m of new AobHttpClient({ baseUrl: base, token: 't' }).runTimeline('run_1', {
      after: 2,
    }))
      got.push(m);
    expect(seen[0]!.url).toBe('/v1/runs/run_1/timeline');
    expect(seen[0]!.headers['last-event-id']).toBe('2');
    expect(seen[0]!.headers.authorization).toBe('Bearer t');
    expect(got.map((m) => m.kind)).toEqual(['event', 'delta', 'event']);
    expect(got[0]).toMatchObject({
      kind: 'event',
      id: '3',
      event: { type: 'NodeStarted', seq: 3 },
    });
    expect(got[1]).toMatchObject({ kind: 'delta', delta: { nodeId: 'a', delta: 'hi' } });
  });
});

describe('the global fetch', () => {
  it('is called as a browser requires: never as a method of the client ("Illegal invocation")', async () => {
    const original = globalThis.fetch;
    const calls: unknown[] = [];
    // A browser's fetch throws when `this` is anything but the window (or undefined).
    globalThis.fetch = function (this: unknown, ...args: Parameters<typeof fetch>) {
      if (this !== undefined && this !== globalThis) throw new TypeError('Illegal invocation');
      calls.push(args[0]);
      return Promise.resolve(
        new Response(
          JSON.stringify({ subject: 'ada', role: 'viewer', namespace: 'default', groups: [] }),
          {
            headers: { 'content-type': 'application/json' },
          },
        ),
      );
    } as typeof fetch;
    try {
      const client = new AobHttpClient({ baseUrl: 'http://127.0.0.1:9', token: 't' });
      await expect(client.whoami()).resolves.toMatchObject({ subject: 'ada' });
      expect(calls).toHaveLength(1);
    } finally {
      globalThis.fetch = original;
    }
  });
});
