// The ids of a namespace feed's events, and what resuming from one guarantees.
//
// A namespace feed interleaves many runs, so no single (runId, seq) says where the client was in
// every other run. Its id is `<at>:<seq>:<runId>` — the event's `at` (the time the orchestrator
// decided it, identical on every fanout replica) is the resume cursor; seq and runId pin the exact
// event. Resuming with cursor (T, r, s) re-delivers, in seq order per run:
//   - events of run r with seq > s, and
//   - events of every other run of the namespace with at >= T - window,
// for the runs of the namespace that are found by the resume scan: every run whose summary was
// updated at or after T - window among the namespace's `scanLimit` most recently started runs.
// If the scan stopped at its limit (older runs were not looked at) the feed says so with one
// `reset` item before the live events: the guarantee above then holds only for the runs scanned.
// Duplicates are possible for other runs' events inside the window (at-least-once across a
// reconnect; a client that keeps (runId, seq) pairs drops them); within one connection every
// (runId, seq) is delivered once, in seq order per run, without gaps from the run's first
// delivered event on. The window (default 10 s) must exceed clock skew between orchestrators
// plus commit-to-announce latency; an event older than that which arrives late is still
// delivered live, but a resume may not re-deliver it.
import type { NamespaceCursor } from './types.js';

export function encodeCursor(c: NamespaceCursor): string {
  return `${c.at}:${c.seq}:${c.runId}`;
}

/** Parses a namespace feed id; undefined when it is not one (the caller reports a bad request). */
export function parseCursor(raw: string): NamespaceCursor | undefined {
  const first = raw.indexOf(':');
  const second = first < 0 ? -1 : raw.indexOf(':', first + 1);
  if (second < 0) return undefined;
  const at = Number(raw.slice(0, first));
  const seq = Number(raw.slice(first + 1, second));
  const runId = raw.slice(second + 1);
  if (!Number.isSafeInteger(at) || at < 0) return undefined;
  if (!Number.isSafeInteger(seq) || seq < 1) return undefined;
  if (runId === '' || raw.slice(0, first).trim() === '') return undefined;
  return { at, seq, runId };
}
