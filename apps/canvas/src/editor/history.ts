// Undo and redo over immutable values: the past, the present and the undone future. A change
// that yields the same value is not a step (nothing to undo).
import { useCallback, useState } from 'react';

export interface History<T> {
  past: T[];
  present: T;
  future: T[];
}

/** The most steps kept; older ones fall off (a long session must not grow without bound). */
export const HISTORY_LIMIT = 200;

export function record<T>(h: History<T>, next: T): History<T> {
  if (next === h.present) return h;
  return { past: [...h.past, h.present].slice(-HISTORY_LIMIT), present: next, future: [] };
}

export function undo<T>(h: History<T>): History<T> {
  const previous = h.past.at(-1);
  if (previous === undefined) return h;
  return { past: h.past.slice(0, -1), present: previous, future: [h.present, ...h.future] };
}

export function redo<T>(h: History<T>): History<T> {
  const [next, ...rest] = h.future;
  if (next === undefined) return h;
  return { past: [...h.past, h.present], present: next, future: rest };
}

/** A value with undo/redo; `reset` starts a new history (a loaded or saved workflow). */
export function useHistory<T>(initial: T) {
  const [h, setH] = useState<History<T>>({ past: [], present: initial, future: [] });
  return {
    value: h.present,
    canUndo: h.past.length > 0,
    canRedo: h.future.length > 0,
    change: useCallback((f: (v: T) => T) => setH((x) => record(x, f(x.present))), []),
    undo: useCallback(() => setH(undo), []),
    redo: useCallback(() => setH(redo), []),
    reset: useCallback((v: T) => setH({ past: [], present: v, future: [] }), []),
  };
}
