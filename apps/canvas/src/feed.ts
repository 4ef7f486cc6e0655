// Live updates: a timeline (SSE through @aob/client, resuming with Last-Event-ID after a drop)
// whose messages are handed to the view in batches, one per animation frame, so a burst of
// events costs one render. The connection state drives the banner.
import { useEffect, useRef, useState } from 'react';
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
