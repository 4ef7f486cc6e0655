// A draft as the editor holds it, without React (useDraft.ts puts it on a page). The server's
// draft is the truth: what is shown is the last view the server gave (never an older one: views
// are ordered by revision) with the person's edits not yet answered laid over it. Each edit goes
// out as a JSON Patch from the server's definition with expectRevision; a stale revision
// (DRAFT_CONFLICT) reads the draft again and says so, a refused edit names its problems and
// leaves the draft as the server has it. Changes by others come over the draft's feed: the nodes
// they touched get an author badge, and the activity list says who did what. Edits, undos and
// feed events are handled one at a time, in order, so an event is known to be the person's own
// (a revision one of their requests produced) or someone else's.
import type { Problem } from '@aob/core';
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
  /** Nodes it touched (the entry selects the first that is still there). */
  nodes: string[];
}

export interface DraftRefusal {
  /** What the server said (its detail, or the error). */
  detail: string;
  /** Every problem it named. */
  problems: Problem[];
}

export type Edit = (d: EditorDefinition) => EditorDefinition;

export interface DraftSessionState {
  view: DraftView | undefined;
  /** The person's edits not answered yet, oldest first. */
  pending: readonly { id: number; edit: Edit }[];
  refusal: DraftRefusal | undefined;
  notice: string | undefined;
  marks: ReadonlyMap<string, Mark>;
  /** The nodes someone asked everyone to look at; `key` changes with each request. */
  focus: { nodes: string[]; by: Author; key: number } | undefined;
  /** Newest first. */
  activity: readonly ActivityEntry[];
  deleted: boolean;
}

/** The definition shown: the server's with the pending edits over it. */
export function shownOf(state: DraftSessionState): EditorDefinition | undefined {
  const { view, pending } = state;
  return view ? pending.reduce((d, p) => p.edit(d), editable(view.definition)) : undefined;
}

function isCode(err: unknown, code: string): boolean {
  return (err as { code?: unknown }).code === code;
}

export class DraftSession {
  private state: DraftSessionState = {
    view: undefined,
    pending: [],
    refusal: undefined,
    notice: undefined,
    marks: new Map(),
    focus: undefined,
    activity: [],
    deleted: false,
  };
  private readonly listeners = new Set<() => void>();
  private queue: Promise<void> = Promise.resolve();
  /** Revisions the person's own requests produced. */
  private readonly mine = new Set<number>();
  private lastSeq: number | undefined;
  private nextId = 0;

  constructor(
    private readonly api: DraftApi,
    private readonly draftId: string,
    private readonly opts: {
      onError: (err: unknown) => void;
      /** The signed-in person's subject: their own commits are not announced back to them. */
      self?: string;
      now?: () => number;
    },
  ) {}

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  readonly getState = (): DraftSessionState => this.state;

  /** Resolves once every task queued so far is done. */
  settled(): Promise<void> {
    return this.queue;
  }

  private set(patch: Partial<DraftSessionState>): void {
    this.state = { ...this.state, ...patch };
    for (const l of this.listeners) l();
  }

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  /** Runs `task` after every task before it, whatever they did. */
  private enqueue(task: () => Promise<void>): void {
    this.queue = this.queue.then(task).catch((err: unknown) => this.opts.onError(err));
  }

  /** The draft as it is, and what was done to it so far. */
  load(): void {
    this.enqueue(async () => {
      const first = await this.api.get(this.draftId);
      await this.take(first, false);
      // A draft's revision is the seq of its newest change (0 as opened).
      this.lastSeq = first.revision;
      // The latest changes only: the log is read oldest first.
      await this.readActivity(Math.max(0, first.revision - ACTIVITY_LIMIT));
    });
  }

  /** One event of the draft's feed. */
  onEvent(e: DraftFeedEvent): void {
    this.enqueue(async () => {
      await this.take(e.draft, false);
      if (e.kind === 'focused' && e.draft.focus) {
        const f = e.draft.focus;
        this.set({ focus: { nodes: f.nodes, by: f.by, key: (this.state.focus?.key ?? 0) + 1 } });
        this.addActivity([
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
        if (c !== undefined && authorSubject(c.by) === this.opts.self) return;
        const to = c?.workflow ? ` as ${c.workflow}` : c?.runId ? ` to run ${c.runId}` : '';
        this.set({ notice: `${authorLabel(c?.by)} committed this draft${to}.` });
      } else if (e.kind === 'deleted') {
        this.set({
          deleted: true,
          notice: 'This draft was deleted: nothing more can be changed here.',
        });
      }
    });
  }

  /** The person's edit: shown at once, sent as a JSON Patch on the revision it applies to. */
  change(edit: Edit): void {
    if (this.state.deleted) return;
    const id = this.nextId++;
    this.set({ pending: [...this.state.pending, { id, edit }] });
    this.enqueue(async () => {
      try {
        const current = this.state.view;
        if (!current) return;
        const ops = draftOps(current.definition, edit(editable(current.definition)));
        if (ops.length === 0) return;
        await this.request(() => this.api.change(this.draftId, ops, current.revision));
      } finally {
        this.set({ pending: this.state.pending.filter((p) => p.id !== id) });
      }
    });
  }

  /** Takes back the person's own last change. */
  undo(): void {
    if (this.state.deleted) return;
    this.enqueue(() => this.request(() => this.api.undo(this.draftId)));
  }

  /** A newer view the person's own request brought (a commit's answer). */
  accept(view: DraftView): void {
    this.enqueue(() => this.take(view, true));
  }

  dismissNotice(): void {
    this.set({ notice: undefined });
  }

  dismissRefusal(): void {
    this.set({ refusal: undefined });
  }

  /** Drops the badges that have had their time. */
  pruneMarks(): void {
    const none = { added: [], changed: [], removed: [] };
    this.set({ marks: markChange(this.state.marks, none, undefined, this.now(), MARK_KEEP_MS) });
  }

  /** A request of the person's: its answer is theirs; a conflict or a refusal is said. */
  private async request(send: () => Promise<DraftView>): Promise<void> {
    try {
      const next = await send();
      this.mine.add(next.revision);
      this.set({ refusal: undefined });
      await this.take(next, true);
    } catch (err) {
      if (isCode(err, 'DRAFT_CONFLICT')) {
        await this.take(await this.api.get(this.draftId), false);
        const by = this.state.view?.lastChange?.by;
        this.set({
          notice: `The draft changed before your edit arrived${
            by ? ` (${authorLabel(by)})` : ''
          }: your edit was not applied. This is the draft as it is now.`,
        });
      } else if (isCode(err, 'NOTHING_TO_UNDO')) {
        this.set({ notice: 'Nothing of yours to undo: Ctrl+Z takes back your own changes only.' });
      } else if ((err as { status?: number }).status === 400) {
        const problems = (err as { errors?: Problem[] }).errors ?? [];
        this.set({
          refusal: {
            detail: problems.length > 0 ? String((err as Error).message) : refusalText(err),
            problems,
          },
        });
      } else {
        throw err;
      }
    }
  }

  /**
   * Shows `next` if it is newer than what is shown. Someone else's change marks the nodes it
   * touched; every change goes into the activity list.
   */
  private async take(next: DraftView, ownRequest: boolean): Promise<void> {
    const before = this.state.view;
    if (!isNewer(before, next)) return;
    this.set({ view: next });
    if (before === undefined) return;
    const own = ownRequest || this.mine.has(next.revision);
    const t = touched(editable(before.definition), editable(next.definition));
    if (!own) {
      this.set({
        marks: markChange(this.state.marks, t, next.lastChange?.by, this.now(), MARK_KEEP_MS),
      });
    }
    const change = next.lastChange;
    if (change === undefined || change.seq <= (this.lastSeq ?? 0)) return;
    if (change.seq === (this.lastSeq ?? 0) + 1) {
      this.lastSeq = change.seq;
      this.addActivity([
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
      // Changes came between the views seen here: read them from the draft's log.
      await this.readActivity(this.lastSeq);
    }
  }

  /** The changes after `after` from the draft's log, said from their operations. */
  private async readActivity(after?: number): Promise<void> {
    const { changes } = await this.api.changes(this.draftId, after);
    for (const c of changes) this.lastSeq = Math.max(this.lastSeq ?? 0, c.seq);
    this.addActivity(
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
  }

  /** Adds entries (oldest first) to the top of the activity, each once. */
  private addActivity(entries: ActivityEntry[]): void {
    if (entries.length === 0) return;
    const seen = new Set(this.state.activity.map((e) => e.key));
    const fresh = entries.filter((e) => !seen.has(e.key)).reverse();
    this.set({ activity: [...fresh, ...this.state.activity].slice(0, ACTIVITY_LIMIT) });
  }
}
