// The fanout end to end in one process: a real node:http server, real SSE clients, the memory
// store, and a live source the test drives (so it can lose and repeat announcements at will).
import { connect } from 'node:net';
import { request } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { AnyRunEvent } from '@aob/core';
import { MemoryEventStore } from '@aob/store';
import { Fanout } from './hub.js';
import type { FanoutOptions } from './hub.js';
import { listenTimelines } from './server.js';
import { TimelineStreams } from './sse.js';
import type { SseOptions } from './sse.js';
import { parseCursor } from './cursor.js';
import {
  ManualDeltaSource,
  ManualSource,
  SseClient,
  append,
  completed,
  log,
  portOf,
  started,
  testAuthenticate,
} from './test-support.js';

interface Rig {
  store: MemoryEventStore;
  source: ManualSource;
  fanout: Fanout;
  streams: TimelineStreams;
  server: Server;
  port: number;
  /** Appends and announces (the orchestrator's commit then announce). */
  publish(runId: string, e: Parameters<typeof append>[2], announce?: boolean): Promise<AnyRunEvent>;
}

const rigs: Rig[] = [];
const clients: SseClient[] = [];

async function rig(opts: Partial<FanoutOptions> = {}, sse: SseOptions = {}): Promise<Rig> {
  const store = new MemoryEventStore();
  const source = new ManualSource();
  const fanout = new Fanout({ store, source, ...opts });
  await fanout.start();
  const streams = new TimelineStreams(fanout, sse);
  const server = await listenTimelines(streams, testAuthenticate, 0, '127.0.0.1');
  const r: Rig = {
    store,
    source,
    fanout,
    streams,
    server,
    port: portOf(server),
    publish: async (runId, e, announce = true) => {
      const env = await append(store, runId, e);
      if (announce) source.announce(env);
      return env;
    },
  };
  rigs.push(r);
  return r;
}

async function open(r: Rig, path: string, ns = 'a', headers: Record<string, string> = {}) {
  const c = await SseClient.open(r.port, path, { authorization: `Bearer ns:${ns}`, ...headers });
  clients.push(c);
  return c;
}

const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const r of rigs.splice(0)) {
    await r.fanout.stop();
    r.streams.close();
    r.server.closeAllConnections();
    await new Promise((res) => r.server.close(res));
  }
});

describe('run timeline', () => {
  it('delivers seqs 1..n exactly once, in order, to a client that connects while events are committed and announced', async () => {
    const r = await rig();
    await r.publish('r1', started('a'));
    const n = 400;
    const writer = (async () => {
      for (let i = 2; i < n; i++) {
        await r.publish('r1', log(`m${i}`));
        if (i % 7 === 0) await new Promise((res) => setImmediate(res));
      }
      await r.publish('r1', completed());
    })();
    // Connect while the writer is mid-way (several clients at different moments).
    await new Promise((res) => setImmediate(res));
    const early = await open(r, '/v1/runs/r1/timeline');
    await new Promise((res) => setTimeout(res, 5));
    const late = await open(r, '/v1/runs/r1/timeline');
    await writer;
    for (const c of [early, late]) {
      await c.until((x) => x.ended);
      expect(c.status).toBe(200);
      expect(c.seqs()).toEqual(range(1, n));
      expect(c.events.map((f) => f.id)).toEqual(range(1, n).map(String));
      expect(c.frames.at(-1)).toMatchObject({ event: 'end' });
      expect(JSON.parse(c.frames.at(-1)!.data)).toEqual({
        runId: 'r1',
        status: 'completed',
        lastSeq: n,
      });
    }
  });

  it('fills a lost announcement from the store and drops repeated ones', async () => {
    const r = await rig();
    await r.publish('r1', started('a'));
    const c = await open(r, '/v1/runs/r1/timeline');
    await c.until((x) => x.seqs().length === 1);
    const e2 = await r.publish('r1', log('two'));
    await r.publish('r1', log('three'), false); // lost
    await r.publish('r1', log('four'), false); // lost
    const e5 = await r.publish('r1', log('five'));
    r.source.announce(e2); // repeated
    r.source.announce(e5); // repeated
    await r.publish('r1', completed());
    r.source.announce(e2); // repeated after the end
    await c.until((x) => x.ended);
    expect(c.seqs()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(r.fanout.counters.gaps).toBeGreaterThanOrEqual(1);
    expect(r.fanout.counters.repeats).toBeGreaterThanOrEqual(2);
  });

  it('finds a lost terminal announcement by checking the store when the run goes quiet', async () => {
    const r = await rig({ tailCheckMs: 50 });
    await r.publish('r1', started('a'));
    const c = await open(r, '/v1/runs/r1/timeline');
    await c.until((x) => x.seqs().length === 1);
    await r.publish('r1', log('x'), false);
    await r.publish('r1', completed(), false); // no later event will reveal the gap
    await c.until((x) => x.ended, 3_000);
    expect(c.seqs()).toEqual([1, 2, 3]);
    expect(c.frames.at(-1)?.event).toBe('end');
    expect(r.fanout.counters.tailFills).toBe(1);
  });

  it('resumes after Last-Event-ID and after ?fromSeq=', async () => {
    const r = await rig();
    await r.publish('r1', started('a'));
    for (let i = 0; i < 8; i++) await r.publish('r1', log(`m${i}`));
    const byHeader = await open(r, '/v1/runs/r1/timeline', 'a', { 'last-event-id': '5' });
    const byQuery = await open(r, '/v1/runs/r1/timeline?fromSeq=7');
    await byHeader.until((x) => x.seqs().length === 4);
    await byQuery.until((x) => x.seqs().length === 2);
    await r.publish('r1', completed());
    await byHeader.until((x) => x.ended);
    await byQuery.until((x) => x.ended);
    expect(byHeader.seqs()).toEqual([6, 7, 8, 9, 10]);
    expect(byQuery.seqs()).toEqual([8, 9, 10]);
  });

  it('ends at once for a finished run resumed at its end, and keeps following with follow=true', async () => {
    const r = await rig({}, { heartbeatMs: 30 });
    await r.publish('r1', started('a'));
    await r.publish('r1', completed());
    const resumed = await open(r, '/v1/runs/r1/timeline', 'a', { 'last-event-id': '2' });
    await resumed.until((x) => x.ended);
    expect(resumed.seqs()).toEqual([]);
    expect(resumed.frames.map((f) => f.event)).toEqual(['end']);
    const follower = await open(r, '/v1/runs/r1/timeline?follow=true');
    await follower.until((x) => x.seqs().length === 2 && x.comments >= 2);
    expect(follower.ended).toBe(false);
    expect(follower.frames.map((f) => f.event)).toEqual(['RunStarted', 'RunCompleted']);
  });

  it('sends a heartbeat comment every heartbeatMs', async () => {
    const r = await rig({}, { heartbeatMs: 40 });
    await r.publish('r1', started('a'));
    const c = await open(r, '/v1/runs/r1/timeline');
    const t0 = Date.now();
    await c.until((x) => x.comments >= 3, 2_000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(80);
    expect(c.headers['content-type']).toBe('text/event-stream; charset=utf-8');
  });

  it('answers 400 naming the bad field, 401 without a token, 404 for unknown runs and other namespaces alike', async () => {
    const r = await rig();
    await r.publish('rb', started('b'));
    const bad = await open(r, '/v1/runs/rb/timeline?fromSeq=x&follow=maybe', 'b');
    await bad.until((x) => x.ended);
    expect(bad.status).toBe(400);
    expect(bad.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(bad.body).errors.map((e: { path: string }) => e.path)).toEqual([
      'query/fromSeq',
      'query/follow',
    ]);
    const anon = await SseClient.open(r.port, '/v1/runs/rb/timeline');
    clients.push(anon);
    await anon.until((x) => x.ended);
    expect(anon.status).toBe(401);
    const foreign = await open(r, '/v1/runs/rb/timeline', 'a');
    const unknown = await open(r, '/v1/runs/nope/timeline', 'a');
    await foreign.until((x) => x.ended);
    await unknown.until((x) => x.ended);
    expect(foreign.status).toBe(404);
    expect(unknown.status).toBe(404);
    const f = JSON.parse(foreign.body) as Record<string, unknown>;
    const u = JSON.parse(unknown.body) as Record<string, unknown>;
    expect({ ...f, detail: '' }).toEqual({ ...u, detail: '' });
    expect(f.code).toBe('NOT_FOUND');
    const own = await open(r, '/v1/runs/rb/timeline', 'b');
    await own.until((x) => x.seqs().length === 1);
    expect(own.status).toBe(200);
  });

  it('answers 403 to a job token, even on its own run: timelines are not open to one', async () => {
    const r = await rig();
    await r.publish('rb', started('b'));
    for (const path of ['/v1/runs/rb/timeline', '/v1/timeline']) {
      const c = await SseClient.open(r.port, path, { authorization: 'Bearer job:b:rb' });
      clients.push(c);
      await c.until((x) => x.ended);
      expect(c.status, path).toBe(403);
      expect(JSON.parse(c.body)).toMatchObject({ code: 'FORBIDDEN' });
    }
  });

  it('cuts off a client whose socket does not drain while a fast one receives everything on time', async () => {
    const r = await rig({}, { maxBufferedBytes: 64 * 1024, cutGraceMs: 200 });
    await r.publish('r1', started('a'));
    // The slow client: sends its request and never reads a byte.
    const slow = connect(r.port, '127.0.0.1');
    await new Promise<void>((res) => slow.once('connect', () => res()));
    slow.write(
      'GET /v1/runs/r1/timeline HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ns:a\r\n\r\n',
    );
    slow.pause();
    slow.on('error', () => undefined);
    const fast = await open(r, '/v1/runs/r1/timeline');
    await fast.until((x) => x.seqs().length === 1);
    await new Promise((res) => setTimeout(res, 50)); // the slow one is subscribed too
    expect(r.streams.size).toBe(2);
    // ~16 MiB of events: more than the kernel's socket buffers can absorb for the slow client.
    const body = 'x'.repeat(8 * 1024);
    const n = 2_000;
    const lag: number[] = [];
    const t0 = Date.now();
    for (let i = 0; i < n; i++) {
      const e = await r.publish('r1', log(body));
      await new Promise((res) => setImmediate(res)); // events arrive over I/O turns, as from a bus
      if (i % 100 === 99) {
        const sent = Date.now();
        await fast.until((x) => x.seqs().at(-1)! >= e.seq, 2_000);
        lag.push(Date.now() - sent);
      }
    }
    await r.publish('r1', completed());
    await fast.until((x) => x.ended, 5_000);
    expect(fast.seqs()).toEqual(range(1, n + 2));
    expect(r.streams.counters.cut).toBe(1);
    await new Promise((res) => setTimeout(res, 400));
    // Ended, then its socket destroyed after the grace period: only the fast client is left
    // (a paused client socket never notices, so ask the server).
    const connections = await new Promise<number>((res, rej) =>
      r.server.getConnections((err, n) => (err ? rej(err) : res(n))),
    );
    expect(connections).toBeLessThanOrEqual(1); // the fast one's keep-alive socket, if kept
    expect(r.streams.size).toBe(0);
    // On time: the fast client is never held up by the slow one.
    expect(Math.max(...lag)).toBeLessThan(500);
    expect(Date.now() - t0).toBeLessThan(20_000);
  });
});

describe('namespace timeline', () => {
  it("delivers every run of the principal's namespace and nothing of others", async () => {
    const r = await rig();
    const a = await open(r, '/v1/timeline', 'a');
    const b = await open(r, '/v1/timeline', 'b');
    await new Promise((res) => setTimeout(res, 20));
    for (const [run, ns] of [
      ['a1', 'a'],
      ['b1', 'b'],
      ['a2', 'a'],
    ] as const) {
      await r.publish(run, started(ns));
      await r.publish(run, log('x'));
    }
    await r.publish('a1', completed());
    await a.until((x) => x.events.length === 5);
    await b.until((x) => x.events.length === 2);
    await new Promise((res) => setTimeout(res, 30));
    const runs = (c: SseClient) => c.events.map((f) => (JSON.parse(f.data) as AnyRunEvent).runId);
    expect(runs(a).sort()).toEqual(['a1', 'a1', 'a1', 'a2', 'a2']);
    expect(runs(b)).toEqual(['b1', 'b1']);
    const last = a.events.at(-1)!;
    expect(parseCursor(last.id!)).toMatchObject({ runId: 'a1', seq: 3 });
  });

  it('is dense per run even when it joins a run mid-way and announcements are lost or repeated', async () => {
    const r = await rig();
    await r.publish('a1', started('a'));
    const c = await open(r, '/v1/timeline', 'a');
    await new Promise((res) => setTimeout(res, 20));
    const e2 = await r.publish('a1', log('2'));
    await r.publish('a1', log('3'), false);
    await r.publish('a1', log('4'));
    r.source.announce(e2);
    await r.publish('a1', completed());
    await c.until((x) => x.events.length === 4);
    await new Promise((res) => setTimeout(res, 30));
    expect(c.seqs()).toEqual([2, 3, 4, 5]);
  });

  it('resumes from a cursor: the cursor run after its seq, other runs inside the window', async () => {
    const r = await rig({ resumeWindowMs: 1_000 });
    const t = Date.now();
    await r.publish('a1', started('a', t - 60_000), false);
    await r.publish('a1', log('old', t - 60_000), false);
    await r.publish('a1', log('cursor', t), false); // a1:3 is where the client was
    await r.publish('a1', log('after', t + 10), false);
    await r.publish('a2', started('a', t - 500), false); // inside the window
    await r.publish('a3', started('a', t - 5_000), false); // before the window
    await r.publish('b1', started('b', t), false); // another namespace
    const c = await open(r, '/v1/timeline', 'a', { 'last-event-id': `${t}:3:a1` });
    await c.until((x) => x.events.length === 2);
    await r.publish('a2', log('live'));
    await r.publish('a1', log('live'));
    await c.until((x) => x.events.length === 4);
    await new Promise((res) => setTimeout(res, 30));
    const got = c.events.map((f) => {
      const e = JSON.parse(f.data) as AnyRunEvent;
      return `${e.runId}:${e.seq}`;
    });
    expect(got.slice(0, 2).sort()).toEqual(['a1:4', 'a2:1']);
    expect(got.slice(2)).toEqual(['a2:2', 'a1:5']);
    expect(c.frames.some((f) => f.event === 'reset')).toBe(false);
  });

  it('says reset when the resume scan stops at its limit', async () => {
    const r = await rig({ resumeScanLimit: 2 });
    for (const run of ['a1', 'a2', 'a3']) await r.publish(run, started('a'), false);
    const c = await open(r, '/v1/timeline', 'a', { 'last-event-id': `${Date.now()}:1:a1` });
    await c.until((x) => x.frames.some((f) => f.event === 'reset'));
    const bad = await open(r, '/v1/timeline', 'a', { 'last-event-id': 'nonsense' });
    await bad.until((x) => x.ended);
    expect(bad.status).toBe(400);
    const foreign = await open(r, '/v1/timeline', 'b', { 'last-event-id': `${Date.now()}:1:a1` });
    await foreign.until((x) => x.ended);
    expect(foreign.status).toBe(404);
  });
});

describe('token deltas', () => {
  const delta = (runId: string, n: number, text = `w${n} `) => ({
    runId,
    nodeId: 'ask',
    attempt: 1,
    delta: text,
    at: n,
  });

  it('reach the clients following their run, in order, between its events, and nobody else', async () => {
    const deltas = new ManualDeltaSource();
    const r = await rig({ deltas });
    await r.publish('r1', started('a'));
    await r.publish('r2', started('a'));
    const one = await open(r, '/v1/runs/r1/timeline');
    const two = await open(r, '/v1/runs/r2/timeline');
    const all = await open(r, '/v1/timeline');
    await one.until((x) => x.seqs().length === 1);
    await two.until((x) => x.seqs().length === 1);
    for (let n = 1; n <= 3; n++) deltas.emit(delta('r1', n));
    deltas.emit(delta('r2', 9));
    deltas.emit(delta('elsewhere', 10));
    await r.publish('r1', completed());
    await one.until((x) => x.ended);
    expect(one.frames.map((f) => f.event)).toEqual([
      'RunStarted',
      'NodeOutputDelta',
      'NodeOutputDelta',
      'NodeOutputDelta',
      'RunCompleted',
      'end',
    ]);
    expect(
      one
        .deltas()
        .map((d) => d.delta)
        .join(''),
    ).toBe('w1 w2 w3 ');
    // A delta is no place to resume from: it carries no id.
    expect(one.frames.filter((f) => f.event === 'NodeOutputDelta').map((f) => f.id)).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
    await two.until((x) => x.deltas().length === 1);
    expect(two.deltas()).toEqual([delta('r2', 9)]);
    // The namespace feed (live from when it opened) has the run's end, and no delta.
    await all.until((x) => x.seqs().length === 1);
    expect(all.deltas()).toEqual([]);
  });

  it("keep a slow client's newest deltas without cutting it off or holding up the others", async () => {
    const deltas = new ManualDeltaSource();
    const r = await rig({ deltas }, { maxBufferedBytes: 256 * 1024 });
    await r.publish('r1', started('a'));
    // The slow client: an HTTP client that does not read its response until told.
    const slow = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: r.port,
          path: '/v1/runs/r1/timeline',
          headers: { authorization: 'Bearer ns:a' },
        },
        (res) => {
          res.pause();
          resolve(res);
        },
      );
      req.on('error', reject);
      req.end();
    });
    const fast = await open(r, '/v1/runs/r1/timeline');
    await fast.until((x) => x.seqs().length === 1);
    await new Promise((res) => setTimeout(res, 50));
    expect(r.streams.size).toBe(2);
    // ~20 MiB of deltas: far past the slow client's socket buffers and the cut-off bound.
    const n = 20_000;
    const text = 'x'.repeat(1_000);
    const t0 = Date.now();
    for (let i = 1; i <= n; i++) {
      deltas.emit(delta('r1', i, `${i}:${text}`));
      if (i % 50 === 0) await new Promise((res) => setImmediate(res)); // as from a bus, in batches
    }
    await fast.until((x) => x.deltas().at(-1)?.at === n, 10_000);
    expect(Date.now() - t0).toBeLessThan(15_000);
    const fastSeen = fast.deltas().map((d) => d.at);
    expect(fastSeen).toEqual([...fastSeen].sort((a, b) => a - b));
    // Deltas never cut a client off; the slow one's were dropped, oldest first.
    expect(r.streams.counters.cut).toBe(0);
    expect(r.streams.size).toBe(2);
    expect(r.streams.counters.deltasDropped).toBeGreaterThan(n / 2);

    // The slow client reads again: it gets the newest deltas, in order, then the run's end.
    let raw = '';
    slow.setEncoding('utf8');
    slow.on('data', (d: string) => (raw += d));
    const ended = new Promise((res) => slow.once('end', res));
    slow.resume();
    await r.publish('r1', completed());
    await ended;
    const got = [...raw.matchAll(/event: NodeOutputDelta\ndata: (.*)\n/g)].map(
      (m) => (JSON.parse(m[1]!) as { at: number }).at,
    );
    expect(got.length).toBeLessThan(n);
    expect(got.at(-1)).toBe(n);
    expect(got).toEqual([...got].sort((a, b) => a - b));
    expect(raw).toMatch(/event: NodeOutputDelta[^]*event: RunCompleted[^]*event: end/);
    expect(r.streams.counters.cut).toBe(0);
  }, 30_000);
});
