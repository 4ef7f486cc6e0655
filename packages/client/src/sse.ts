// Server-sent events: an incremental parser (the WHATWG event-stream format) and a reader that
// follows a feed over fetch, reconnecting after a dropped connection with Last-Event-ID so no
// event is lost or repeated (the server resumes after that id).
import { AobUnreachableError, apiErrorFrom, unreachableFrom } from './errors.js';

/** Waits `ms`, or rejects as soon as `signal` aborts (web timers only: this runs in browsers). */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export interface SseEvent {
  /** The `id:` of the event, when it had one (the run feed's seq). */
  id?: string;
  /** The `event:` name; `message` when none was given. */
  event: string;
  /** The `data:` lines joined by newlines. */
  data: string;
}

/**
 * Feed it text as it arrives, in chunks of any size; it returns the events each chunk completes.
 * Lines end with LF, CRLF or CR; a blank line ends an event; `:` lines are comments (the server's
 * heartbeats), reported through `onComment`. Unlike a browser, an event with a name and no data is
 * still dispatched (`event: end` needs none).
 */
export class SseParser {
  private buffer = '';
  private data: string[] = [];
  private event = '';
  private id: string | undefined;
  private sawField = false;
  /** The last `id:` seen, kept across events as the spec says: what to resume after. */
  lastEventId: string | undefined;
  /** The `retry:` the server asked for, in ms. */
  retryMs: number | undefined;

  constructor(private readonly onComment: (text: string) => void = () => undefined) {}

  push(chunk: string): SseEvent[] {
    this.buffer += chunk;
    const out: SseEvent[] = [];
    for (;;) {
      const m = /\r\n|\r|\n/.exec(this.buffer);
      if (!m) break;
      // A CR at the very end may be the first half of a CRLF split across chunks: wait for more.
      if (m[0] === '\r' && m.index === this.buffer.length - 1) break;
      const line = this.buffer.slice(0, m.index);
      this.buffer = this.buffer.slice(m.index + m[0].length);
      const e = this.line(line);
      if (e) out.push(e);
    }
    return out;
  }

  private line(line: string): SseEvent | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) {
      this.onComment(line.slice(1).trimStart());
      return undefined;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'data':
        this.data.push(value);
        this.sawField = true;
        break;
      case 'event':
        this.event = value;
        this.sawField = true;
        break;
      case 'id':
        if (!value.includes('\0')) {
          this.id = value;
          this.lastEventId = value;
        }
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.retryMs = Number(value);
        break;
      default:
        break;
    }
    return undefined;
  }

  private dispatch(): SseEvent | undefined {
    const e: SseEvent | undefined = this.sawField
      ? {
          ...(this.id !== undefined ? { id: this.id } : {}),
          event: this.event || 'message',
          data: this.data.join('\n'),
        }
      : undefined;
    this.data = [];
    this.event = '';
    this.id = undefined;
    this.sawField = false;
    return e;
  }
}

export interface SseFollowOptions {
  headers?: Record<string, string>;
  /** Resume after this id (sent as Last-Event-ID on the first request too). */
  lastEventId?: string;
  /** Stops following; the iterator then ends without an error. */
  signal?: AbortSignal;
  /** The event name that ends the feed (it is not yielded). Default `end`. */
  endEvent?: string;
  /** Reconnections in a row, without an event in between, before giving up. Default 8. */
  maxRetries?: number;
  /** First reconnection delay in ms, doubled each time up to maxDelayMs. Default 250. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** A connection silent this long (not even a heartbeat) counts as dropped. Default 45 s. */
  idleTimeoutMs?: number;
  /** How long to wait for the response headers. Default 10 s. */
  connectTimeoutMs?: number;
  /** Told before each reconnection (progress on a terminal). */
  onReconnect?: (info: {
    attempt: number;
    delayMs: number;
    lastEventId?: string;
    reason: string;
  }) => void;
  fetch?: typeof fetch;
}

/**
 * Follows an SSE feed: yields its events until the end event, reconnecting after a dropped
 * connection, a silent one, or a 5xx with Last-Event-ID set to the last id received. A 4xx answer
 * is final (AobApiError); running out of retries throws AobUnreachableError.
 */
export async function* followSse(
  url: string,
  opts: SseFollowOptions = {},
): AsyncGenerator<SseEvent, void, undefined> {
  // Wrapped: a browser's fetch called off the window throws "Illegal invocation".
  const doFetch =
    opts.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  const endEvent = opts.endEvent ?? 'end';
  const maxRetries = opts.maxRetries ?? 8;
  const initialDelay = opts.initialDelayMs ?? 250;
  const maxDelay = opts.maxDelayMs ?? 10_000;
  const idleTimeout = opts.idleTimeoutMs ?? 45_000;
  const connectTimeout = opts.connectTimeoutMs ?? 10_000;
  let lastEventId = opts.lastEventId;
  let failures = 0;
  let serverRetryMs: number | undefined;

  for (;;) {
    if (opts.signal?.aborted) return;
    const conn = new AbortController();
    const onAbort = () => conn.abort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    let idle: ReturnType<typeof setTimeout> | undefined;
    const armIdle = (ms: number, why: string) => {
      clearTimeout(idle);
      idle = setTimeout(() => conn.abort(new DOMException(why, 'TimeoutError')), ms);
    };
    let reason: string;
    try {
      armIdle(connectTimeout, 'TIMEOUT');
      const headers: Record<string, string> = {
        accept: 'text/event-stream',
        'cache-control': 'no-cache',
        ...opts.headers,
      };
      if (lastEventId !== undefined) headers['last-event-id'] = lastEventId;
      let res: Response;
      try {
        res = await doFetch(url, { headers, signal: conn.signal });
      } catch (err) {
        if (opts.signal?.aborted) return;
        throw unreachableFrom(url, conn.signal.reason ?? err, connectTimeout);
      }
      if (!res.ok) {
        const body = await res.text().catch(() => '');
        const apiErr = apiErrorFrom(res.status, res.statusText, body);
        if (!apiErr.retryable) throw apiErr;
        throw new AobUnreachableError(url, `HTTP_${res.status}`, apiErr.message);
      }
      if (!res.body) throw new AobUnreachableError(url, 'NO_BODY', `${url} sent no event stream`);
      const parser = new SseParser();
      const decoder = new TextDecoder();
      const reader = res.body.getReader();
      armIdle(idleTimeout, 'IDLE');
      try {
        for (;;) {
          let chunk: Awaited<ReturnType<typeof reader.read>>;
          try {
            chunk = await reader.read();
          } catch (err) {
            if (opts.signal?.aborted) return;
            throw unreachableFrom(url, err);
          }
          if (chunk.done) break;
          armIdle(idleTimeout, 'IDLE');
          for (const e of parser.push(decoder.decode(chunk.value, { stream: true }))) {
            if (parser.retryMs !== undefined) serverRetryMs = parser.retryMs;
            if (e.id !== undefined) lastEventId = e.id;
            if (e.event === endEvent) return;
            // An event came through: the connection works, so later drops start counting anew.
            failures = 0;
            yield e;
          }
        }
      } finally {
        reader.cancel().catch(() => undefined);
      }
      reason = 'the server closed the stream before its end event';
    } catch (err) {
      if (opts.signal?.aborted) return;
      if ((err as { code?: unknown }).code !== 'SERVER_UNREACHABLE') throw err;
      reason = (err as Error).message;
      if ((conn.signal.reason as { message?: unknown } | undefined)?.message === 'IDLE') {
        reason = `no data from the server for ${idleTimeout} ms`;
      }
    } finally {
      clearTimeout(idle);
      opts.signal?.removeEventListener('abort', onAbort);
      conn.abort();
    }
    failures++;
    if (failures > maxRetries) {
      throw new AobUnreachableError(
        url,
        'RETRIES_EXHAUSTED',
        `lost the event stream ${url} and could not reconnect after ${maxRetries} attempts: ${reason}`,
      );
    }
    // The server's `retry:` is a floor; repeated failures still back off beyond it.
    const delayMs = Math.min(
      maxDelay,
      Math.max(serverRetryMs ?? 0, initialDelay * 2 ** (failures - 1)),
    );
    opts.onReconnect?.({
      attempt: failures,
      delayMs,
      ...(lastEventId !== undefined ? { lastEventId } : {}),
      reason,
    });
    try {
      await sleep(delayMs, opts.signal);
    } catch {
      return; // aborted while waiting
    }
  }
}
