// A run's event history, virtualised: rows have one height, so only the rows in view (and a few
// around them) are in the page, however many thousands of events the run has. "Failed only"
// narrows it to failures; new events keep the view pinned to the end while it is at the end.
import { memo, useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { AnyRunEvent } from '@aob/core';

const ROW = 26;
const OVERSCAN = 20;
const HEIGHT = 300;

export function History({ events }: { events: readonly AnyRunEvent[] }) {
  const [failedOnly, setFailedOnly] = useState(false);
  // Where the list is scrolled to, or undefined while it follows the end.
  const [top, setTop] = useState<number>();
  const box = useRef<HTMLOListElement>(null);
  const shown = useMemo(
    () => (failedOnly ? events.filter((e) => e.type.includes('Failed')) : events),
    [events, failedOnly],
  );
  const total = shown.length * ROW;

  // Following the end, the rows drawn are the last ones, known without asking the page where the
  // list is: a batch of live events is drawn in one render, and the scroll to the end (which the
  // browser clamps) follows in the same frame. Reading the list's scrollHeight after each batch
  // forced a layout of the page, and the scroll event it caused drew the list a second time.
  useLayoutEffect(() => {
    if (top === undefined && box.current) box.current.scrollTop = total;
  }, [top, total]);
  const viewTop = top ?? Math.max(0, total - HEIGHT);
  const first = Math.max(0, Math.floor(viewTop / ROW) - OVERSCAN);
  const last = Math.min(shown.length, Math.ceil((viewTop + HEIGHT) / ROW) + OVERSCAN);
  return (
    <section className="history" aria-label="event history">
      <header>
        <h2>
          History ({events.length} events{failedOnly ? `, ${shown.length} shown` : ''})
        </h2>
        <label>
          <input
            type="checkbox"
            checked={failedOnly}
            onChange={(e) => {
              setFailedOnly(e.target.checked);
              setTop(undefined);
            }}
          />{' '}
          Failed only
        </label>
      </header>
      <ol
        ref={box}
        tabIndex={0}
        aria-label="events"
        // Strict containment: what changes in the list is laid out without the rest of the page.
        style={{ height: HEIGHT, position: 'relative', contain: 'strict' }}
        onScroll={(e) => {
          const el = e.currentTarget;
          setTop(el.scrollTop + el.clientHeight >= total - ROW ? undefined : el.scrollTop);
        }}
      >
        <li aria-hidden="true" className="spacer" style={{ height: total }} />
        {shown.slice(first, last).map((e, i) => (
          <Row key={e.seq} event={e} top={(first + i) * ROW} />
        ))}
      </ol>
    </section>
  );
}

/** One event; drawn again only when it moves (a row already in view stays as it is). */
const Row = memo(function Row({ event: e, top }: { event: AnyRunEvent; top: number }) {
  return (
    <li data-seq={e.seq} style={{ position: 'absolute', top, height: ROW }}>
      <span className="seq">{e.seq}</span>
      <span className="event-type">{e.type}</span>
      <span>{(e.data as { nodeId?: string }).nodeId ?? ''}</span>
      <time>{new Date(e.at).toLocaleTimeString()}</time>
    </li>
  );
});
