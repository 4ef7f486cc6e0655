import { createServer } from 'node:http';
import type { Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AobHttpClient } from '@aob/client';
import { chooseBackend, isWorkflowFile } from './backend.js';
import { exitCodeForError } from './exit-codes.js';
import { problemsOf } from './errors.js';
import { RemoteBackend } from './remote-backend.js';
import { exitCodeForHttp, fromServerError } from './server-errors.js';

describe('chooseBackend', () => {
  it('is local without AOB_SERVER (or with it empty)', () => {
    expect(chooseBackend({})).toEqual({ mode: 'local' });
    expect(chooseBackend({ AOB_SERVER: '  ', AOB_TOKEN: 't' })).toEqual({ mode: 'local' });
  });

  it('is the server with AOB_SERVER and AOB_TOKEN', () => {
    expect(chooseBackend({ AOB_SERVER: 'http://127.0.0.1:8080', AOB_TOKEN: 'aob_x' })).toEqual({
      mode: 'server',
      url: 'http://127.0.0.1:8080',
      token: 'aob_x',
    });
  });

  it('names every problem of a half-configured server mode (exit 2)', () => {
    let err: unknown;
    try {
      chooseBackend({ AOB_SERVER: 'ftp://x' });
    } catch (e) {
      err = e;
    }
    expect(exitCodeForError(err)).toBe(2);
    expect(problemsOf(err)?.map((p) => p.path)).toEqual(['AOB_SERVER', 'AOB_TOKEN']);
    expect((err as Error).message).toContain('unset AOB_SERVER to work locally');
  });
});

describe('isWorkflowFile', () => {
  it('reads paths and .json names as files, the rest as registered names', () => {
    expect(isWorkflowFile('./triage.json')).toBe(true);
    expect(isWorkflowFile('triage.json')).toBe(true);
    expect(isWorkflowFile('dir/wf')).toBe(true);
    expect(isWorkflowFile('triage@3')).toBe(false);
    expect(isWorkflowFile('triage')).toBe(false);
  });
});

describe('fromServerError: exit codes in server mode', () => {
  const api = (status: number, code: string, errors: unknown[] = []) =>
    Object.assign(new Error('d'), { status, code, detail: 'd', errors });

  it('maps statuses to the documented exit codes', () => {
    expect([400, 401, 403, 404, 409, 413, 415].map(exitCodeForHttp)).toEqual([2, 2, 2, 2, 2, 2, 2]);
    expect([429, 502, 503, 504].map(exitCodeForHttp)).toEqual([3, 3, 3, 3]);
    expect(exitCodeForHttp(500)).toBe(1);
  });

  it('lets a code the CLI knows win over the status', () => {
    expect(exitCodeForError(fromServerError(api(409, 'RUN_LEASED'), 'x', 's'))).toBe(4);
    expect(exitCodeForError(fromServerError(api(503, 'STORE_UNAVAILABLE'), 'x', 's'))).toBe(3);
    expect(exitCodeForError(fromServerError(api(404, 'NOT_FOUND'), 'x', 's'))).toBe(2);
    expect(exitCodeForError(fromServerError(api(500, 'INTERNAL'), 'x', 's'))).toBe(1);
  });

  it('carries every problem the server named and says what was refused', () => {
    const e = fromServerError(
      api(400, 'VALIDATION', [
        { code: 'REQUIRED', path: '/a', message: 'a' },
        { code: 'TYPE', path: '/b', message: 'b' },
      ]),
      'start a run of x',
      's',
    );
    expect(problemsOf(e)).toHaveLength(2);
    expect((fromServerError(api(403, 'FORBIDDEN'), 'decide ticket t1', 's') as Error).message).toBe(
      'cannot decide ticket t1: not allowed for this token (d)',
    );
    expect(
      (fromServerError(api(401, 'UNAUTHENTICATED'), 'list runs', 's') as Error).message,
    ).toMatch(/AOB_TOKEN/);
  });

  it('says an unreachable server is exit 3 and names AOB_SERVER', () => {
    const e = fromServerError(
      { code: 'SERVER_UNREACHABLE', message: 'cannot reach http://h:1: connection refused' },
      'list runs',
      'http://h:1',
    );
    expect(exitCodeForError(e)).toBe(3);
    expect((e as Error).message).toBe(
      'cannot list runs: cannot reach http://h:1: connection refused (AOB_SERVER=http://h:1)',
    );
  });

  it('passes other errors through', () => {
    const boom = new Error('boom');
    expect(fromServerError(boom, 'x', 's')).toBe(boom);
  });
});

describe('RemoteBackend', () => {
  let server: Server | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r) ?? r(undefined));
    if (dir) rmSync(dir, { recursive: true, force: true });
    server = undefined;
    dir = undefined;
  });

  async function serve(
    handler: (req: { method: string; url: string; body: string }, res: ServerResponse) => void,
  ): Promise<RemoteBackend> {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => handler({ method: req.method!, url: req.url!, body }, res));
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return new RemoteBackend(new AobHttpClient({ baseUrl: url, token: 't' }), url);
  }
  const json = (res: ServerResponse, doc: unknown, status = 200) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(doc));
  };

  it('sends a workflow file whole as definition, and a name as workflow', async () => {
    const bodies: unknown[] = [];
    const backend = await serve((req, res) => {
      bodies.push(JSON.parse(req.body));
      json(res, { runId: `run_${bodies.length}` }, 201);
    });
    dir = mkdtempSync(join(tmpdir(), 'aob-backend-'));
    const file = join(dir, 'wf.json');
    writeFileSync(file, '{"name":"wf","version":"1","nodes":[]}');
    expect(await backend.start(file, { a: 1 })).toBe('run_1');
    expect(await backend.start('wf@1', {})).toBe('run_2');
    expect(bodies).toEqual([
      { definition: { name: 'wf', version: '1', nodes: [] }, inputs: { a: 1 } },
      { workflow: 'wf@1', inputs: {} },
    ]);
    await expect(backend.start(join(dir, 'missing.json'), {})).rejects.toMatchObject({
      code: 'FILE_NOT_FOUND',
      exitCode: 2,
    });
  });

  it('chains long polls until the run settles', async () => {
    const urls: string[] = [];
    const backend = await serve((req, res) => {
      urls.push(req.url);
      json(res, { runId: 'r', status: urls.length < 3 ? 'running' : 'waiting', nodes: {} });
    });
    const view = await backend.wait('r', { untilSettled: true });
    expect(view.status).toBe('waiting');
    expect(urls).toHaveLength(3);
    expect(urls[0]).toMatch(/^\/v1\/runs\/r\/wait\?timeoutMs=\d+&untilSettled=true$/);
  });

  it('reads a long log a page at a time', async () => {
    const backend = await serve((req, res) => {
      const from = Number(new URL(req.url, 'http://x').searchParams.get('fromSeq'));
      const n = Math.max(0, Math.min(1000, 1500 - from + 1));
      json(res, {
        items: Array.from({ length: n }, (_, i) => ({
          runId: 'r',
          seq: from + i,
          type: 'X',
          at: 0,
          data: {},
        })),
      });
    });
    const events = await backend.events('r');
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 1500 }, (_, i) => i + 1));
  });

  it('decides a ticket as the token’s subject; the cluster carries the run on', async () => {
    const backend = await serve((req, res) => {
      if (req.url === '/v1/whoami')
        return json(res, {
          subject: 'alice',
          role: 'approver',
          namespace: 'default',
          groups: [],
          tokenId: 'k',
        });
      expect(JSON.parse(req.body)).toEqual({ decision: 'approved', reason: 'ok' });
      json(res, { ticketId: 't1', runId: 'run_9', decision: 'approved' });
    });
    expect(await backend.approve('t1', 'approved', { reason: 'ok' })).toEqual({
      runId: 'run_9',
      drivenHere: false,
      by: 'alice',
    });
  });

  it('refuses run resume in server mode (exit 2)', async () => {
    const backend = await serve((_req, res) => json(res, {}));
    const err = await backend.resume().catch((e: unknown) => e);
    expect(exitCodeForError(err)).toBe(2);
    expect((err as Error).message).toMatch(/cluster resumes runs itself/);
  });

  it('turns a problem answer into the CLI error with every problem', async () => {
    const backend = await serve((_req, res) => {
      res.writeHead(400, { 'content-type': 'application/problem+json' });
      res.end(
        JSON.stringify({
          status: 400,
          code: 'VALIDATION',
          detail: 'invalid inputs: 2 problems',
          errors: [
            { code: 'REQUIRED', path: '/inputs/a', message: 'a is required' },
            { code: 'TYPE', path: '/inputs/b', message: 'b must be a number' },
          ],
        }),
      );
    });
    const err = await backend.start('wf', {}).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'VALIDATION',
      exitCode: 2,
      message: 'invalid inputs: 2 problems',
    });
    expect(problemsOf(err)?.map((p) => p.path)).toEqual(['/inputs/a', '/inputs/b']);
  });

  it('observes a tracked run through its SSE feed and settles once the feed shows the end', async () => {
    const ev = (seq: number, type: string) =>
      `id: ${seq}\nevent: ${type}\ndata: ${JSON.stringify({ runId: 'run_1', seq, type, at: seq, data: {} })}\n\n`;
    const heads: (string | undefined)[] = [];
    let release: () => void = () => undefined;
    const backend = await serve((req, res) => {
      expect(req.url).toBe('/v1/runs/run_1/timeline');
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(ev(1, 'RunStarted') + ev(2, 'NodeStarted'));
      // The terminal event comes only later, after wait() has already returned.
      release = () => res.end(ev(3, 'RunCompleted') + 'event: end\ndata: {}\n\n');
    });
    server!.prependListener('request', (req) => heads.push(req.headers['last-event-id'] as string));
    const seen: string[] = [];
    const observer = backend.observe({ event: (e) => seen.push(e.type), delta: () => undefined });
    observer.track('run_1');
    await until(() => seen.length === 2);
    const settled = observer.settle({ runId: 'run_1', status: 'completed', nodes: {} } as never);
    setTimeout(() => release(), 100);
    await settled;
    observer.close();
    expect(seen).toEqual(['RunStarted', 'NodeStarted', 'RunCompleted']);
    expect(heads).toEqual(['0']);
  });

  it('settles without the feed when it cannot be followed, and says so once', async () => {
    const notices: string[] = [];
    const backend = await serve((_req, res) => {
      res.writeHead(404, { 'content-type': 'application/problem+json' });
      res.end(JSON.stringify({ status: 404, code: 'NO_ROUTE', detail: 'no route' }));
    });
    const remote = new RemoteBackend(
      (backend as unknown as { client: AobHttpClient }).client,
      'http://x',
      (line) => notices.push(line),
    );
    const observer = remote.observe({ event: () => undefined, delta: () => undefined });
    observer.track('run_1');
    await observer.settle({ runId: 'run_1', status: 'completed', nodes: {} } as never);
    observer.close();
    await until(() => notices.length > 0);
    expect(notices).toEqual([expect.stringMatching(/^no live timeline: .*no route/)]);
  });
});

async function until(cond: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}
