// Live updates: a feed (a run's or the namespace's timeline, a draft's feed: SSE through
// @aob/client, resuming with Last-Event-ID after a drop) whose messages are handed to the view in
// batches, one per animation frame, so a burst of events costs one render. The connection state drives the banner. Also what a live view reads
// besides the feed: a run's log up to now (readRunLog), and a summary read again after events
// without ever falling behind them (Rereader).
import { useCallback, useEffect, useRef, useState } from 'react';
import type { AobHttpClient, TimelineMessage } from '@aob/client';
import type { AnyRunEvent } from '@aob/core';

export type Connection = { state: 'live' } | { state: 'reconnecting'; reason: string };

export function useFeed<M = TimelineMessage>(
  open:
    ((signal: AbortSignal, onReconnect: (reason: string) => void) => AsyncIterable<M>) | undefined,
  onBatch: (batch: M[]) => void,
  onFailure: (err: unknown) => void,
): Connection {
  const [connection, setConnection] = useState<Connection>({ state: 'live' });
  const handler = useRef(onBatch);
  handler.current = onBatch;
  const failure = useRef(onFailure);
  failure.current = onFailure;

  useEffect(() => {
    if (!open) return;
    const abort = new AbortController();
    let queue: M[] = [];
    let frame = 0;
    const flush = () => {
      frame = 0;
      const batch = queue;
      queue = [];
      if (batch.length > 0) handler.current(batch);
    };
    void (async () => {
      try {
        for await (const m of open(abort.signal, (reason) =>
          setConnection({ state: 'reconnecting', reason }),
        )) {
          setConnection((c) => (c.state === 'live' ? c : { state: 'live' }));
          queue.push(m);
          if (frame === 0) frame = requestAnimationFrame(flush);
        }
        flush();
      } catch (err) {
        if (!abort.signal.aborted) failure.current(err);
      }
    })();
    return () => {
      abort.abort();
      if (frame !== 0) cancelAnimationFrame(frame);
    };
  }, [open]);
  return connection;
}

/**
 * Reads something again (a run's summary, the runs list) after live events without falling
 * behind them: never two reads at a time, and while events stream in, no more than one read per
 * max(`minGapMs`, twice the last read's time). `soon(true)` (an event that may change what is
 * shown) starts a read at once, or right after the one under way; `soon(false)` waits out the
 * gap. A read per batch at hundreds of events a second queues requests faster than the server
 * answers them, so what the page shows gets older and older, and the server's time goes to the
 * page instead of the runs.
 */
export class Rereader {
  private busy = false;
  private again = false;
  private urgent = false;
  private closed = false;
  private started = -Infinity;
  private took = 0;
  private wake = () => {};

  constructor(
    public read: () => Promise<void>,
    public onFailure: (err: unknown) => void,
    private readonly minGapMs = 250,
  ) {}

  soon(urgent: boolean): void {
    this.urgent ||= urgent;
    if (this.busy) {
      this.again = true;
      if (urgent) this.wake();
      return;
    }
    this.busy = true;
    void this.loop();
  }

  /** Reads are asked for again (a page mounted again). */
  open(): void {
    this.closed = false;
  }

  /** No read starts any more (the page went away). */
  close(): void {
    this.closed = true;
    this.wake();
  }

  private async loop(): Promise<void> {
    try {
      do {
        const gap = Math.max(this.minGapMs, 2 * this.took);
        const wait = this.urgent ? 0 : this.started + gap - Date.now();
        if (wait > 0) {
          await new Promise<void>((done) => {
            this.wake = done;
            setTimeout(done, wait);
          });
        }
        if (this.closed) break;
        this.again = false;
        this.urgent = false;
        this.started = Date.now();
        await this.read();
        this.took = Date.now() - this.started;
      } while (this.again && !this.closed);
    } catch (err) {
      if (!this.closed) this.onFailure(err);
    } finally {
      this.busy = false;
    }
  }
}

/** A Rereader for a page: it reads with the latest `read`, and stops when the page goes away. */
export function useRereader(
  read: () => Promise<void>,
  onFailure: (err: unknown) => void,
  minGapMs = 250,
): (urgent: boolean) => void {
  const [reader] = useState(() => new Rereader(read, onFailure, minGapMs));
  reader.read = read;
  reader.onFailure = onFailure;
  useEffect(() => {
    reader.open();
    return () => reader.close();
  }, [reader]);
  return useCallback((urgent: boolean) => reader.soon(urgent), [reader]);
}

// The most events the API gives in one page. A 20,000-event run is read in four requests: each
// costs the server a read of the log from its first seq, so fewer, larger pages load much sooner.
const PAGE = 5_000;
// After a full first page, this many pages are asked for at once: the server reads one while the
// page parses another, instead of waiting for each answer before asking for the next.
const AHEAD = 3;

/**
 * A run's whole log, a page at a time (the live feed follows on from its last event). `onFirstPage` sees the first page as soon as it is here,
 * so the graph (the IR its last event names) is fetched while the rest of the log is read.
 */
export async function readRunLog(
  client: Pick<AobHttpClient, 'runEvents'>,
  runId: string,
  onFirstPage: (events: AnyRunEvent[]) => void,
): Promise<AnyRunEvent[]> {
  const read = (fromSeq: number) => client.runEvents(runId, { fromSeq, limit: PAGE });
  const first = await read(1);
  onFirstPage(first.items);
  const out = [...first.items];
  let full = first.items.length === PAGE && first.nextCursor !== undefined;
  while (full) {
    // A run's seqs follow one another, so the next pages' first seqs are known. The log may grow
    // while they are read: only pages that follow on from a full one are kept (the live feed
    // starts after the last event kept).
    const from = out.at(-1)!.seq + 1;
    const pages = await Promise.all(Array.from({ length: AHEAD }, (_, i) => read(from + i * PAGE)));
    for (const [i, page] of pages.entries()) {
      if (page.items[0]?.seq !== from + i * PAGE) {
        full = false;
        break;
      }
      out.push(...page.items);
      full = page.items.length === PAGE && page.nextCursor !== undefined;
      if (!full) break;
    }
  }
  return out;
}
