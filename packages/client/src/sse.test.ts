import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SseParser, followSse } from './sse.js';
import type { SseEvent } from './sse.js';

describe('SseParser', () => {
  const stream =
    ': hb\r\n' +
    'id: 1\nevent: RunStarted\ndata: {"a":1}\n\n' +
    'id: 2\r\nevent: NodeStarted\r\ndata: line one\r\ndata: line two\r\n\r\n' +
    'retry: 1500\rdata:no-space\r\r' +
    'event: end\n\n';
  const expected: SseEvent[] = [
    { id: '1', event: 'RunStarted', data: '{"a":1}' },
    { id: '2', event: 'NodeStarted', data: 'line one\nline two' },
    { event: 'message', data: 'no-space' },
    { event: 'end', data: '' },
  ];

  it('parses LF, CRLF and CR streams, multi-line data, and an event with no data', () => {
    const comments: string[] = [];
    const p = new SseParser((c) => comments.push(c));
    expect(p.push(stream)).toEqual(expected);
    expect(comments).toEqual(['hb']);
    expect(p.lastEventId).toBe('2');
    expect(p.retryMs).toBe(1500);
  });

  it('gives the same events when the text arrives one character at a time', () => {
    const p = new SseParser();
    const got: SseEvent[] = [];
    for (const ch of stream) got.push(...p.push(ch));
    expect(got).toEqual(expected);
  });

  it('dispatches nothing for a blank line after only comments or ids', () => {
    const p = new SseParser();
    expect(p.push(': hb\n\nid: 7\n\n')).toEqual([]);
    expect(p.lastEventId).toBe('7');
  });
});

type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void;
let server: Server | undefined;

async function serve(handler: Handler): Promise<string> {
  let n = 0;
  server = createServer((req, res) => handler(req, res, n++));
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/feed`;
}

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

const sseHead = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' };
const ev = (seq: number) => `id: ${seq}\nevent: NodeSucceeded\ndata: {"seq":${seq}}\n\n`;

async function collect(it: AsyncIterable<SseEvent>): Promise<SseEvent[]> {
  const got: SseEvent[] = [];
  for await (const e of it) got.push(e);
  return got;
}

describe('followSse', () => {
  it('reconnects after a dropped connection with Last-Event-ID and loses or repeats nothing', async () => {
    const seen: (string | undefined)[] = [];
    const url = await serve((req, res, n) => {
      seen.push(req.headers['last-event-id'] as string | undefined);
      expect(req.headers.authorization).toBe('Bearer aob_t');
      res.writeHead(200, sseHead);
      if (n === 0) {
        // Three events, then the connection dies mid-stream (half an event on the wire).
        res.write(ev(1) + ev(2) + ev(3) + 'id: 4\nevent: Node');
        setTimeout(() => res.socket?.destroy(), 20);
        return;
      }
      const after = Number(req.headers['last-event-id']);
      res.end(ev(after + 1) + ev(after + 2) + ': hb\n\nevent: end\ndata: {}\n\n');
    });
    const reconnects: { attempt: number; lastEventId?: string }[] = [];
    const got = await collect(
      followSse(url, {
        headers: { authorization: 'Bearer aob_t' },
        initialDelayMs: 10,
        onReconnect: (r) => reconnects.push(r),
      }),
    );
    expect(got.map((e) => e.id)).toEqual(['1', '2', '3', '4', '5']);
    expect(got.every((e) => e.event === 'NodeSucceeded')).toBe(true);
    expect(seen).toEqual([undefined, '3']);
    expect(reconnects).toHaveLength(1);
    expect(reconnects[0]).toMatchObject({ attempt: 1, lastEventId: '3' });
  });

  it('sends the given Last-Event-ID on the first request (resume from a known seq)', async () => {
    const seen: unknown[] = [];
    const url = await serve((req, res) => {
      seen.push(req.headers['last-event-id']);
      res.writeHead(200, sseHead);
      res.end('event: end\n\n');
    });
    expect(await collect(followSse(url, { lastEventId: '0' }))).toEqual([]);
    expect(seen).toEqual(['0']);
  });

  it('treats a silent connection (no heartbeat) as dropped', async () => {
    const seen: unknown[] = [];
    const url = await serve((req, res, n) => {
      seen.push(req.headers['last-event-id']);
      res.writeHead(200, sseHead);
      if (n === 0)
        res.write(ev(1)); // …and then nothing, not even a heartbeat
      else res.end(ev(2) + 'event: end\n\n');
    });
    const got = await collect(followSse(url, { idleTimeoutMs: 150, initialDelayMs: 10 }));
    expect(got.map((e) => e.id)).toEqual(['1', '2']);
    expect(seen).toEqual([undefined, '1']);
  });

  it('gives up after maxRetries failed reconnections with an unreachable error', async () => {
    let connections = 0;
    const url = await serve((_req, res) => {
      connections++;
      res.socket?.destroy();
    });
    await expect(
      collect(followSse(url, { maxRetries: 3, initialDelayMs: 5 })),
    ).rejects.toMatchObject({ code: 'SERVER_UNREACHABLE', reason: 'RETRIES_EXHAUSTED' });
    expect(connections).toBe(4);
  });

  it('does not retry a 4xx answer: it is the caller’s problem', async () => {
    let connections = 0;
    const url = await serve((_req, res) => {
      connections++;
      res.writeHead(404, { 'content-type': 'application/problem+json' });
      res.end(
        JSON.stringify({ status: 404, code: 'NOT_FOUND', title: 'Not Found', detail: 'no run r1' }),
      );
    });
    await expect(collect(followSse(url))).rejects.toMatchObject({
      code: 'NOT_FOUND',
      status: 404,
      detail: 'no run r1',
    });
    expect(connections).toBe(1);
  });

  it('retries a 5xx answer, then follows the feed', async () => {
    const url = await serve((_req, res, n) => {
      if (n === 0) {
        res.writeHead(503);
        res.end('restarting');
        return;
      }
      res.writeHead(200, sseHead);
      res.end(ev(1) + 'event: end\n\n');
    });
    expect((await collect(followSse(url, { initialDelayMs: 5 }))).map((e) => e.id)).toEqual(['1']);
  });

  it('ends without an error when its signal is aborted mid-stream', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, sseHead);
      res.write(ev(1));
    });
    const ac = new AbortController();
    const got: SseEvent[] = [];
    for await (const e of followSse(url, { signal: ac.signal })) {
      got.push(e);
      setTimeout(() => ac.abort(), 10);
    }
    expect(got.map((e) => e.id)).toEqual(['1']);
  });

  it('says the server is unreachable when nothing listens', async () => {
    const url = await serve(() => undefined);
    await new Promise((resolve) => server!.close(resolve));
    server = undefined;
    await expect(
      collect(followSse(url, { maxRetries: 1, initialDelayMs: 5 })),
    ).rejects.toMatchObject({
      code: 'SERVER_UNREACHABLE',
      message: expect.stringContaining('connection refused'),
    });
  });
});
