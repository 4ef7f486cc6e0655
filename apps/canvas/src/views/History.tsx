// A run's event history, virtualised: rows have one height, so only the rows in view (and a few
// around them) are in the page, however many thousands of events the run has. "Failed only"
// narrows it to failures; new events keep the view pinned to the end while it is at the end.
import { useEffect, useRef, useState } from 'react';
import type { AnyRunEvent } from '@aob/core';

const ROW = 26;
const OVERSCAN = 20;
const HEIGHT = 300;

export function History({ events }: { events: readonly AnyRunEvent[] }) {
  const [failedOnly, setFailedOnly] = useState(false);
  const [top, setTop] = useState(0);
  const box = useRef<HTMLOListElement>(null);
  const pinned = useRef(true);
  const shown = failedOnly ? events.filter((e) => e.type.includes('Failed')) : events;

  useEffect(() => {
    const el = box.current;
    if (el && pinned.current) el.scrollTop = el.scrollHeight;
  }, [shown.length]);

  const first = Math.max(0, Math.floor(top / ROW) - OVERSCAN);
  const last = Math.min(shown.length, Math.ceil((top + HEIGHT) / ROW) + OVERSCAN);
  return (
    <section className="history" aria-label="event history">
      <header>
        <h2>History ({events.length} events)</h2>
        <label>
          <input
            type="checkbox"
            checked={failedOnly}
            onChange={(e) => setFailedOnly(e.target.checked)}
          />{' '}
          Failed only
        </label>
      </header>
      <ol
        ref={box}
        tabIndex={0}
        aria-label="events"
        style={{ height: HEIGHT, position: 'relative' }}
        onScroll={(e) => {
          const el = e.currentTarget;
          setTop(el.scrollTop);
          pinned.current = el.scrollTop + el.clientHeight >= el.scrollHeight - ROW;
        }}
      >
        <li aria-hidden="true" className="spacer" style={{ height: shown.length * ROW }} />
        {shown.slice(first, last).map((e, i) => (
          <li
            key={e.seq}
            data-seq={e.seq}
            style={{ position: 'absolute', top: (first + i) * ROW, height: ROW }}
          >
            <span className="seq">{e.seq}</span>
            <span className="event-type">{e.type}</span>
            <span>{(e.data as { nodeId?: string }).nodeId ?? ''}</span>
            <time>{new Date(e.at).toLocaleTimeString()}</time>
          </li>
        ))}
      </ol>
    </section>
  );
}
