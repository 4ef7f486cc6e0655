// The reference EventStore: plain maps and arrays, no I/O. It defines the behaviour the durable
// adapters must match (the conformance suite runs against it first) and is fast enough to drive
// the engine benchmarks: an append is an O(1) seq check plus array pushes.
//
// Events are immutable facts, so this adapter shares the appended objects instead of copying
// them; callers must not mutate an event after appending it or after reading it.
import type { AnyNewEvent, AnyRunEvent } from '@aob/core';
import type {
  DraftStore,
  ScheduleStore,
  EventStore,
  InboxCommand,
  Lease,
  NamespaceBudgetRecord,
  TokenRecord,
  RunFilter,
  RunSummary,
  WorkflowPatchRecord,
  WorkflowPatchStatus,
  WorkflowRecord,
} from './port.js';
import { seqConflict, workflowExists } from './errors.js';
import { MemoryDrafts } from './memory-drafts.js';
import { MemorySchedules } from './memory-schedules.js';
import { runKey, runKeysOf, runStart, statusAfterAll, toEnvelope } from './run-log.js';
import type { RunKeyKind } from './run-log.js';

interface RunLog {
  events: AnyRunEvent[];
  summary: RunSummary;
  /** Creation order, the tie-break for runs started in the same millisecond (newest first). */
  order: number;
}

interface InboxEntry extends InboxCommand {
  done: boolean;
}

export class MemoryEventStore implements EventStore {
  private tokens: TokenRecord[] = [];
  /** Namespace budgets, as JSON: a caller never holds a reference into the store. */
  private readonly budgets = new Map<string, string>();
  private readonly runs = new Map<string, RunLog>();
  /** Patch and ticket ids to their run (runKeysOf), set with the events that introduce them. */
  private readonly runKeys = new Map<string, string>();
  private readonly workflows = new Map<string, WorkflowRecord[]>();
  /** Patch records as JSON text (what the durable adapters store), in insertion order. */
  private readonly patches = new Map<
    string,
    { workflow: string; status: WorkflowPatchStatus; json: string }
  >();
  private readonly leases = new Map<string, Lease>();
  private readonly inbox = new Map<string, InboxEntry[]>();
  private readonly commands = new Map<number, InboxEntry>();
  private nextRunOrder = 0;
  private nextCommandId = 1;

  // Everything up to the first await runs synchronously, so check-then-append is atomic here.
  async append(
    runId: string,
    irHash: string,
    expectedSeq: number,
    events: readonly AnyNewEvent[],
  ): Promise<AnyRunEvent[]> {
    const log = this.runs.get(runId);
    const lastSeq = log === undefined ? 0 : log.summary.lastSeq;
    if (expectedSeq !== lastSeq) throw seqConflict(runId, expectedSeq, lastSeq);
    // An empty append is a seq check only: it creates no run and moves nothing.
    if (events.length === 0) return [];

    const appended: AnyRunEvent[] = new Array<AnyRunEvent>(events.length);
    for (let i = 0; i < events.length; i++) {
      appended[i] = toEnvelope(runId, irHash, lastSeq + i + 1, events[i] as AnyNewEvent);
    }
    const status = statusAfterAll(events);
    const updatedAt = (events[events.length - 1] as AnyNewEvent).at;

    if (log === undefined) {
      const start = runStart(runId, events);
      const summary: RunSummary = {
        runId,
        workflow: start.workflow,
        irHash,
        status: status ?? 'running',
        startedAt: start.startedAt,
        updatedAt,
        lastSeq: events.length,
        namespace: start.namespace,
      };
      if (start.parentRunId !== undefined) summary.parentRunId = start.parentRunId;
      this.runs.set(runId, { events: [...appended], summary, order: this.nextRunOrder++ });
    } else {
      for (const e of appended) log.events.push(e);
      const s = log.summary;
      s.lastSeq += events.length;
      s.updatedAt = updatedAt;
      s.irHash = irHash;
      if (status !== undefined) s.status = status;
    }
    for (const key of runKeysOf(events)) if (!this.runKeys.has(key)) this.runKeys.set(key, runId);
    return appended;
  }

  async read(runId: string, fromSeq = 1): Promise<AnyRunEvent[]> {
    const log = this.runs.get(runId);
    // seq n sits at index n-1: the log is dense from 1.
    return log === undefined ? [] : log.events.slice(Math.max(0, fromSeq - 1));
  }

  async getRun(runId: string): Promise<RunSummary | undefined> {
    const log = this.runs.get(runId);
    return log === undefined ? undefined : { ...log.summary };
  }

  async findRun(kind: RunKeyKind, id: string): Promise<string | undefined> {
    return this.runKeys.get(runKey(kind, id));
  }

  async listRuns(filter: RunFilter = {}): Promise<RunSummary[]> {
    // An absent or empty status list means no status filter.
    const wanted =
      filter.status !== undefined && filter.status.length > 0 ? new Set(filter.status) : undefined;
    const logs = [...this.runs.values()].filter(
      (l) =>
        (wanted === undefined || wanted.has(l.summary.status)) &&
        (filter.namespace === undefined || l.summary.namespace === filter.namespace),
    );
    logs.sort((a, b) => b.summary.startedAt - a.summary.startedAt || b.order - a.order);
    const from = filter.offset ?? 0;
    const limited = logs.slice(from, filter.limit === undefined ? undefined : from + filter.limit);
    return limited.map((l) => ({ ...l.summary }));
  }

  async putWorkflow(record: WorkflowRecord): Promise<void> {
    const versions = this.workflows.get(record.name) ?? [];
    const i = versions.findIndex((w) => w.version === record.version);
    // A put always leaves the version not retired (see the port).
    const registered = { ...record };
    delete registered.retiredAt;
    if (i >= 0 && versions[i]!.irHash !== record.irHash) {
      throw workflowExists(record.name, record.version, versions[i]!.irHash);
    }
    // Re-registering a version updates it in place (as an upsert keeps its row).
    if (i >= 0) versions[i] = registered;
    else versions.push(registered);
    this.workflows.set(record.name, versions);
  }

  async getWorkflow(name: string, version?: string): Promise<WorkflowRecord | undefined> {
    const versions = this.workflows.get(name) ?? [];
    let found: WorkflowRecord | undefined;
    if (version !== undefined) {
      found = versions.find((w) => w.version === version);
    } else {
      // The most recently registered non-retired one; on a tie, the one registered last.
      for (const w of versions) {
        if (w.retiredAt !== undefined) continue;
        if (found === undefined || w.registeredAt >= found.registeredAt) found = w;
      }
    }
    return found === undefined ? undefined : { ...found };
  }

  async listWorkflows(): Promise<WorkflowRecord[]> {
    const all = [...this.workflows.values()].flat().map((w) => ({ ...w }));
    return all.sort((a, b) => cmp(a.name, b.name) || a.registeredAt - b.registeredAt);
  }

  async retireWorkflow(name: string, version: string, at: number): Promise<boolean> {
    const found = (this.workflows.get(name) ?? []).find((w) => w.version === version);
    if (found === undefined) return false;
    found.retiredAt = at;
    return true;
  }

  // Synchronous up to the return, so each compare-and-set is atomic here.
  async putWorkflowPatch(
    record: WorkflowPatchRecord,
    expected: WorkflowPatchStatus | null,
  ): Promise<boolean> {
    const current = this.patches.get(record.patchId);
    if (expected === null ? current !== undefined : current?.status !== expected) return false;
    // Stored as JSON, so the record reads back as the durable adapters return it, and later
    // mutations of the caller's object do not leak in. Map.set on an existing key keeps its order.
    this.patches.set(record.patchId, {
      workflow: record.workflow,
      status: record.status,
      json: JSON.stringify(record),
    });
    return true;
  }

  async getWorkflowPatch(patchId: string): Promise<WorkflowPatchRecord | undefined> {
    const stored = this.patches.get(patchId);
    return stored === undefined ? undefined : (JSON.parse(stored.json) as WorkflowPatchRecord);
  }

  async listWorkflowPatches(workflow?: string): Promise<WorkflowPatchRecord[]> {
    const out: WorkflowPatchRecord[] = [];
    for (const p of this.patches.values()) {
      if (workflow === undefined || p.workflow === workflow) {
        out.push(JSON.parse(p.json) as WorkflowPatchRecord);
      }
    }
    return out;
  }

  async acquireLease(runId: string, owner: string, ttlMs: number, now: number): Promise<boolean> {
    const held = this.leases.get(runId);
    if (held !== undefined && held.owner !== owner && held.expiresAt > now) return false;
    this.leases.set(runId, { runId, owner, expiresAt: now + ttlMs });
    return true;
  }

  async takeOverLease(
    runId: string,
    from: string,
    owner: string,
    ttlMs: number,
    now: number,
  ): Promise<boolean> {
    if (this.leases.get(runId)?.owner !== from) return false;
    this.leases.set(runId, { runId, owner, expiresAt: now + ttlMs });
    return true;
  }

  async renewLeases(owner: string, ttlMs: number, now: number): Promise<void> {
    for (const lease of this.leases.values()) {
      if (lease.owner === owner) lease.expiresAt = now + ttlMs;
    }
  }

  async releaseLease(runId: string, owner: string): Promise<void> {
    if (this.leases.get(runId)?.owner === owner) this.leases.delete(runId);
  }

  async getLease(runId: string): Promise<Lease | undefined> {
    const held = this.leases.get(runId);
    return held === undefined ? undefined : { ...held };
  }

  async enqueueCommand(runId: string, type: string, payload: unknown, at: number): Promise<number> {
    const id = this.nextCommandId++;
    // Payloads are JSON: undefined becomes null, as the durable adapters store it.
    const entry: InboxEntry = { id, runId, type, payload: payload ?? null, at, done: false };
    const queue = this.inbox.get(runId);
    if (queue === undefined) this.inbox.set(runId, [entry]);
    else queue.push(entry);
    this.commands.set(id, entry);
    return id;
  }

  async pendingCommands(runId?: string): Promise<InboxCommand[]> {
    const queue =
      runId === undefined
        ? [...this.inbox.values()].flat().sort((a, b) => a.id - b.id)
        : (this.inbox.get(runId) ?? []);
    return queue.map(({ id, runId: r, type, payload, at }) => ({
      id,
      runId: r,
      type,
      payload,
      at,
    }));
  }

  async completeCommands(ids: readonly number[]): Promise<void> {
    const touched = new Set<string>();
    for (const id of ids) {
      const entry = this.commands.get(id);
      if (entry === undefined) continue;
      entry.done = true;
      this.commands.delete(id);
      touched.add(entry.runId);
    }
    // Completed commands are forgotten: only pending ones are kept, in id order.
    for (const runId of touched) {
      const pending = (this.inbox.get(runId) ?? []).filter((c) => !c.done);
      if (pending.length === 0) this.inbox.delete(runId);
      else this.inbox.set(runId, pending);
    }
  }

  // ---- drafts (memory-drafts.ts) ----
  private readonly drafts = new MemoryDrafts();
  createDraft: DraftStore['createDraft'] = (record) => this.drafts.createDraft(record);
  getDraft: DraftStore['getDraft'] = (draftId) => this.drafts.getDraft(draftId);
  listDrafts: DraftStore['listDrafts'] = (namespace, page) =>
    this.drafts.listDrafts(namespace, page);
  appendDraftChange: DraftStore['appendDraftChange'] = (...args) =>
    this.drafts.appendDraftChange(...args);
  draftChanges: DraftStore['draftChanges'] = (...args) => this.drafts.draftChanges(...args);
  setDraftFocus: DraftStore['setDraftFocus'] = (...args) => this.drafts.setDraftFocus(...args);
  addDraftCommit: DraftStore['addDraftCommit'] = (...args) => this.drafts.addDraftCommit(...args);
  deleteDraft: DraftStore['deleteDraft'] = (draftId) => this.drafts.deleteDraft(draftId);

  // ---- schedules (memory-schedules.ts) ----
  private readonly schedules = new MemorySchedules();
  createSchedule: ScheduleStore['createSchedule'] = (r) => this.schedules.createSchedule(r);
  getSchedule: ScheduleStore['getSchedule'] = (id) => this.schedules.getSchedule(id);
  listSchedules: ScheduleStore['listSchedules'] = (namespace, page) =>
    this.schedules.listSchedules(namespace, page);
  updateSchedule: ScheduleStore['updateSchedule'] = (r, expected) =>
    this.schedules.updateSchedule(r, expected);
  deleteSchedule: ScheduleStore['deleteSchedule'] = (id) => this.schedules.deleteSchedule(id);
  claimDueSchedules: ScheduleStore['claimDueSchedules'] = (...args) =>
    this.schedules.claimDueSchedules(...args);

  async putNamespaceBudget(record: NamespaceBudgetRecord): Promise<void> {
    this.budgets.set(record.namespace, JSON.stringify(record));
  }

  async getNamespaceBudget(namespace: string): Promise<NamespaceBudgetRecord | undefined> {
    const stored = this.budgets.get(namespace);
    return stored === undefined ? undefined : (JSON.parse(stored) as NamespaceBudgetRecord);
  }

  async deleteNamespaceBudget(namespace: string): Promise<boolean> {
    return this.budgets.delete(namespace);
  }

  async putToken(record: TokenRecord): Promise<boolean> {
    if (this.tokens.some((t) => t.tokenId === record.tokenId || t.hash === record.hash)) {
      return false;
    }
    this.tokens.push(structuredClone(record));
    return true;
  }

  async findToken(hash: string): Promise<TokenRecord | undefined> {
    const t = this.tokens.find((r) => r.hash === hash);
    return t && structuredClone(t);
  }

  async listTokens(namespace?: string): Promise<TokenRecord[]> {
    return this.tokens
      .filter((t) => namespace === undefined || t.namespace === namespace)
      .map((t) => structuredClone(t));
  }

  async revokeToken(tokenId: string, at: number): Promise<boolean> {
    const t = this.tokens.find((r) => r.tokenId === tokenId && r.revokedAt === undefined);
    if (!t) return false;
    t.revokedAt = at;
    return true;
  }

  async deleteExpiredTokens(before: number): Promise<number> {
    const kept = this.tokens.filter((t) => t.expiresAt === undefined || t.expiresAt >= before);
    const deleted = this.tokens.length - kept.length;
    this.tokens = kept;
    return deleted;
  }

  async close(): Promise<void> {}
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
