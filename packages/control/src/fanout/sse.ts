// Server-sent events for timelines: one connection per client with a bounded buffer, frames
// serialised once per event and shared by every client, writes batched per client per tick.
//
// The broadcast never waits for a client: items are queued as strings, and one flush per event
// loop turn writes each client's queue with a single res.write. A client whose bytes waiting in
// this process (Node's writable buffer plus our queue) pass `maxBufferedBytes` is cut off: its
// queue is discarded, an `event: error` frame ({code: 'SLOW_CONSUMER'}) is written after the
// frames already handed to the socket, and the response ends (the socket is destroyed if it has
// not finished `cutGraceMs` later). Frames are written whole, so the last `id:` a client saw is a
// sound `Last-Event-ID`. Token deltas (`event: NodeOutputDelta`, no id) never cut a client: while
// one is backed up they wait in a small ring that keeps the newest (Connection.sendDelta).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AnyRunEvent } from '@aob/core';
import { recordSseClients } from '@aob/engine';
import type { Fanout } from './hub.js';
import type { TimelineItem, TimelinePrincipal, TimelineTarget } from './types.js';
import { TimelineErrorCode } from './types.js';
import { parseCursor } from './cursor.js';

export interface SseOptions {
  /** A `: hb` comment this often. Default 15 000 ms. */
  heartbeatMs?: number;
  /**
   * Most bytes a client may have waiting in this process (not yet taken by its socket) before it
   * is cut off. Default 1 MiB: several bus batches, so only a client that stopped reading trips it.
   */
  maxBufferedBytes?: number;
  /** How long a cut-off client's socket may take to finish before it is destroyed. Default 5 000 ms. */
  cutGraceMs?: number;
  /** The reconnection delay advised to clients (`retry:`). Default 2 000 ms. */
  retryMs?: number;
  /** How often open streams' credentials are checked again. Default 2 000 ms. */
  authCheckMs?: number;
}

/**
 * How an open stream's credentials are checked again: streams sharing a `key` (the same bearer
 * token) are checked once per round; `valid` resolving false ends them with TOKEN_REVOKED.
 */
export interface StreamAuth {
  key: string;
  valid: () => Promise<boolean>;
}

/** An RFC 9457 problem, as the API answers it. */
export interface TimelineProblem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors?: { code: string; path: string; message: string }[];
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  405: 'Method Not Allowed',
  503: 'Service Unavailable',
};

export function problem(
  status: number,
  code: string,
  detail: string,
  errors?: TimelineProblem['errors'],
): TimelineProblem {
  return {
    type: 'about:blank',
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    code,
    ...(errors ? { errors } : {}),
  };
}

export function sendProblem(res: ServerResponse, p: TimelineProblem, headers = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res
    .writeHead(p.status, { 'content-type': 'application/problem+json', ...headers })
    .end(JSON.stringify(p));
}

/** A frame and its UTF-8 size, built once per event and feed kind. */
interface Frame {
  text: string;
  bytes: number;
}

const runFrames = new WeakMap<AnyRunEvent, Frame>();
const namespaceFrames = new WeakMap<AnyRunEvent, Frame>();
const jsonOf = new WeakMap<AnyRunEvent, string>();

function frame(text: string): Frame {
  return { text, bytes: Buffer.byteLength(text) };
}

/** `id` must not break the frame: an id with a line break is left out (never happens for ours). */
const idLine = (id: string) => (/[\r\n]/.test(id) ? '' : `id: ${id}\n`);

function eventFrame(e: AnyRunEvent, id: string, namespaceFeed: boolean): Frame {
  const cache = namespaceFeed ? namespaceFrames : runFrames;
  let f = cache.get(e);
  if (!f) {
    let json = jsonOf.get(e);
    if (json === undefined) jsonOf.set(e, (json = JSON.stringify(e)));
    f = frame(`${idLine(id)}event: ${e.type}\ndata: ${json}\n\n`);
    cache.set(e, f);
  }
  return f;
}

function itemFrame(item: TimelineItem, namespaceFeed: boolean): Frame {
  switch (item.kind) {
    case 'event':
      return eventFrame(item.event, item.id, namespaceFeed);
    case 'end':
      return frame(
        `event: end\ndata: ${JSON.stringify({ runId: item.runId, status: item.status, lastSeq: item.lastSeq })}\n\n`,
      );
    case 'reset':
      return frame(`event: reset\ndata: ${JSON.stringify({ reason: item.reason })}\n\n`);
    case 'error':
      return frame(
        `event: error\ndata: ${JSON.stringify({ code: item.code, message: item.message })}\n\n`,
      );
    case 'delta':
      // No `id:`: a delta is no place to resume from (Last-Event-ID stays the last event's).
      return frame(`event: NodeOutputDelta\ndata: ${JSON.stringify(item.delta)}\n\n`);
  }
}

const HEARTBEAT = frame(': hb\n\n');

/** A client's queue is written at once when it reaches this many bytes (see Connection.send). */
const FLUSH_AT_BYTES = 32 * 1024;

/**
 * Deltas go out with the rest only while fewer bytes than the delta budget wait for the client;
 * past it they wait in a ring of at most the budget's bytes and MAX_HELD_DELTAS frames (the
 * oldest dropped) until its socket drains. The budget is an eighth of a client's bound (at most
 * 64 KiB), so deltas take at most a quarter of it: they never cut a client off by themselves,
 * and a client that reads slowly costs the server a bounded few.
 */
const DELTA_BUDGET_BYTES = 64 * 1024;
const MAX_HELD_DELTAS = 256;

/** One client's stream. */
class Connection {
  private queue: string[] = [];
  private queuedBytes = 0;
  /** Deltas waiting for the socket to drain, oldest first (at most MAX_HELD_DELTAS). */
  private held: Frame[] = [];
  private heldBytes = 0;
  private awaitingDrain = false;
  private opened = false;
  private ended = false;
  onEnd: (() => void) | undefined;

  constructor(
    readonly res: ServerResponse,
    private readonly streams: TimelineStreams,
    readonly auth?: StreamAuth,
  ) {}

  get closed(): boolean {
    return this.ended;
  }

  /** Writes the head and what queued before it. */
  open(): void {
    if (this.opened || this.ended) return;
    this.opened = true;
    this.res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    this.queue.unshift(`retry: ${this.streams.retryMs}\n\n`);
    this.streams.schedule(this);
  }

  send(f: Frame): void {
    // Held deltas are older than this frame: they go first (at most MAX_HELD_DELTAS of them), so
    // a client sees a node's text before the events that follow it.
    while (this.held.length > 0) this.enqueue(this.unhold());
    this.enqueue(f);
  }

  /** The oldest held delta, taken out of the ring. */
  private unhold(): Frame {
    const f = this.held.shift()!;
    this.heldBytes -= f.bytes;
    return f;
  }

  private enqueue(f: Frame): void {
    if (this.ended) return;
    this.queue.push(f.text);
    this.queuedBytes += f.bytes;
    if (this.queuedBytes + this.res.writableLength > this.streams.maxBufferedBytes) {
      this.cut();
      return;
    }
    if (!this.opened) return;
    // A burst (one bus batch is hundreds of events) is written as it grows rather than all at
    // the end of the turn, so the kernel's socket buffer takes it and only bytes a client really
    // does not drain stay here to count against its bound.
    if (this.queuedBytes >= FLUSH_AT_BYTES) this.flush();
    else this.streams.schedule(this);
  }

  /** A token delta (display only): sent while the client keeps up, else held, newest kept. */
  sendDelta(f: Frame): void {
    if (this.ended) return;
    const budget = this.streams.deltaBudgetBytes;
    if (this.held.length === 0 && this.backlog() + f.bytes <= budget) {
      this.enqueue(f);
      return;
    }
    this.held.push(f);
    this.heldBytes += f.bytes;
    while (
      this.held.length > 0 &&
      (this.held.length > MAX_HELD_DELTAS || this.heldBytes > budget)
    ) {
      this.heldBytes -= this.held.shift()!.bytes;
      this.streams.counters.deltasDropped++;
    }
    this.waitForDrain();
  }

  flush(): void {
    if (this.ended || !this.opened || this.queue.length === 0) return;
    const data = this.queue.length === 1 ? this.queue[0]! : this.queue.join('');
    this.queue = [];
    this.queuedBytes = 0;
    this.res.write(data);
    if (this.held.length > 0) this.releaseHeld();
  }

  /**
   * Releases the held deltas once the socket drains. (A backlog that is this connection's own
   * queue is released by `flush` instead: its write may never fill the socket.)
   */
  private waitForDrain(): void {
    if (this.awaitingDrain || !this.opened) return;
    this.awaitingDrain = true;
    this.res.once('drain', () => {
      this.awaitingDrain = false;
      this.releaseHeld();
    });
  }

  /** Bytes waiting for the client: the socket's buffer and this connection's queue. */
  private backlog(): number {
    return this.queuedBytes + this.res.writableLength;
  }

  /** Sends the held deltas the backlog has room for again (a drained socket). */
  private releaseHeld(): void {
    while (!this.ended && this.held.length > 0) {
      const next = this.held[0]!;
      if (this.backlog() + next.bytes > this.streams.deltaBudgetBytes) {
        this.waitForDrain();
        return;
      }
      this.enqueue(this.unhold());
    }
  }

  /** Ends the stream after `last` (and what is queued and held before it). */
  finish(last?: Frame): void {
    if (this.ended) return;
    if (!this.opened && !this.res.destroyed) this.open();
    while (this.held.length > 0) this.queue.push(this.unhold().text);
    if (last) this.queue.push(last.text);
    this.flush();
    this.terminate();
    this.res.end();
  }

  /** The client went away: nothing more is written. */
  abandon(): void {
    if (this.ended) return;
    this.queue = [];
    this.terminate();
  }

  private cut(): void {
    this.streams.counters.cut++;
    this.queue = [];
    this.queuedBytes = 0;
    const message = `this client read too slowly: more than ${this.streams.maxBufferedBytes} bytes waited for it; reconnect with Last-Event-ID to resume`;
    const error = itemFrame({ kind: 'error', code: 'SLOW_CONSUMER', message }, false);
    if (!this.opened) {
      this.terminate();
      this.res.destroy();
      return;
    }
    this.res.write(error.text);
    this.terminate();
    this.res.end();
    const socket = this.res.socket;
    if (socket && !this.res.writableFinished) {
      const t = setTimeout(() => socket.destroy(), this.streams.cutGraceMs);
      t.unref();
      this.res.once('finish', () => clearTimeout(t));
    }
  }

  private terminate(): void {
    this.ended = true;
    this.streams.forget(this);
    this.onEnd?.();
  }
}

/**
 * Serves timelines over SSE from a Fanout. The API mounts `serve` at
 * `GET /v1/runs/:runId/timeline` and `GET /v1/timeline` (after `reply.hijack()`); the fanout
 * service's own HTTP server does the same (server.ts).
 */
export class TimelineStreams {
  readonly maxBufferedBytes: number;
  /** What a client's token deltas may take of its bound, waiting and held (Connection.sendDelta). */
  readonly deltaBudgetBytes: number;
  readonly cutGraceMs: number;
  readonly retryMs: number;
  private readonly connections = new Set<Connection>();
  /** The open streams counted in `aob_sse_clients`, with their feed. */
  private readonly counted = new Map<Connection, string>();
  private dirty = new Set<Connection>();
  private flushing = false;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly authCheck: NodeJS.Timeout;
  private checkingAuth = false;
  /** Counters (diagnostics, tests, the benchmark). */
  readonly counters = { opened: 0, cut: 0, revoked: 0, deltasDropped: 0 };

  constructor(
    readonly fanout: Fanout,
    opts: SseOptions = {},
  ) {
    this.maxBufferedBytes = opts.maxBufferedBytes ?? 1024 * 1024;
    this.deltaBudgetBytes = Math.min(DELTA_BUDGET_BYTES, Math.floor(this.maxBufferedBytes / 8));
    this.cutGraceMs = opts.cutGraceMs ?? 5_000;
    this.retryMs = opts.retryMs ?? 2_000;
    this.heartbeat = setInterval(() => {
      for (const c of this.connections) c.send(HEARTBEAT);
    }, opts.heartbeatMs ?? 15_000);
    this.heartbeat.unref();
    this.authCheck = setInterval(() => void this.checkAuth(), opts.authCheckMs ?? 2_000);
    this.authCheck.unref();
  }

  /**
   * Ends every stream whose token is no longer valid (revoked, deleted, expired): a token that
   * was good when a stream opened must not keep it open after it is withdrawn.
   */
  private async checkAuth(): Promise<void> {
    if (this.checkingAuth) return;
    this.checkingAuth = true;
    try {
      const byKey = new Map<string, { auth: StreamAuth; conns: Connection[] }>();
      for (const c of this.connections) {
        if (!c.auth) continue;
        const group = byKey.get(c.auth.key);
        if (group) group.conns.push(c);
        else byKey.set(c.auth.key, { auth: c.auth, conns: [c] });
      }
      for (const { auth, conns } of byKey.values()) {
        // A store that cannot answer now is no revocation: the next round asks again.
        const valid = await auth.valid().catch(() => true);
        if (valid) continue;
        const message = 'the token of this stream was revoked or expired; sign in again';
        for (const c of conns) {
          this.counters.revoked++;
          c.finish(itemFrame({ kind: 'error', code: 'TOKEN_REVOKED', message }, false));
        }
      }
    } finally {
      this.checkingAuth = false;
    }
  }

  /** Clients connected now. */
  get size(): number {
    return this.connections.size;
  }

  /**
   * Serves one timeline request for an authenticated principal: a run's (`runId` given) or the
   * principal's namespace's. Answers problem+json (400 bad cursor, 404 unknown or foreign run,
   * 503 stopping) when the stream cannot start; otherwise streams until the run ends, the client
   * goes, or it is cut off. Resolves once the stream is set up (not when it ends).
   */
  async serve(
    req: IncomingMessage,
    res: ServerResponse,
    principal: TimelinePrincipal,
    runId?: string,
    auth?: StreamAuth,
  ): Promise<void> {
    const parsed = timelineTarget(req, runId);
    if ('problem' in parsed) {
      sendProblem(res, parsed.problem);
      return;
    }
    const namespaceFeed = parsed.target.kind === 'namespace';
    const conn = new Connection(res, this, auth);
    this.connections.add(conn);
    let unsubscribe: (() => void) | undefined;
    let gone = false;
    const onGone = () => {
      gone = true;
      unsubscribe?.();
      if (!conn.closed) conn.abandon();
    };
    // The response's 'close' is the connection going away (or our own end); the request's
    // 'close' fires as soon as its (empty) body is read, so it says nothing about the client.
    res.once('close', onGone);
    conn.onEnd = () => unsubscribe?.();
    try {
      unsubscribe = await this.fanout.subscribe(principal, parsed.target, (item) => {
        if (item.kind === 'delta') conn.sendDelta(itemFrame(item, namespaceFeed));
        else if (item.kind === 'event') conn.send(itemFrame(item, namespaceFeed));
        else if (item.kind === 'reset') conn.send(itemFrame(item, namespaceFeed));
        else conn.finish(itemFrame(item, namespaceFeed));
      });
    } catch (err) {
      this.forget(conn);
      const e = err as { code?: unknown; message?: unknown };
      const message = typeof e.message === 'string' ? e.message : String(err);
      const status =
        e.code === TimelineErrorCode.NotFound
          ? 404
          : e.code === TimelineErrorCode.BadRequest
            ? 400
            : 503;
      const code = typeof e.code === 'string' ? e.code : 'UNAVAILABLE';
      if (!gone) sendProblem(res, problem(status, code, message));
      return;
    }
    if (gone || conn.closed) {
      unsubscribe();
      return;
    }
    this.counters.opened++;
    // Counted before it opens: a stream that ends at once is uncounted by forget.
    const feed = namespaceFeed ? 'namespace' : 'run';
    this.counted.set(conn, feed);
    recordSseClients(1, feed);
    conn.open();
  }

  /** Ends every stream (the hub's stop ends them with an error item first). */
  close(): void {
    clearInterval(this.heartbeat);
    clearInterval(this.authCheck);
    for (const c of [...this.connections]) c.finish();
  }

  schedule(c: Connection): void {
    this.dirty.add(c);
    if (this.flushing) return;
    this.flushing = true;
    setImmediate(() => {
      this.flushing = false;
      const dirty = this.dirty;
      this.dirty = new Set();
      for (const conn of dirty) conn.flush();
    });
  }

  forget(c: Connection): void {
    this.connections.delete(c);
    this.dirty.delete(c);
    const feed = this.counted.get(c);
    if (feed !== undefined) {
      this.counted.delete(c);
      recordSseClients(-1, feed);
    }
  }
}

/**
 * The target of a timeline request: `runId` from the route, `Last-Event-ID` (or `?fromSeq=` for
 * a run, `?after=` for a namespace) to resume, `?follow=true` to stay after a run's end.
 */
export function timelineTarget(
  req: IncomingMessage,
  runId: string | undefined,
): { target: TimelineTarget } | { problem: TimelineProblem } {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const header = req.headers['last-event-id'];
  const lastEventId = Array.isArray(header) ? header[0] : header;
  const errors: NonNullable<TimelineProblem['errors']> = [];
  if (runId !== undefined) {
    const fromSeq = url.searchParams.get('fromSeq');
    const raw = lastEventId ?? fromSeq ?? undefined;
    const path = lastEventId !== undefined ? 'header/Last-Event-ID' : 'query/fromSeq';
    let afterSeq = 0;
    if (raw !== undefined && raw !== '') {
      afterSeq = Number(raw);
      if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(afterSeq)) {
        errors.push({
          code: 'BAD_SEQ',
          path,
          message: `must be a seq (an integer >= 0), not "${raw}"`,
        });
      }
    }
    const follow = url.searchParams.get('follow');
    if (follow !== null && follow !== 'true' && follow !== 'false') {
      errors.push({
        code: 'BAD_FLAG',
        path: 'query/follow',
        message: `must be true or false, not "${follow}"`,
      });
    }
    if (runId === '') errors.push({ code: 'BAD_RUN_ID', path: 'path/runId', message: 'is empty' });
    if (errors.length > 0) {
      return { problem: problem(400, 'BAD_REQUEST', 'the timeline request is invalid', errors) };
    }
    return { target: { kind: 'run', runId, afterSeq, follow: follow === 'true' } };
  }
  const raw = lastEventId ?? url.searchParams.get('after') ?? undefined;
  if (raw === undefined || raw === '') return { target: { kind: 'namespace' } };
  const after = parseCursor(raw);
  if (!after) {
    const path = lastEventId !== undefined ? 'header/Last-Event-ID' : 'query/after';
    errors.push({
      code: 'BAD_CURSOR',
      path,
      message: `must be a namespace feed id "<at>:<seq>:<runId>", not "${raw}"`,
    });
    return { problem: problem(400, 'BAD_REQUEST', 'the timeline request is invalid', errors) };
  }
  return { target: { kind: 'namespace', after } };
}
