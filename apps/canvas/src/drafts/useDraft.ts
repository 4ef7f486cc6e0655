// A draft as the editor holds it. The server's draft is the truth: what is shown is the last
// view the server gave (never an older one: views are ordered by revision) with the person's
// edits not yet answered laid over it. Each edit goes out as a JSON Patch from the server's
// definition with expectRevision; a stale revision (DRAFT_CONFLICT) reads the draft again and
// says so, a refused edit names its problems and leaves the graph as the server has it. Changes
// by others come over the draft's feed: the nodes they touched get a highlight and an author
// badge, and the activity list says who did what. Edits, undos and feed events are handled one
// at a time, in order, so an event is known to be the person's own (a revision one of their
// requests produced) or someone else's.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { Problem } from '@aob/core';
import { useFeed } from '../feed.js';
import type { Connection } from '../feed.js';
import { refusalText } from '../refusal.js';
import type { EditorDefinition } from '../editor/definition.js';
import type { DraftApi } from './api.js';
import type { Author, DraftFeedEvent, DraftView, When } from './types.js';
import type { Mark } from './live.js';
import {
  authorLabel,
  authorSubject,
  describeChange,
  describeOps,
  draftOps,
  editable,
  isNewer,
  markChange,
  touched,
} from './live.js';

/** How long a node keeps its author badge after someone else's change. */
export const MARK_KEEP_MS = 20_000;
/** The most activity entries kept. */
const ACTIVITY_LIMIT = 30;

export interface ActivityEntry {
  key: string;
  by: Author;
  kind: string;
  at: When;
  what: string;
  /** Nodes it touched that are still there (the entry selects the first). */
  nodes: string[];
}

export interface DraftRefusal {
  /** What the server said (its detail, or the error). */
  detail: string;
  /** Every problem it named. */
  problems: Problem[];
}

type Edit = (d: EditorDefinition) => EditorDefinition;

export interface DraftState {
  view: DraftView | undefined;
  /** The server's definition with the person's pending edits over it. */
  shown: EditorDefinition | undefined;
  pending: number;
  refusal: DraftRefusal | undefined;
  notice: string | undefined;
  marks: ReadonlyMap<string, Mark>;
  /** The nodes someone asked everyone to look at; `key` changes with each request. */
  focus: { nodes: string[]; by: Author; key: number } | undefined;
  activity: ActivityEntry[];
  deleted: boolean;
  connection: Connection;
  change: (edit: Edit) => void;
  undo: () => void;
  /** Takes a newer view (a commit's answer). */
  accept: (view: DraftView) => void;
  dismissNotice: () => void;
  dismissRefusal: () => void;
}

function isCode(err: unknown, code: string): boolean {
  return (err as { code?: unknown }).code === code;
}

export function useDraft(
  api: DraftApi,
  draftId: string,
  fail: (err: unknown) => void,
  /** The signed-in person's subject: their own commits are not announced back to them. */
  self?: string,
): DraftState {
  const [view, setView] = useState<DraftView>();
  const viewRef = useRef<DraftView | undefined>(undefined);
  const [pending, setPending] = useState<{ id: number; edit: Edit }[]>([]);
  const [refusal, setRefusal] = useState<DraftRefusal>();
  const [notice, setNotice] = useState<string>();
  const [marks, setMarks] = useState<ReadonlyMap<string, Mark>>(new Map());
  const [focus, setFocus] = useState<DraftState['focus']>();
  const [activity, setActivity] = useState<ActivityEntry[]>([]);
  const [deleted, setDeleted] = useState(false);
  const queue = useRef<Promise<void>>(Promise.resolve());
  const mine = useRef(new Set<number>());
  const lastSeq = useRef<number | undefined>(undefined);
  const nextId = useRef(0);
  const failRef = useRef(fail);
  failRef.current = fail;

  /** Runs `task` after every task before it, whatever they did. */
  const enqueue = useCallback((task: () => Promise<void>) => {
    queue.current = queue.current.then(task).catch((err: unknown) => failRef.current(err));
  }, []);

  const addActivity = useCallback((entries: ActivityEntry[]) => {
    if (entries.length === 0) return;
    setActivity((prev) => {
      const seen = new Set(prev.map((e) => e.key));
      return [...entries.filter((e) => !seen.has(e.key)).reverse(), ...prev].slice(
        0,
        ACTIVITY_LIMIT,
      );
    });
  }, []);

  /** The earlier changes after `after`, from the draft's log (said from their operations). */
  const readActivity = useCallback(
    async (after?: number) => {
      const { changes } = await api.changes(draftId, after);
      for (const c of changes) lastSeq.current = Math.max(lastSeq.current ?? 0, c.seq);
      addActivity(
        changes.map((c) => ({
          key: `c${c.seq}`,
          by: c.by,
          kind: c.kind,
          at: c.at,
          what: describeOps(c.ops),
          nodes: c.ops.flatMap((op) => {
            const v = op.value as { id?: unknown } | undefined;
            return op.op === 'add' && typeof v?.id === 'string' ? [v.id] : [];
          }),
        })),
      );
    },
    [api, draftId, addActivity],
  );

  /**
   * Shows `next` if it is newer than what is shown. Someone else's change marks the nodes it
   * touched; every change goes into the activity list.
   */
  const take = useCallback(
    async (next: DraftView, ownRequest: boolean) => {
      const before = viewRef.current;
      if (!isNewer(before, next)) return;
      viewRef.current = next;
      setView(next);
      if (before === undefined) return;
      const own = ownRequest || mine.current.has(next.revision);
      const t = touched(editable(before.definition), editable(next.definition));
      if (!own) {
        setMarks((m) => markChange(m, t, next.lastChange?.by, Date.now(), MARK_KEEP_MS));
      }
      const change = next.lastChange;
      if (change === undefined || change.seq <= (lastSeq.current ?? 0)) return;
      if (lastSeq.current === undefined || change.seq === lastSeq.current + 1) {
        lastSeq.current = change.seq;
        addActivity([
          {
            key: `c${change.seq}`,
            by: change.by,
            kind: change.kind,
            at: change.at,
            what: describeChange(editable(before.definition), editable(next.definition)),
            nodes: [...t.added, ...t.changed],
          },
        ]);
      } else {
        // Changes came between the views this page saw: read them from the draft's log.
        await readActivity(lastSeq.current);
      }
    },
    [addActivity, readActivity],
  );

  // The draft as it is, and what was done to it so far.
  useEffect(() => {
    enqueue(async () => {
      const first = await api.get(draftId);
      await take(first, false);
      await readActivity();
    });
  }, [api, draftId, enqueue, take, readActivity]);

  const onEvent = useCallback(
    (e: DraftFeedEvent) =>
      enqueue(async () => {
        await take(e.draft, false);
        if (e.kind === 'focused' && e.draft.focus) {
          const f = e.draft.focus;
          setFocus((prev) => ({ nodes: f.nodes, by: f.by, key: (prev?.key ?? 0) + 1 }));
          addActivity([
            {
              key: `f${String(f.at)}`,
              by: f.by,
              kind: 'focus',
              at: f.at,
              what: `pointed at ${f.nodes.join(', ')}`,
              nodes: f.nodes,
            },
          ]);
        } else if (e.kind === 'committed') {
          const c = e.draft.commits.at(-1);
          if (c?.by !== undefined && authorSubject(c.by) === self) return;
          setNotice(
            `${authorLabel(c?.by ?? e.draft.lastChange?.by)} committed this draft${
              c?.workflow ? ` as ${c.workflow}` : c?.runId ? ` to run ${c.runId}` : ''
            }.`,
          );
        } else if (e.kind === 'deleted') {
          setDeleted(true);
          setNotice('This draft was deleted: nothing more can be changed here.');
        }
      }),
    [enqueue, take, addActivity, self],
  );
  const open = useMemo(
    () => (signal: AbortSignal, onReconnect: (reason: string) => void) =>
      api.feed(draftId, signal, onReconnect),
    [api, draftId],
  );
  const onBatch = useCallback((batch: DraftFeedEvent[]) => batch.forEach(onEvent), [onEvent]);
  const connection = useFeed(open, onBatch, fail);

  // Badges go after a while.
  useEffect(() => {
    if (marks.size === 0) return;
    const oldest = Math.min(...[...marks.values()].map((m) => m.at));
    const timer = setTimeout(
      () =>
        setMarks((m) =>
          markChange(
            m,
            { added: [], changed: [], removed: [] },
            undefined,
            Date.now(),
            MARK_KEEP_MS,
          ),
        ),
      Math.max(0, oldest + MARK_KEEP_MS - Date.now()) + 50,
    );
    return () => clearTimeout(timer);
  }, [marks]);

  /** A request of the person's: its answer is taken as theirs; refusals say why. */
  const request = useCallback(
    async (send: () => Promise<DraftView>) => {
      try {
        const next = await send();
        mine.current.add(next.revision);
        setRefusal(undefined);
        await take(next, true);
      } catch (err) {
        if (isCode(err, 'DRAFT_CONFLICT')) {
          await take(await api.get(draftId), false);
          const by = viewRef.current?.lastChange?.by;
          setNotice(
            `The draft changed before your edit arrived${
              by ? ` (${authorLabel(by)})` : ''
            }: your edit was not applied. This is the draft as it is now.`,
          );
        } else if (isCode(err, 'NOTHING_TO_UNDO')) {
          setNotice('Nothing of yours to undo: Ctrl+Z takes back your own changes only.');
        } else if ((err as { status?: number }).status === 400) {
          const problems = (err as { errors?: Problem[] }).errors ?? [];
          setRefusal({
            detail: problems.length > 0 ? String((err as Error).message) : refusalText(err),
            problems,
          });
        } else {
          throw err;
        }
      }
    },
    [api, draftId, take],
  );

  const change = useCallback(
    (edit: Edit) => {
      if (deleted) return;
      const id = nextId.current++;
      setPending((p) => [...p, { id, edit }]);
      enqueue(async () => {
        try {
          const current = viewRef.current;
          if (!current) return;
          const ops = draftOps(current.definition, edit(editable(current.definition)));
          if (ops.length === 0) return;
          await request(() => api.change(draftId, ops, current.revision));
        } finally {
          setPending((p) => p.filter((x) => x.id !== id));
        }
      });
    },
    [api, draftId, enqueue, request, deleted],
  );

  const undo = useCallback(() => {
    if (deleted) return;
    enqueue(() => request(() => api.undo(draftId)));
  }, [api, draftId, enqueue, request, deleted]);

  const accept = useCallback((next: DraftView) => enqueue(() => take(next, true)), [enqueue, take]);

  const shown = useMemo(
    () => (view ? pending.reduce((d, p) => p.edit(d), editable(view.definition)) : undefined),
    [view, pending],
  );
  return {
    view,
    shown,
    pending: pending.length,
    refusal,
    notice,
    marks,
    focus,
    activity,
    deleted,
    connection,
    change,
    undo,
    accept,
    dismissNotice: useCallback(() => setNotice(undefined), []),
    dismissRefusal: useCallback(() => setRefusal(undefined), []),
  };
}
