// A draft's live feed over SSE (GET /v1/drafts/{draftId}/feed): `event: draft` frames whose data
// is {kind, revision, draft}, the first the draft as it is, then every change, focus and commit
// (the control plane's watchDraft: this process's at once, other replicas' within a poll), and
// `deleted` last. Heartbeat comments keep proxies from closing an idle stream; the caller's token
// is checked again now and then (revoked: the feed ends); a client that stops reading is cut off
// rather than buffered without end. Drafts change at a person's pace, so this is a plain writer:
// the run timelines' fanout (fanout/sse.ts) is built for thousands of events a second.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DraftFeedEvent } from '@aob/engine';
import type { ControlPlane } from '../control-plane.js';
import type { Principal } from '../auth/index.js';
import { problemOf } from './problem.js';

export interface DraftFeedOptions {
  /** A `: hb` comment this often. Default 15 000 ms. */
  heartbeatMs?: number;
  /** How often the caller's token is checked again. Default 5 000 ms. */
  authCheckMs?: number;
  /** Most bytes waiting for a client's socket before it is cut off. Default 1 MiB. */
  maxBufferedBytes?: number;
  /** The reconnection delay advised to clients (`retry:`). Default 2 000 ms. */
  retryMs?: number;
}

/** The open draft feeds of one server, ended together when it closes. */
export class DraftFeeds {
  private readonly open = new Set<() => void>();

  constructor(
    private readonly plane: ControlPlane,
    private readonly opts: DraftFeedOptions = {},
  ) {}

  /**
   * Serves one feed until the client goes, the draft is deleted, the token stops working or the
   * server closes. An unknown draft (or one of another namespace) answers 404 problem+json.
   */
  async serve(
    req: IncomingMessage,
    res: ServerResponse,
    principal: Principal,
    draftId: string,
    valid: () => Promise<boolean>,
  ): Promise<void> {
    const heartbeatMs = this.opts.heartbeatMs ?? 15_000;
    const authCheckMs = this.opts.authCheckMs ?? 5_000;
    const maxBuffered = this.opts.maxBufferedBytes ?? 1_048_576;
    let stop: (() => void) | undefined;
    let ended = false;
    const timers: NodeJS.Timeout[] = [];
    const end = (): void => {
      if (ended) return;
      ended = true;
      this.open.delete(end);
      stop?.();
      for (const t of timers) clearInterval(t);
      if (!res.writableEnded) res.end();
    };
    const write = (text: string): void => {
      if (ended) return;
      if (!res.headersSent) {
        res.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache, no-transform',
          connection: 'keep-alive',
          'x-accel-buffering': 'no',
        });
        res.write(`retry: ${this.opts.retryMs ?? 2_000}\n\n`);
      }
      res.write(text);
      if (res.writableLength > maxBuffered) end();
    };
    const send = (e: DraftFeedEvent): void => {
      write(`event: draft\ndata: ${JSON.stringify(e)}\n\n`);
      if (e.kind === 'deleted') end();
    };
    this.open.add(end);
    req.once('close', end);
    res.once('close', end);
    try {
      // The listener hears the draft as it is first (synchronously), then what happens to it.
      stop = await this.plane.watchDraft(principal, draftId, send);
    } catch (err) {
      this.open.delete(end);
      ended = true;
      const body = problemOf(err);
      if (!res.headersSent) {
        res
          .writeHead(body.status, { 'content-type': 'application/problem+json' })
          .end(JSON.stringify({ ...body, instance: (req.url ?? '').slice(0, 200) }));
      } else res.end();
      return;
    }
    if (ended) {
      stop();
      return;
    }
    timers.push(
      setInterval(() => write(': hb\n\n'), heartbeatMs),
      setInterval(() => {
        void valid().then(
          (ok) => {
            if (ok) return;
            write(
              `event: error\ndata: ${JSON.stringify({ code: 'TOKEN_REVOKED', message: 'the token no longer authenticates' })}\n\n`,
            );
            end();
          },
          () => undefined,
        );
      }, authCheckMs),
    );
    for (const t of timers) t.unref();
  }

  /** Ends every open feed (the server is closing). */
  close(): void {
    for (const end of [...this.open]) end();
  }
}
