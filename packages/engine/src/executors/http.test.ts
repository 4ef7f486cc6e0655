import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeJob } from '@aob/core';
import { createHttpExecutor, httpExecutor } from './http.js';
import { runExecutor } from './registry.js';
import type { ExecutorContext } from './types.js';

// A real server on 127.0.0.1; allowPrivateNetwork lets the executor reach it.
let server: Server;
let base: string;
const seen: { method: string; url: string; headers: IncomingMessage['headers'] }[] = [];
let slowClosed: Promise<void> = Promise.resolve();

function route(req: IncomingMessage, res: ServerResponse, body: string): void {
  const url = new URL(req.url ?? '/', base);
  const json = (status: number, value: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    res.end(JSON.stringify(value));
  };
  const redirect = (status: number, location: string) => {
    res.writeHead(status, { location });
    res.end();
  };
  const m = /^\/status\/(\d+)$/.exec(url.pathname);
  if (m) return json(Number(m[1]), { error: 'nope' }, { 'retry-after': '7' });
  const r = /^\/redirect\/(\d+)$/.exec(url.pathname);
  if (r) {
    const n = Number(r[1]);
    return redirect(302, n === 0 ? '/json' : `/redirect/${n - 1}`);
  }
  switch (url.pathname) {
    case '/json':
      return json(200, { hello: 'world' }, { 'x-Custom': 'yes' });
    case '/echo':
      return json(200, { method: req.method, headers: req.headers, body });
    case '/text':
      res.writeHead(200, { 'content-type': 'text/plain' });
      return void res.end('plain text');
    case '/latin1':
      res.writeHead(200, { 'content-type': 'text/plain; charset=iso-8859-1' });
      return void res.end(Buffer.from([0x63, 0x61, 0x66, 0xe9]));
    case '/empty-json':
      res.writeHead(204, { 'content-type': 'application/json' });
      return void res.end();
    case '/bad-json':
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end('{not json');
    case '/gzip':
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      return void res.end(gzipSync(JSON.stringify({ zipped: true })));
    case '/big':
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2048' });
      return void res.end('x'.repeat(2048));
    case '/big-chunked': {
      res.writeHead(200, { 'content-type': 'text/plain' });
      for (let i = 0; i < 64; i++) res.write('y'.repeat(64));
      return void res.end();
    }
    case '/bomb':
      res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip' });
      return void res.end(gzipSync(Buffer.alloc(1024 * 1024)));
    case '/to':
      return redirect(302, url.searchParams.get('url') ?? '/');
    case '/see-other':
      return redirect(303, '/echo');
    case '/temporary':
      return redirect(307, '/echo');
    case '/loop':
      return redirect(302, '/loop');
    case '/no-location':
      res.writeHead(302);
      return void res.end();
    case '/slow':
      // Never answers; resolves slowClosed once the client gives up and drops the connection.
      slowClosed = new Promise((resolve) => req.socket.once('close', () => resolve()));
      return;
    default:
      return json(404, { error: 'no route' });
  }
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
      route(req, res, Buffer.concat(chunks).toString('utf8'));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function job(config: Record<string, unknown>, timeoutMs = 10_000): NodeJob {
  return {
    runId: 'run-1',
    nodeId: 'fetch',
    attempt: 1,
    irHash: 'h',
    type: 'http',
    config,
    input: null,
    inputRef: { $cas: 'sha256:00', size: 0 },
    timeoutMs,
    priority: 'medium',
    idempotencyKey: 'run-1:fetch',
  };
}

function ctx(signal = new AbortController().signal): ExecutorContext {
  return {
    runId: 'run-1',
    nodeId: 'fetch',
    attempt: 1,
    idempotencyKey: 'run-1:fetch',
    signal,
    log: { info() {}, warn() {}, error() {} },
    options: { handlers: {}, allowPrivateNetwork: true },
  };
}

const rejection = (p: Promise<unknown>) =>
  p.then(
    () => expect.fail('expected a rejection'),
    (err: unknown) =>
      err as { code: string; message: string; retryable: boolean; details?: unknown },
  );

describe('http executor', () => {
  it('GETs JSON and returns status, lower-case headers and the parsed body', async () => {
    const out = await httpExecutor(job({ url: `${base}/json` }), ctx());
    expect(out).toMatchObject({
      status: 200,
      headers: { 'content-type': 'application/json; charset=utf-8', 'x-custom': 'yes' },
      body: { hello: 'world' },
    });
  });

  it('POSTs a JSON body with the configured headers', async () => {
    const out = (await httpExecutor(
      job({
        method: 'post',
        url: `${base}/echo`,
        headers: { 'X-Trace': 'abc' },
        body: { ticket: 42 },
      }),
      ctx(),
    )) as { body: { method: string; headers: Record<string, string>; body: string } };
    expect(out.body.method).toBe('POST');
    expect(out.body.headers['x-trace']).toBe('abc');
    expect(out.body.headers['content-type']).toBe('application/json');
    expect(JSON.parse(out.body.body)).toEqual({ ticket: 42 });
  });

  it('sends a string body as-is', async () => {
    const out = (await httpExecutor(
      job({ method: 'PUT', url: `${base}/echo`, body: 'raw=1' }),
      ctx(),
    )) as { body: { body: string; headers: Record<string, string> } };
    expect(out.body.body).toBe('raw=1');
    expect(out.body.headers['content-type']).toBe('text/plain; charset=utf-8');
  });

  it('returns text bodies as strings, decoding the declared charset', async () => {
    await expect(httpExecutor(job({ url: `${base}/text` }), ctx())).resolves.toMatchObject({
      body: 'plain text',
    });
    await expect(httpExecutor(job({ url: `${base}/latin1` }), ctx())).resolves.toMatchObject({
      body: 'café',
    });
  });

  it('gives null for an empty JSON body and refuses invalid JSON', async () => {
    await expect(httpExecutor(job({ url: `${base}/empty-json` }), ctx())).resolves.toMatchObject({
      status: 204,
      body: null,
    });
    const err = await rejection(httpExecutor(job({ url: `${base}/bad-json` }), ctx()));
    expect(err).toMatchObject({ code: 'HTTP_BAD_JSON', retryable: false });
  });

  it('decompresses gzip bodies', async () => {
    await expect(httpExecutor(job({ url: `${base}/gzip` }), ctx())).resolves.toMatchObject({
      body: { zipped: true },
    });
  });

  it.each([503, 500, 429])('fails retryably on %i', async (status) => {
    const err = await rejection(httpExecutor(job({ url: `${base}/status/${status}` }), ctx()));
    expect(err).toMatchObject({ code: 'HTTP_STATUS', retryable: true });
    expect(err.details).toMatchObject({ status, body: '{"error":"nope"}', retryAfter: '7' });
  });

  it.each([404, 400, 403])('fails terminally on %i', async (status) => {
    const err = await rejection(httpExecutor(job({ url: `${base}/status/${status}` }), ctx()));
    expect(err).toMatchObject({ code: 'HTTP_STATUS', retryable: false, details: { status } });
  });

  it('follows up to 5 redirects', async () => {
    // /redirect/n answers with n + 1 redirects in all: /redirect/4 takes exactly 5.
    const out = await httpExecutor(job({ url: `${base}/redirect/4` }), ctx());
    expect(out).toMatchObject({ status: 200, body: { hello: 'world' } });
  });

  it('refuses more than 5 redirects', async () => {
    const err = await rejection(httpExecutor(job({ url: `${base}/redirect/5` }), ctx()));
    expect(err).toMatchObject({ code: 'TOO_MANY_REDIRECTS', retryable: false });
    const loop = await rejection(httpExecutor(job({ url: `${base}/loop` }), ctx()));
    expect(loop.code).toBe('TOO_MANY_REDIRECTS');
  });

  it('turns a POST into a GET on 303 and repeats it on 307', async () => {
    const seeOther = (await httpExecutor(
      job({ method: 'POST', url: `${base}/see-other`, body: { a: 1 } }),
      ctx(),
    )) as { body: { method: string; body: string } };
    expect(seeOther.body).toMatchObject({ method: 'GET', body: '' });
    const temporary = (await httpExecutor(
      job({ method: 'POST', url: `${base}/temporary`, body: { a: 1 } }),
      ctx(),
    )) as { body: { method: string; body: string } };
    expect(temporary.body).toMatchObject({ method: 'POST', body: '{"a":1}' });
  });

  it('drops credential headers when a redirect changes origin, keeps them otherwise', async () => {
    const port = new URL(base).port;
    const executor = createHttpExecutor({
      resolve: async () => [{ address: '127.0.0.1', family: 4 }],
    });
    const headers = { authorization: 'Bearer s3cret', cookie: 'a=1', 'x-keep': 'yes' };
    const via = (target: string) =>
      executor(
        job({ url: `${base}/to?url=${encodeURIComponent(target)}`, headers }),
        ctx(),
      ) as Promise<{ body: { headers: Record<string, string> } }>;

    const other = await via(`http://other.aob-test.invalid:${port}/echo`);
    expect(other.body.headers['authorization']).toBeUndefined();
    expect(other.body.headers['cookie']).toBeUndefined();
    expect(other.body.headers['x-keep']).toBe('yes');

    const same = await via('/echo');
    expect(same.body.headers['authorization']).toBe('Bearer s3cret');
  });

  it('does not apply the body limit to the declared length of a HEAD response', async () => {
    const small = createHttpExecutor({ maxResponseBytes: 1024 });
    await expect(small(job({ method: 'HEAD', url: `${base}/big` }), ctx())).resolves.toMatchObject({
      status: 200,
      body: '',
    });
  });

  it('returns a redirect without a Location as a response', async () => {
    await expect(httpExecutor(job({ url: `${base}/no-location` }), ctx())).resolves.toMatchObject({
      status: 302,
    });
  });

  it('refuses bodies over the limit, declared or streamed, and compression bombs', async () => {
    const small = createHttpExecutor({ maxResponseBytes: 1024 });
    for (const path of ['/big', '/big-chunked', '/bomb']) {
      const err = await rejection(small(job({ url: `${base}${path}` }), ctx()));
      expect(err).toMatchObject({ code: 'RESPONSE_TOO_LARGE', retryable: false });
    }
  });

  it('maps connection failures to retryable HTTP_NETWORK', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const err = await rejection(httpExecutor(job({ url: `http://127.0.0.1:${port}/` }), ctx()));
    expect(err).toMatchObject({ code: 'HTTP_NETWORK', retryable: true });
  });

  it('connects to the address it resolved and checked (DNS pinning)', async () => {
    let lookups = 0;
    const pinned = createHttpExecutor({
      resolve: async (host) => {
        lookups++;
        expect(host).toBe('api.aob-test.invalid');
        return [{ address: '127.0.0.1', family: 4 }];
      },
    });
    const port = new URL(base).port;
    const out = (await pinned(job({ url: `http://api.aob-test.invalid:${port}/echo` }), ctx())) as {
      body: { headers: Record<string, string> };
    };
    // The name does not exist in DNS: reaching the server proves the pinned address was used,
    // while the Host header still names the original host.
    expect(out.body.headers['host']).toBe(`api.aob-test.invalid:${port}`);
    expect(lookups).toBe(1);
  });

  it('refuses bad configuration', async () => {
    for (const config of [
      {},
      { url: 'not a url' },
      { url: `${base}/json`, method: 'GE T' },
      { url: `${base}/json`, headers: { host: 'internal' } },
      { url: `${base}/json`, headers: { 'x-a': 'a\r\nInjected: 1' } },
      { url: `${base}/json`, timeoutMs: -1 },
    ]) {
      const err = await rejection(httpExecutor(job(config), ctx()));
      expect(err).toMatchObject({ code: 'BAD_CONFIG', retryable: false });
    }
  });

  it('times out by job.timeoutMs through runExecutor and drops the connection', async () => {
    const started = Date.now();
    const err = await rejection(runExecutor(job({ url: `${base}/slow` }, 150), ctx()));
    expect(err).toMatchObject({ code: 'TIMEOUT', retryable: true });
    expect(err.message).toBe('node fetch timed out after 150 ms');
    expect(Date.now() - started).toBeLessThan(5_000);
    await slowClosed; // the request was aborted, not left hanging
  });

  it('times out by with.timeoutMs', async () => {
    const err = await rejection(httpExecutor(job({ url: `${base}/slow`, timeoutMs: 100 }), ctx()));
    expect(err).toMatchObject({ code: 'TIMEOUT', retryable: true });
    await slowClosed;
  });

  it('reports cancellation by the outer signal as CANCELLED', async () => {
    const controller = new AbortController();
    const pending = httpExecutor(job({ url: `${base}/slow` }), ctx(controller.signal));
    setTimeout(() => controller.abort(), 50);
    const err = await rejection(pending);
    expect(err).toMatchObject({ code: 'CANCELLED', retryable: false });
  });
});
