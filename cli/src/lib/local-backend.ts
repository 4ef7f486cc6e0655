// The Backend over the local engine on AOB_HOME: the commands' behaviour before server mode,
// unchanged (runs are driven in this process; other processes hand over through the store).
import { setTimeout as sleep } from 'node:timers/promises';
import type { AnyRunEvent, Budget, RunStatus } from '@aob/core';
import { TERMINAL_EVENTS } from '@aob/core';
import type { LocalEngine, RunView } from '@aob/engine';
import type { BackfillRequest, CreateScheduleRequest } from '@aob/client';
import type { Backend, Decision, EventSink, FeedItem, Observer } from './backend.js';
import { badInput } from './errors.js';

/** Local runs all belong to the default namespace (ARCHITECTURE §9). */
const LOCAL_NAMESPACE = 'default';

/** How often `follow` looks at the store for events of runs driven by other processes. */
const POLL_MS = 200;

export class LocalBackend implements Backend {
  readonly mode = 'local';

  constructor(
    readonly engine: LocalEngine,
    private readonly defaultActor: () => string,
  ) {}

  async actor(): Promise<string> {
    return this.defaultActor();
  }

  async validate(doc: unknown) {
    return this.engine.control.validate(doc);
  }

  registerWorkflow(def: unknown) {
    return this.engine.control.registerWorkflow(def);
  }

  listWorkflows() {
    return this.engine.control.listWorkflows();
  }

  showWorkflow(ref: string, patchIds?: readonly string[]) {
    return patchIds && patchIds.length > 0
      ? this.engine.showWorkflow(ref, patchIds)
      : this.engine.showWorkflow(ref);
  }

  async start(
    ref: string,
    inputs: unknown,
    opts: { actor?: string; budget?: Budget } = {},
  ): Promise<string> {
    const definition = await this.engine.loadWorkflow(ref);
    return this.engine.control.start(definition, inputs, {
      actor: opts.actor ?? this.defaultActor(),
      ...(opts.budget ? { budget: opts.budget } : {}),
    });
  }

  get(runId: string) {
    return this.engine.control.get(runId);
  }

  node(runId: string, nodeId: string) {
    return this.engine.control.node(runId, nodeId);
  }

  list(opts: { status?: RunStatus[]; limit?: number }) {
    return this.engine.control.list(opts);
  }

  wait(runId: string, opts: { timeoutMs?: number; untilSettled?: boolean }) {
    return this.engine.control.wait(runId, opts);
  }

  events(runId: string, fromSeq = 1) {
    return this.engine.control.events(runId, fromSeq);
  }

  /** Polls the store (the run may be driven by another process) and its live-output spool. */
  async *follow(
    runId: string,
    opts: { afterSeq: number; deltas: boolean },
  ): AsyncIterable<FeedItem> {
    let lastSeq = opts.afterSeq;
    let liveOffset = 0;
    for (;;) {
      if (opts.deltas) {
        const { deltas, next } = this.engine.liveDeltas(runId, liveOffset);
        liveOffset = next;
        for (const delta of deltas) yield { kind: 'delta', delta };
      }
      let over = false;
      for (const event of await this.engine.control.events(runId, lastSeq + 1)) {
        if (event.seq <= lastSeq) continue;
        lastSeq = event.seq;
        if (TERMINAL_EVENTS.has(event.type)) over = true;
        yield { kind: 'event', event };
      }
      if (over) return;
      await sleep(POLL_MS);
    }
  }

  cancel(runId: string, reason?: string, by?: string) {
    return this.engine.control.cancel(runId, reason, by ?? this.defaultActor());
  }

  raiseRunBudget(runId: string, budget: Budget, opts: { reason?: string }) {
    return this.engine.control.raiseRunBudget(
      runId,
      { budget, ...(opts.reason !== undefined ? { reason: opts.reason } : {}) },
      this.defaultActor(),
    );
  }

  replay(runId: string, fromNode: string, mode: 'freeze' | 'live') {
    return this.engine.control.replay(runId, fromNode, mode);
  }

  namespaceBudget() {
    return this.engine.control.namespaceBudget(LOCAL_NAMESPACE);
  }

  setNamespaceBudget(budget: Budget) {
    return this.engine.control.setNamespaceBudget(LOCAL_NAMESPACE, budget, this.defaultActor());
  }

  async clearNamespaceBudget() {
    const was = await this.engine.control.namespaceBudget(LOCAL_NAMESPACE);
    await this.engine.control.clearNamespaceBudget(LOCAL_NAMESPACE);
    return was;
  }

  resume(runId: string) {
    return this.engine.resume(runId);
  }

  /** Every event and delta of this process, from now on (the Timeline picks its runs). */
  observe(sink: EventSink): Observer {
    const offEvents = this.engine.onEvent((e: AnyRunEvent) => sink.event(e));
    const offDeltas = this.engine.onDelta((d) => sink.delta(d));
    return {
      track: () => undefined,
      // The listeners are called as events are appended, before wait() can see the end.
      settle: async (_view: RunView) => undefined,
      close: () => {
        offEvents();
        offDeltas();
      },
    };
  }

  approvals(opts: { all?: boolean }) {
    return this.engine.control.approvals(opts);
  }

  async approve(ticketId: string, decision: Decision, opts: { by?: string; reason?: string }) {
    const by = opts.by ?? this.defaultActor();
    const r = await this.engine.control.approve(ticketId, decision, by, opts.reason);
    return { ...r, by };
  }

  questions(opts: { all?: boolean; runId?: string; mine?: boolean }) {
    // Local mode is one user's: every open question is theirs to answer (`mine` changes nothing).
    return this.engine.control.questions({
      ...(opts.all ? { all: true } : {}),
      ...(opts.runId !== undefined ? { runId: opts.runId } : {}),
    });
  }

  async question(questionId: string) {
    const { namespace: _namespace, ...q } = await this.engine.control.question(questionId);
    return q;
  }

  async answer(questionId: string, answer: unknown, opts: { by?: string } = {}) {
    const by = opts.by ?? this.defaultActor();
    const r = await this.engine.control.answer(questionId, answer, by);
    return { ...r, by };
  }

  async reassign(): Promise<never> {
    throw badInput(
      'SERVER_ONLY',
      'reassigning an approval needs a server (set AOB_SERVER and AOB_TOKEN): locally, the approvers are the ones the workflow names',
    );
  }

  proposePatch(target: string, patch: unknown, opts: { author?: string; rationale?: string }) {
    return this.engine.control.proposePatch(target, patch, {
      author: opts.author ?? this.defaultActor(),
      ...(opts.rationale !== undefined ? { rationale: opts.rationale } : {}),
    });
  }

  reviewPatch(patchId: string, decision: Decision, opts: { by?: string; reason?: string }) {
    return this.engine.control.reviewPatch(
      patchId,
      decision,
      opts.by ?? this.defaultActor(),
      opts.reason,
    );
  }

  revertPatch(patchId: string, by?: string) {
    return this.engine.control.revertPatch(patchId, by ?? this.defaultActor());
  }

  patches(opts: { runId?: string; workflow?: string }) {
    return this.engine.control.patches(opts);
  }

  patch(patchId: string) {
    return this.engine.control.patch(patchId);
  }

  createSchedule(req: CreateScheduleRequest) {
    return this.engine.schedules.create(req, {
      namespace: LOCAL_NAMESPACE,
      by: this.defaultActor(),
    });
  }

  listSchedules() {
    return this.engine.schedules.list(LOCAL_NAMESPACE);
  }

  getSchedule(scheduleId: string) {
    return this.engine.schedules.get(scheduleId, LOCAL_NAMESPACE);
  }

  pauseSchedule(scheduleId: string, note?: string) {
    return this.engine.schedules.pause(scheduleId, LOCAL_NAMESPACE, note);
  }

  resumeSchedule(scheduleId: string, note?: string) {
    return this.engine.schedules.resume(scheduleId, LOCAL_NAMESPACE, note);
  }

  /** The run is driven in this process, so the command stays until it has settled. */
  async triggerSchedule(scheduleId: string) {
    const started = await this.engine.schedules.trigger(
      scheduleId,
      LOCAL_NAMESPACE,
      this.defaultActor(),
    );
    await this.engine.control.wait(started.runId, { untilSettled: true });
    return started;
  }

  async backfillSchedule(scheduleId: string, range: BackfillRequest) {
    const runs = await this.engine.schedules.backfill(
      scheduleId,
      LOCAL_NAMESPACE,
      range,
      this.defaultActor(),
    );
    for (const r of runs) {
      if (r.started) await this.engine.control.wait(r.runId, { untilSettled: true });
    }
    return runs;
  }

  async deleteSchedule(scheduleId: string) {
    const was = await this.engine.schedules.get(scheduleId, LOCAL_NAMESPACE);
    await this.engine.schedules.delete(scheduleId, LOCAL_NAMESPACE);
    return was;
  }

  close() {
    return this.engine.close();
  }
}
