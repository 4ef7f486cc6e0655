// A run's waterfall from its event log alone (no trace collector): one row per span-like interval
// of the run, nested by parent, each with its start (from the run's start), its duration (to its
// end, or to `now` while it goes on), its depth, a label and a status. The CLI (`aob trace`) draws
// it in a terminal and the canvas beside the graph; both take their rows from here.
//
// Rows, and what opens and closes each (ARCHITECTURE §3):
// - the run: RunStarted → RunCompleted / RunFailed / RunCancelled (waiting while RunWaiting);
// - a node attempt: NodeScheduled (queued) / NodeStarted → NodeSucceeded / NodeFailed /
//   NodeSkipped; every attempt is its own row (retries too), with its outcome and error code;
// - a map node: its fan-out (NodeScheduled with `items`) → its end, its items' attempts under it;
// - a retry's backoff: NodeRetryScheduled → TimerFired (or the next attempt);
// - waits, under their attempt: ApprovalRequested → the node's end (decisions as they come;
//   escalations and reassignments as markers), QuestionAsked → QuestionAnswered, TimerScheduled →
//   TimerFired;
// - a child run, under its attempt: ChildRunStarted → the child's end (its own rows nested when
//   its log is given; else the node's end);
// - instant markers: patches (proposed, held, applied, rejected, reverted), budget exceeded and
//   raised, an attempt sent again, a node skipped or reused from a replayed run.
// A row still open when the run ends ends with it, cancelled (an approval: at its last decision).
//
// Pure and browser-safe: types only from @aob/core, no clock (the caller passes `now`).
import type { AnyRunEvent } from '@aob/core';

export type WaterfallKind =
  | 'run'
  | 'attempt'
  | 'map'
  | 'item'
  | 'retry'
  | 'approval'
  | 'question'
  | 'timer'
  | 'child'
  | 'marker';

export type WaterfallStatus =
  | 'scheduled'
  | 'running'
  | 'waiting'
  | 'succeeded'
  | 'completed'
  | 'failed'
  | 'skipped'
  | 'cancelled'
  | 'event';

export interface WaterfallRow {
  /** Unique within the waterfall (child runs' rows included), stable as the log grows. */
  id: string;
  parentId?: string;
  /** 0 for the run, 1 for what is directly under it, … */
  depth: number;
  kind: WaterfallKind;
  label: string;
  status: WaterfallStatus;
  /** From the traced run's start, in ms. */
  startMs: number;
  /** To its end, or to `now` while open; 0 for an instant marker. */
  durationMs: number;
  /** Still going: measured to `now`. */
  open: boolean;
  /** A point in time (a marker), not an interval. */
  instant: boolean;
  /** The run whose log the row comes from (a child run's, for rows nested under it). */
  runId: string;
  nodeId?: string;
  iteration?: number;
  attempt?: number;
  /**
   * The node of the traced run to select for this row: its own node, or for rows of a child run
   * the subworkflow node that started it. Absent for rows about the run as a whole.
   */
  selectNode?: string;
  /** How it ended, in a word or two: `will retry`, `approved`, `answered`, `fired`, … */
  outcome?: string;
  errorCode?: string;
  /** One line for people: the error, who decided, tokens, … */
  detail?: string;
  /** An attempt's wait for a worker (NodeScheduled → NodeStarted), in ms. */
  queuedMs?: number;
  /** The seq of the event that opened the row (in the log of `runId`). */
  seq: number;
}

export interface WaterfallChild {
  runId: string;
  parentRunId: string;
  nodeId: string;
  /** Its log was given (its rows are nested). */
  read: boolean;
  /** Over: by its log when given, else by its node's end in the parent's log. */
  ended: boolean;
}

export type WaterfallRunStatus = 'running' | 'waiting' | 'completed' | 'failed' | 'cancelled';

export interface Waterfall {
  runId: string;
  workflow?: { name: string; version: string };
  status: WaterfallRunStatus;
  /** RunStarted's time (epoch ms). */
  startedAt: number;
  endedAt?: number;
  /** To the end, or to `now` while the run goes on. */
  durationMs: number;
  /** The W3C trace context recorded on RunStarted; absent when none was. */
  trace?: TraceContext;
  rows: WaterfallRow[];
  /** Child runs met, at any depth: those whose log was not given can be read and passed in. */
  children: WaterfallChild[];
}

export interface WaterfallOptions {
  /** The time open rows are measured to (epoch ms; never before the log's last event). */
  now: number;
  /** Logs of child runs, by run id, when readable: their rows nest under their child-run row. */
  childLogs?: ReadonlyMap<string, readonly AnyRunEvent[]>;
}

export interface TraceContext {
  traceparent: string;
  traceId: string;
  /** The span RunStarted recorded as the run's. */
  spanId: string;
  sampled: boolean;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** A W3C `traceparent` (`00-<traceId>-<spanId>-<flags>`), or undefined when it is not one. */
export function parseTraceparent(value: unknown): TraceContext | undefined {
  if (typeof value !== 'string') return undefined;
  const m = TRACEPARENT.exec(value.trim().toLowerCase());
  if (!m) return undefined;
  const [, version, traceId, spanId, flags] = m as unknown as [
    string,
    string,
    string,
    string,
    string,
  ];
  if (version === 'ff' || /^0+$/.test(traceId) || /^0+$/.test(spanId)) return undefined;
  return { traceparent: m[0], traceId, spanId, sampled: (parseInt(flags, 16) & 1) === 1 };
}

/** A row being built: its end unset while it is open. */
interface Draft {
  id: string;
  parentId: string | undefined;
  kind: WaterfallKind;
  label: string;
  status: WaterfallStatus;
  at: number;
  end: number | undefined;
  instant: boolean;
  nodeId?: string;
  iteration?: number;
  attempt?: number;
  outcome?: string;
  errorCode?: string;
  detail?: string;
  startedAt?: number;
  seq: number;
  /** Open waits and children under an attempt, closed with it. */
  kids?: Draft[];
  /** An approval's last decision. */
  decidedAt?: number;
  /** A child run's id. */
  childRunId?: string;
  /** An attempt's unit: its node id, or `id[iteration]` for a map item. */
  key?: string;
}

const unitKey = (nodeId: string, iteration: number | undefined) =>
  iteration === undefined ? nodeId : `${nodeId}[${iteration}]`;

/** A failure's tags: will it be retried, is it final, was it handled by a failure edge. */
function failureOutcome(d: { final: boolean; handled?: boolean }): string {
  if (!d.final) return 'will retry';
  return d.handled ? 'handled' : 'final';
}

function tokens(u: { promptTokens: number; completionTokens: number } | undefined): string {
  return u ? `${u.promptTokens}+${u.completionTokens} tokens` : '';
}

const joined = (...parts: (string | undefined)[]) => parts.filter(Boolean).join(' · ');

/**
 * One run's log folded into drafts. `push` takes events in seq order; `snapshot` turns what is
 * known into rows, measured to `now`.
 */
class Fold {
  runId = '';
  started: number | undefined;
  workflow: { name: string; version: string } | undefined;
  trace: TraceContext | undefined;
  status: WaterfallRunStatus = 'running';
  ended: number | undefined;
  lastAt = 0;
  readonly drafts: Draft[] = [];
  private run: Draft | undefined;
  /** Open attempts (and map fan-outs), by node id or `id[iteration]`. */
  private readonly units = new Map<string, Draft>();
  /** Open map fan-outs, by node id. */
  private readonly maps = new Map<string, Draft>();
  /** Open backoffs, by timer id and by unit. */
  private readonly backoffs = new Map<string, Draft>();
  private readonly backoffOf = new Map<string, Draft>();
  private readonly tickets = new Map<string, Draft>();
  private readonly questions = new Map<string, Draft>();
  private readonly timers = new Map<string, Draft>();
  readonly open = new Set<Draft>();
  readonly childRows: Draft[] = [];

  private add(d: Omit<Draft, 'end' | 'instant'> & { end?: number; instant?: boolean }): Draft {
    const draft: Draft = { end: undefined, instant: false, ...d };
    this.drafts.push(draft);
    if (draft.end === undefined && !draft.instant) this.open.add(draft);
    return draft;
  }

  private close(d: Draft, at: number, status: WaterfallStatus, outcome?: string): void {
    if (d.end !== undefined) return;
    d.end = at;
    d.status = status;
    if (outcome !== undefined) d.outcome = outcome;
    this.open.delete(d);
    if (d.key !== undefined && this.units.get(d.key) === d) this.units.delete(d.key);
    for (const k of d.kids ?? []) this.closeKid(k, at, status);
    delete d.kids;
  }

  /**
   * A wait, a child run or a map item still open when what it is under ends: ends with it. An
   * approval ends at its last decision; a child run as its node did.
   */
  private closeKid(k: Draft, at: number, parent: WaterfallStatus): void {
    if (k.end !== undefined) return;
    if (k.kind === 'approval' && k.decidedAt !== undefined) {
      this.close(k, k.decidedAt, 'succeeded');
    } else if (k.kind === 'child' && (parent === 'succeeded' || parent === 'failed')) {
      this.close(k, at, parent === 'succeeded' ? 'completed' : 'failed');
    } else this.close(k, at, 'cancelled', k.outcome ?? 'ended with what it was under');
  }

  private marker(
    e: AnyRunEvent,
    parent: Draft | undefined,
    label: string,
    extra: Partial<Draft> = {},
  ): Draft {
    return this.add({
      id: `${this.runId}:${e.seq}:${e.type}`,
      parentId: (parent ?? this.run)?.id,
      kind: 'marker',
      label,
      status: 'event',
      at: e.at,
      end: e.at,
      instant: true,
      seq: e.seq,
      ...extra,
    });
  }

  /** The open attempt a wait belongs to, or the run. */
  private ownerOf(nodeId: string, iteration?: number): Draft | undefined {
    return this.units.get(unitKey(nodeId, iteration)) ?? this.run;
  }

  private under(owner: Draft | undefined, d: Draft): Draft {
    if (owner && owner !== this.run) (owner.kids ??= []).push(d);
    return d;
  }

  push(e: AnyRunEvent): void {
    if (this.runId === '') this.runId = e.runId;
    this.lastAt = Math.max(this.lastAt, e.at);
    this.step(e);
    this.resume(e);
  }

  private step(e: AnyRunEvent): void {
    switch (e.type) {
      case 'RunStarted': {
        const d = e.data;
        this.started = e.at;
        this.workflow = d.workflow;
        this.trace = parseTraceparent(e.traceparent);
        this.run = this.add({
          id: `${e.runId}:run`,
          parentId: undefined,
          kind: 'run',
          label: `run ${d.workflow.name}@${d.workflow.version}`,
          status: 'running',
          at: e.at,
          seq: e.seq,
          ...(d.replay ? { detail: `replay of ${d.replay.of} from ${d.replay.fromNode}` } : {}),
        });
        return;
      }
      case 'NodeScheduled': {
        const d = e.data;
        const key = unitKey(d.nodeId, d.iteration);
        const before = this.units.get(key);
        if (before) this.close(before, e.at, 'cancelled', 'scheduled again');
        const backoff = this.backoffOf.get(key);
        if (backoff) this.close(backoff, e.at, 'succeeded', 'fired');
        const map = d.iteration === undefined ? undefined : this.maps.get(d.nodeId);
        const isMap = d.iteration === undefined && d.items !== undefined;
        const draft = this.add({
          id: `${e.runId}:${key}#${d.attempt}`,
          parentId: (map ?? this.run)?.id,
          kind: isMap ? 'map' : d.iteration !== undefined ? 'item' : 'attempt',
          label: isMap ? `${d.nodeId} (map of ${d.items})` : `${key} #${d.attempt}`,
          status: 'scheduled',
          at: e.at,
          nodeId: d.nodeId,
          ...(d.iteration !== undefined ? { iteration: d.iteration } : {}),
          attempt: d.attempt,
          seq: e.seq,
          key,
        });
        this.units.set(key, draft);
        if (map) (map.kids ??= []).push(draft);
        if (isMap) {
          draft.status = 'running';
          this.maps.set(d.nodeId, draft);
        }
        return;
      }
      case 'NodeStarted': {
        const u = this.units.get(unitKey(e.data.nodeId, e.data.iteration));
        if (u && u.attempt === e.data.attempt && u.startedAt === undefined) {
          u.startedAt = e.at;
          u.status = 'running';
        }
        return;
      }
      case 'NodeSucceeded':
      case 'NodeFailed': {
        const d = e.data;
        const key = unitKey(d.nodeId, d.iteration);
        const failed = e.type === 'NodeFailed';
        const outcome = failed ? failureOutcome(e.data) : e.data.reused;
        const error = failed ? e.data.error : undefined;
        const detail = joined(
          error ? `${error.code}: ${error.message}` : undefined,
          tokens(d.usage),
          d.reused ? `reused (${d.reused})` : undefined,
        );
        let u = this.units.get(key);
        if (!u || (u.attempt !== d.attempt && u.kind !== 'map')) {
          // Decided without an attempt: reused from a replayed run, or failed before it ran.
          const map = d.iteration === undefined ? undefined : this.maps.get(d.nodeId);
          u = this.marker(e, map, `${key}${d.reused ? ' reused' : ` #${d.attempt}`}`, {
            nodeId: d.nodeId,
            ...(d.iteration !== undefined ? { iteration: d.iteration } : {}),
            attempt: d.attempt,
            status: failed ? 'failed' : 'succeeded',
          });
          if (outcome) u.outcome = outcome;
          if (error) u.errorCode = error.code;
          if (detail) u.detail = detail;
          return;
        }
        this.units.delete(key);
        if (u.kind === 'map') this.maps.delete(d.nodeId);
        if (error) u.errorCode = error.code;
        if (detail) u.detail = detail;
        this.close(u, e.at, failed ? 'failed' : 'succeeded', outcome);
        return;
      }
      case 'NodeSkipped': {
        const u = this.units.get(e.data.nodeId);
        if (u) {
          this.units.delete(e.data.nodeId);
          u.detail = e.data.reason;
          this.close(u, e.at, 'skipped', 'skipped');
          return;
        }
        this.marker(e, undefined, `${e.data.nodeId} skipped`, {
          nodeId: e.data.nodeId,
          status: 'skipped',
          outcome: 'skipped',
          detail: e.data.reason,
        });
        return;
      }
      case 'NodeRetryScheduled': {
        const d = e.data;
        const key = unitKey(d.nodeId, d.iteration);
        const map = d.iteration === undefined ? undefined : this.maps.get(d.nodeId);
        const draft = this.add({
          id: `${e.runId}:${key}#${d.attempt}:backoff`,
          parentId: (map ?? this.run)?.id,
          kind: 'retry',
          label: `${key} backoff before #${d.attempt}`,
          status: 'waiting',
          at: e.at,
          nodeId: d.nodeId,
          ...(d.iteration !== undefined ? { iteration: d.iteration } : {}),
          attempt: d.attempt,
          seq: e.seq,
        });
        this.backoffs.set(d.timerId, draft);
        this.backoffOf.set(key, draft);
        return;
      }
      case 'NodeRedispatched': {
        const d = e.data;
        const owner = this.ownerOf(d.nodeId, d.iteration);
        this.marker(e, owner, `${unitKey(d.nodeId, d.iteration)} #${d.attempt} sent again`, {
          nodeId: d.nodeId,
          attempt: d.attempt,
          detail: 'no progress past its deadline',
        });
        return;
      }
      case 'TimerScheduled': {
        const d = e.data;
        const owner = this.ownerOf(d.nodeId);
        if (owner && owner !== this.run) owner.status = 'waiting';
        this.timers.set(
          d.timerId,
          this.under(
            owner,
            this.add({
              id: `${e.runId}:timer:${d.timerId}`,
              parentId: owner?.id,
              kind: 'timer',
              label: `timer ${d.timerId}`,
              status: 'waiting',
              at: e.at,
              nodeId: d.nodeId,
              seq: e.seq,
            }),
          ),
        );
        return;
      }
      case 'TimerFired': {
        const id = e.data.timerId;
        const backoff = this.backoffs.get(id);
        if (backoff) {
          this.backoffs.delete(id);
          this.close(backoff, e.at, 'succeeded', 'fired');
        }
        const timer = this.timers.get(id);
        if (timer) {
          this.timers.delete(id);
          this.close(timer, e.at, 'succeeded', 'fired');
        }
        return;
      }
      case 'ApprovalRequested': {
        const d = e.data;
        const owner = this.ownerOf(d.nodeId);
        if (owner && owner !== this.run) owner.status = 'waiting';
        this.tickets.set(
          d.ticketId,
          this.under(
            owner,
            this.add({
              id: `${e.runId}:approval:${d.ticketId}`,
              parentId: owner?.id,
              kind: 'approval',
              label: `approval ${d.ticketId}`,
              status: 'waiting',
              at: e.at,
              nodeId: d.nodeId,
              detail: `for ${d.approvers.join(', ') || 'anyone'}${d.quorum > 1 ? ` (${d.quorum} needed)` : ''}`,
              seq: e.seq,
            }),
          ),
        );
        return;
      }
      case 'ApprovalDecided': {
        const d = e.data;
        const t = this.tickets.get(d.ticketId);
        if (!t) return;
        t.decidedAt = e.at;
        t.outcome = d.timedOut ? `${d.decision} (timed out)` : d.decision;
        t.detail = `${d.decision} by ${d.by}${d.reason ? `: ${d.reason}` : ''}`;
        // A rejection or a timeout decides at once; approvals count toward the quorum, and the
        // ticket closes with its node.
        if (d.decision === 'rejected' || d.timedOut) this.close(t, e.at, 'succeeded');
        return;
      }
      case 'ApprovalEscalated':
      case 'ApprovalReassigned': {
        const t = this.tickets.get(e.data.ticketId);
        const verb = e.type === 'ApprovalEscalated' ? 'escalated' : 'reassigned';
        this.marker(e, t, `${e.data.ticketId} ${verb}`, {
          ...(t?.nodeId ? { nodeId: t.nodeId } : {}),
          detail: `to ${e.data.approvers.join(', ')}`,
        });
        return;
      }
      case 'QuestionAsked': {
        const d = e.data;
        const owner = this.ownerOf(d.nodeId, d.iteration);
        if (owner && owner !== this.run) owner.status = 'waiting';
        this.questions.set(
          d.questionId,
          this.under(
            owner,
            this.add({
              id: `${e.runId}:question:${d.questionId}`,
              parentId: owner?.id,
              kind: 'question',
              label: `question ${d.questionId}`,
              status: 'waiting',
              at: e.at,
              nodeId: d.nodeId,
              ...(d.iteration !== undefined ? { iteration: d.iteration } : {}),
              attempt: d.attempt,
              detail: d.question.length > 80 ? `${d.question.slice(0, 79)}…` : d.question,
              seq: e.seq,
            }),
          ),
        );
        return;
      }
      case 'QuestionAnswered': {
        const d = e.data;
        const q = this.questions.get(d.questionId);
        if (!q) return;
        this.questions.delete(d.questionId);
        q.detail = `answered by ${d.by}${d.timedOut ? ' (timed out: its default)' : ''}`;
        this.close(q, e.at, 'succeeded', d.timedOut ? 'timed out' : 'answered');
        // An agent that asked goes on in the same attempt.
        const owner = this.units.get(unitKey(d.nodeId, d.iteration));
        if (owner && owner.status === 'waiting') owner.status = 'running';
        return;
      }
      case 'ChildRunStarted': {
        const d = e.data;
        const owner = this.ownerOf(d.nodeId);
        if (owner && owner !== this.run) owner.status = 'running';
        const row = this.under(
          owner,
          this.add({
            id: `${e.runId}:child:${d.childRunId}`,
            parentId: owner?.id,
            kind: 'child',
            label: `child run ${d.childRunId} (${d.workflow})`,
            status: 'running',
            at: e.at,
            nodeId: d.nodeId,
            childRunId: d.childRunId,
            seq: e.seq,
          }),
        );
        this.childRows.push(row);
        return;
      }
      case 'PatchProposed':
        this.marker(e, undefined, `patch ${e.data.patchId} proposed`);
        return;
      case 'PatchHeld':
        this.marker(e, undefined, `patch ${e.data.patchId} held`, {
          detail: e.data.reasons.map((r) => r.code).join(', '),
        });
        return;
      case 'PatchApplied':
        this.marker(e, undefined, `patch ${e.data.patchId} applied`, {
          ...(e.data.author ? { detail: `by ${e.data.author}` } : {}),
          status: 'succeeded',
        });
        return;
      case 'PatchRejected':
        this.marker(e, undefined, `patch ${e.data.patchId} rejected`, {
          detail:
            e.data.reviewedBy !== undefined
              ? `by ${e.data.reviewedBy}`
              : e.data.violations.map((v) => v.code).join(', '),
          status: 'failed',
        });
        return;
      case 'PatchReverted':
        this.marker(e, undefined, `patch ${e.data.patchId} reverted`);
        return;
      case 'BudgetExceeded': {
        const d = e.data;
        this.marker(e, undefined, `budget exceeded (${d.limit})`, {
          detail: `${d.used} over ${d.budget} (${d.onExceeded})`,
          status: 'failed',
          errorCode: 'BUDGET_EXCEEDED',
        });
        return;
      }
      case 'BudgetRaised':
        this.marker(e, undefined, 'budget raised', { detail: `by ${e.data.by}` });
        return;
      case 'RunWaiting':
        this.status = 'waiting';
        if (this.run) this.run.status = 'waiting';
        return;
      case 'RunCompleted':
      case 'RunFailed':
      case 'RunCancelled': {
        this.status =
          e.type === 'RunCompleted' ? 'completed' : e.type === 'RunFailed' ? 'failed' : 'cancelled';
        this.ended = e.at;
        const run = this.run;
        if (e.type === 'RunFailed' && run) {
          run.errorCode = e.data.error.code;
          run.detail = `${e.data.error.code}: ${e.data.error.message}${e.data.nodeId ? ` (node ${e.data.nodeId})` : ''}`;
        }
        if (e.type === 'RunCancelled' && run) {
          const by = [e.data.by ? `by ${e.data.by}` : '', e.data.reason ?? ''].filter(Boolean);
          if (by.length > 0) run.detail = by.join(': ');
        }
        for (const d of [...this.open]) if (d !== run) this.closeKid(d, e.at, this.status);
        if (run) this.close(run, e.at, this.status);
        return;
      }
      default:
        return;
    }
  }

  /** After a decision, an answer or a timer the run is running again (as the store counts it). */
  private resume(e: AnyRunEvent): void {
    if (
      this.status === 'waiting' &&
      (e.type === 'ApprovalDecided' ||
        e.type === 'QuestionAnswered' ||
        e.type === 'BudgetRaised' ||
        e.type === 'NodeScheduled' ||
        e.type === 'TimerFired')
    ) {
      this.status = 'running';
      if (this.run) this.run.status = 'running';
    }
  }
}

/** What a fold shows at `now`, its rows offset from `origin`, under `parent` at `depth`. */
function rowsOf(
  fold: Fold,
  opts: WaterfallOptions,
  origin: number,
  graft: { parentId: string; depth: number; selectNode: string } | undefined,
  seen: Set<string>,
  children: WaterfallChild[],
): { rows: WaterfallRow[]; end: number | undefined; status: WaterfallRunStatus } {
  const now = Math.max(opts.now, fold.lastAt);
  const until = fold.ended ?? now;
  const byParent = new Map<string | undefined, Draft[]>();
  for (const d of fold.drafts) {
    // A grafted run's own row is the child-run row it hangs under.
    if (graft && d.kind === 'run') continue;
    const p = graft && d.parentId === `${fold.runId}:run` ? graft.parentId : d.parentId;
    const list = byParent.get(p);
    if (list) list.push(d);
    else byParent.set(p, [d]);
  }
  for (const list of byParent.values()) list.sort((a, b) => a.at - b.at || a.seq - b.seq);

  const rows: WaterfallRow[] = [];
  const visit = (d: Draft, parentId: string | undefined, depth: number) => {
    let end = d.end ?? until;
    let status = d.status;
    let open = d.end === undefined && !d.instant;
    const nested: WaterfallRow[] = [];
    if (d.kind === 'child' && d.childRunId) {
      const log = seen.has(d.childRunId) ? undefined : opts.childLogs?.get(d.childRunId);
      const entry: WaterfallChild = {
        runId: d.childRunId,
        parentRunId: fold.runId,
        nodeId: d.nodeId ?? '',
        read: log !== undefined && log.length > 0,
        ended: d.end !== undefined,
      };
      children.push(entry);
      if (log && log.length > 0) {
        const child = new Fold();
        for (const e of log) child.push(e);
        const inner = rowsOf(
          child,
          opts,
          origin,
          {
            parentId: d.id,
            depth: depth + 1,
            selectNode: graft?.selectNode ?? d.nodeId ?? '',
          },
          new Set([...seen, d.childRunId]),
          children,
        );
        nested.push(...inner.rows);
        status = inner.status;
        open = inner.end === undefined;
        entry.ended = !open;
        end = inner.end ?? Math.max(now, child.lastAt);
      }
    }
    const selectNode = graft?.selectNode ?? d.nodeId;
    const row: WaterfallRow = {
      id: d.id,
      ...(parentId !== undefined ? { parentId } : {}),
      depth,
      kind: d.kind,
      label: d.label,
      status,
      startMs: d.at - origin,
      durationMs: d.instant ? 0 : Math.max(0, end - d.at),
      open,
      instant: d.instant,
      runId: fold.runId,
      ...(d.nodeId !== undefined ? { nodeId: d.nodeId } : {}),
      ...(d.iteration !== undefined ? { iteration: d.iteration } : {}),
      ...(d.attempt !== undefined ? { attempt: d.attempt } : {}),
      ...(selectNode ? { selectNode } : {}),
      ...(d.outcome !== undefined ? { outcome: d.outcome } : {}),
      ...(d.errorCode !== undefined ? { errorCode: d.errorCode } : {}),
      ...(d.detail ? { detail: d.detail } : {}),
      ...(d.startedAt !== undefined ? { queuedMs: d.startedAt - d.at } : {}),
      seq: d.seq,
    };
    rows.push(row);
    rows.push(...nested);
    for (const k of byParent.get(d.id) ?? []) visit(k, d.id, depth + 1);
  };
  for (const top of byParent.get(graft?.parentId) ?? []) {
    visit(top, graft?.parentId, graft?.depth ?? 0);
  }
  // Drafts whose parent is unknown (a log that does not start with RunStarted) go at the top.
  if (!graft) {
    const known = new Set(fold.drafts.map((d) => d.id));
    for (const [p, list] of byParent) {
      if (p !== undefined && !known.has(p)) for (const d of list) visit(d, undefined, 0);
    }
  }
  return { rows, end: fold.ended, status: fold.status };
}

function build(fold: Fold, opts: WaterfallOptions): Waterfall | undefined {
  if (fold.drafts.length === 0 && fold.started === undefined) return undefined;
  const startedAt = fold.started ?? fold.drafts[0]?.at ?? fold.lastAt;
  const now = Math.max(opts.now, fold.lastAt);
  const children: WaterfallChild[] = [];
  const { rows } = rowsOf(fold, opts, startedAt, undefined, new Set([fold.runId]), children);
  return {
    runId: fold.runId,
    ...(fold.workflow ? { workflow: fold.workflow } : {}),
    status: fold.status,
    startedAt,
    ...(fold.ended !== undefined ? { endedAt: fold.ended } : {}),
    durationMs: Math.max(0, (fold.ended ?? now) - startedAt),
    ...(fold.trace ? { trace: fold.trace } : {}),
    rows,
    children,
  };
}

/**
 * A run's waterfall folded as its log grows (the canvas's live page): `of` steps over only the
 * events added since its last call when the log it is given is the last one with events appended
 * (the same event objects in front); any other log is folded from its first event.
 */
export class WaterfallFolder {
  private seen: readonly AnyRunEvent[] = [];
  private fold = new Fold();

  of(events: readonly AnyRunEvent[], opts: WaterfallOptions): Waterfall | undefined {
    const n = this.seen.length;
    const extends_ = events.length >= n && (n === 0 || events[n - 1] === this.seen[n - 1]);
    if (!extends_) this.fold = new Fold();
    for (let i = extends_ ? n : 0; i < events.length; i++) this.fold.push(events[i]!);
    this.seen = events;
    return build(this.fold, opts);
  }
}

/** The waterfall of a whole log at once; undefined for an empty log. */
export function waterfallOf(
  events: readonly AnyRunEvent[],
  opts: WaterfallOptions,
): Waterfall | undefined {
  return new WaterfallFolder().of(events, opts);
}
