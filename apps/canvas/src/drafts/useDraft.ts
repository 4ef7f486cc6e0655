// A DraftSession (session.ts) on a page: its state as React state, the draft's live feed handed
// to it in batches (useFeed), and its badges dropped when their time is up.
import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { useFeed } from '../feed.js';
import type { Connection } from '../feed.js';
import type { EditorDefinition } from '../editor/definition.js';
import type { DraftApi } from './api.js';
import type { DraftFeedEvent, DraftView } from './types.js';
import type { DraftSessionState, Edit } from './session.js';
import { DraftSession, MARK_KEEP_MS, shownOf } from './session.js';

export type { ActivityEntry, DraftRefusal } from './session.js';

export interface DraftState extends Omit<DraftSessionState, 'pending'> {
  /** The server's definition with the person's pending edits over it. */
  shown: EditorDefinition | undefined;
  /** How many of the person's edits are not answered yet. */
  pending: number;
  connection: Connection;
  change: (edit: Edit) => void;
  undo: () => void;
  /** Takes a newer view (a commit's answer). */
  accept: (view: DraftView) => void;
  dismissNotice: () => void;
  dismissRefusal: () => void;
}

export function useDraft(
  api: DraftApi,
  draftId: string,
  fail: (err: unknown) => void,
  /** The signed-in person's subject: their own commits are not announced back to them. */
  self?: string,
): DraftState {
  const failRef = useRef(fail);
  failRef.current = fail;
  // The page is keyed by its draft: one session for its life.
  const [session] = useState(
    () =>
      new DraftSession(api, draftId, {
        onError: (err) => failRef.current(err),
        ...(self !== undefined ? { self } : {}),
      }),
  );
  const state = useSyncExternalStore(session.subscribe, session.getState);
  useEffect(() => session.load(), [session]);

  const open = useMemo(
    () => (signal: AbortSignal, onReconnect: (reason: string) => void) =>
      api.feed(draftId, signal, onReconnect),
    [api, draftId],
  );
  const onBatch = useCallback(
    (batch: DraftFeedEvent[]) => batch.forEach((e) => session.onEvent(e)),
    [session],
  );
  const connection = useFeed(open, onBatch, fail);

  // Badges go after a while.
  const { marks } = state;
  useEffect(() => {
    if (marks.size === 0) return;
    const oldest = Math.min(...[...marks.values()].map((m) => m.at));
    const timer = setTimeout(
      () => session.pruneMarks(),
      Math.max(0, oldest + MARK_KEEP_MS - Date.now()) + 50,
    );
    return () => clearTimeout(timer);
  }, [session, marks]);

  const shown = useMemo(() => shownOf(state), [state.view, state.pending]);
  return {
    ...state,
    shown,
    pending: state.pending.length,
    connection,
    change: useCallback((edit: Edit) => session.change(edit), [session]),
    undo: useCallback(() => session.undo(), [session]),
    accept: useCallback((view: DraftView) => session.accept(view), [session]),
    dismissNotice: useCallback(() => session.dismissNotice(), [session]),
    dismissRefusal: useCallback(() => session.dismissRefusal(), [session]),
  };
}
