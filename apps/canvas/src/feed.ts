// Live updates: a timeline (SSE through @aob/client, resuming with Last-Event-ID after a drop)
// whose messages are handed to the view in batches, one per animation frame, so a burst of
// events costs one render. The connection state drives the banner.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { TimelineMessage } from '@aob/client';

export type Connection = { state: 'live' } | { state: 'reconnecting'; reason: string };

export function useFeed(
  open:
    | ((
        signal: AbortSignal,
        onReconnect: (reason: string) => void,
      ) => AsyncIterable<TimelineMessage>)
    | undefined,
  onBatch: (batch: TimelineMessage[]) => void,
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
    let queue: TimelineMessage[] = [];
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
