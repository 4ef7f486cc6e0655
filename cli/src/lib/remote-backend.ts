// The Backend over a server's REST API. Runs execute in the cluster, so nothing here drives a
// run: commands ask, and wait or follow the run's SSE feed. Identity comes from the token, never
// from flags (the server decides who acts).
import type { AnyRunEvent, Budget, RunStatus } from '@aob/core';
import { AobError, TERMINAL_EVENTS, compileCached } from '@aob/core';
import type {
  AobHttpClient,
  BackfillRequest,
  CreateScheduleRequest,
  Page,
  WhoAmI,
} from '@aob/client';
import type { ApprovalView, PatchView, QuestionView, RunView } from '@aob/engine';
import { pollUntil } from '@aob/engine';
import type { Backend, Decision, EventSink, FeedItem, Observer } from './backend.js';
import { isWorkflowFile, runIsOver } from './backend.js';
import { badInput } from './errors.js';
import { readJsonFile } from './files.js';
import { fromServerError } from './server-errors.js';

/** One long poll of /wait; several are chained for longer waits (proxies cut idle requests). */
const WAIT_CHUNK_MS = 25_000;
/** How long `start` waits for a pending run (202) to be started by an orchestrator. */
const PENDING_START_WAIT_MS = 60_000;
/** How long a finished wait gives the SSE feed to show the event that ended it. */
const SETTLE_FEED_MS = 3_000;
/** Events per page when reading a run's log. */
const EVENTS_PAGE = 1_000;

export class RemoteBackend implements Backend {
  readonly mode = 'server';
  private me: Promise<WhoAmI> | undefined;

  constructor(
    readonly client: AobHttpClient,
    /** AOB_SERVER as given, for messages. */
    readonly server: string,
    /** Told when a live feed drops and reconnects, or cannot be followed (stderr, TTY only). */
    private readonly notice: (line: string) => void = () => undefined,
  ) {}

  /** Runs a client call; its failure becomes the CLI error (and exit code) it means. */
  private async call<T>(action: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw fromServerError(err, action, this.server);
    }
  }

  whoami(): Promise<WhoAmI> {
    this.me ??= this.call('identify the token', () => this.client.whoami());
    return this.me;
  }

  async actor(): Promise<string> {
    return (await this.whoami()).subject;
  }

  private pages<T>(action: string, page: (cursor?: string) => Promise<Page<T>>, max?: number) {
    return this.call(action, () => this.client.all((c) => page(c), max));
  }

  // ---- workflows -------------------------------------------------------------------------

  validate(doc: unknown) {
    return this.call('validate the workflow', () => this.client.validateWorkflow(doc));
  }

  registerWorkflow(def: unknown) {
    return this.call('register the workflow', () => this.client.registerWorkflow(def));
  }

  listWorkflows() {
    return this.pages('list workflows', (cursor) =>
      this.client.listWorkflows(cursor ? { cursor } : {}),
    );
  }

  async showWorkflow(ref: string, patchIds?: readonly string[]) {
    if (isWorkflowFile(ref)) {
      if (patchIds && patchIds.length > 0) {
        throw badInput(
          'BAD_FLAG',
          `--patches applies to a registered workflow (name[@version]), not to the file ${ref}`,
        );
      }
      // A file is the user's own: compiled here, as the server would, for its IR hash.
      const ir = compileCached(await readJsonFile(ref, 'workflow'));
      return { definition: ir.definition, irHash: ir.irHash };
    }
    return this.call(`show workflow ${ref}`, () =>
      this.client.showWorkflow(ref, patchIds ? { patches: patchIds } : {}),
    ) as Promise<{ definition: { name: string; version: string | number }; irHash: string }>;
  }

  // ---- runs ------------------------------------------------------------------------------

  async start(ref: string, inputs: unknown, opts: { budget?: Budget } = {}): Promise<string> {
    const budget = opts.budget ? { budget: opts.budget } : {};
    const body = isWorkflowFile(ref)
      ? { definition: await readJsonFile(ref, 'workflow'), inputs, ...budget }
      : { workflow: ref, inputs, ...budget };
    const { runId, pending } = await this.call(`start a run of ${ref}`, () =>
      this.client.startRun(body),
    );
    if (pending) await this.untilStarted(runId);
    return runId;
  }

  /**
   * Waits for a run the server accepted but no orchestrator has started yet (202) to appear, so
   * what follows a start (its timeline, a wait) finds it.
   */
  private async untilStarted(runId: string): Promise<void> {
    const started = await pollUntil(
      async () => {
        try {
          await this.client.getRun(runId);
          return true;
        } catch (err) {
          if ((err as { code?: unknown }).code !== 'RUN_NOT_FOUND') throw err;
          return undefined;
        }
      },
      { timeoutMs: PENDING_START_WAIT_MS, everyMs: 250 },
    );
    if (started) return;
    throw new AobError(
      'RUN_PENDING',
      `run ${runId} was accepted but no orchestrator has started it in ${PENDING_START_WAIT_MS / 1000} s; it starts when one does (aob run get ${runId})`,
      { retryable: true, details: { runId } },
    );
  }

  get(runId: string) {
    return this.call(`get run ${runId}`, () => this.client.getRun(runId));
  }

  node(runId: string, nodeId: string) {
    return this.call(`get node ${nodeId} of run ${runId}`, () =>
      this.client.getRunNode(runId, nodeId),
    );
  }

  list(opts: { status?: RunStatus[]; limit?: number }) {
    const limit = opts.limit ?? 50;
    return this.pages(
      'list runs',
      (cursor) =>
        this.client.listRuns({
          ...(opts.status ? { status: opts.status } : {}),
          limit: Math.min(limit, 500),
          ...(cursor ? { cursor } : {}),
        }),
      limit,
    );
  }

  /** Chains long polls until the run is over (or settled), or the timeout passes. */
  async wait(
    runId: string,
    opts: { timeoutMs?: number; untilSettled?: boolean },
  ): Promise<RunView> {
    const deadline = opts.timeoutMs === undefined ? Infinity : Date.now() + opts.timeoutMs;
    for (;;) {
      const chunk = Math.max(0, Math.min(WAIT_CHUNK_MS, deadline - Date.now()));
      const view = await this.call(`wait for run ${runId}`, () =>
        this.client.waitRun(runId, {
          timeoutMs: chunk,
          ...(opts.untilSettled ? { untilSettled: true } : {}),
        }),
      );
      if (runIsOver(view.status) || (opts.untilSettled && view.status === 'waiting')) return view;
      if (Date.now() >= deadline) return view;
    }
  }

  async events(runId: string, fromSeq = 1): Promise<AnyRunEvent[]> {
    const out: AnyRunEvent[] = [];
    let next = fromSeq;
    for (;;) {
      const page = await this.call(`read the log of run ${runId}`, () =>
        this.client.runEvents(runId, { fromSeq: next, limit: EVENTS_PAGE }),
      );
      const items = page.items.filter((e) => e.seq >= next);
      out.push(...items);
      const last = items.at(-1);
      // A full page (or a cursor) means there may be more; an empty one means there is not.
      if (!last || (page.nextCursor === undefined && items.length < EVENTS_PAGE)) return out;
      next = last.seq + 1;
    }
  }

  /** The run's SSE feed: history after `afterSeq`, then live; resumes after a dropped connection. */
  async *follow(
    runId: string,
    opts: { afterSeq: number; deltas: boolean },
  ): AsyncIterable<FeedItem> {
    const feed = this.client.runTimeline(runId, {
      after: opts.afterSeq,
      onReconnect: (r) =>
        this.notice(
          `lost the event stream (${r.reason}); reconnecting in ${r.delayMs} ms after event ${r.lastEventId ?? 'none'} (attempt ${r.attempt})`,
        ),
    });
    try {
      for await (const m of feed) {
        if (m.kind === 'event') yield { kind: 'event', event: m.event };
        else if (m.kind === 'delta' && opts.deltas) yield { kind: 'delta', delta: m.delta };
      }
    } catch (err) {
      throw fromServerError(err, `follow run ${runId}`, this.server);
    }
  }

  async cancel(runId: string, reason?: string): Promise<void> {
    await this.call(`cancel run ${runId}`, () =>
      this.client.cancelRun(runId, reason !== undefined ? { reason } : {}),
    );
  }

  namespaceBudget() {
    return this.call('read the namespace budget', () => this.client.getNamespaceBudget());
  }

  setNamespaceBudget(budget: Budget) {
    return this.call('set the namespace budget', () => this.client.setNamespaceBudget(budget));
  }

  clearNamespaceBudget() {
    return this.call('remove the namespace budget', () => this.client.clearNamespaceBudget());
  }

  async raiseRunBudget(runId: string, budget: Budget, opts: { reason?: string }) {
    await this.call(`raise run ${runId}'s budget`, () =>
      this.client.raiseRunBudget(runId, {
        budget: { ...budget },
        ...(opts.reason !== undefined ? { reason: opts.reason } : {}),
      }),
    );
    return { runId, drivenHere: false };
  }

  async replay(runId: string, fromNode: string, mode: 'freeze' | 'live') {
    const r = await this.call(`replay run ${runId}`, () =>
      this.client.replayRun(runId, { fromNode, mode }),
    );
    return r.runId;
  }

  async resume(): Promise<never> {
    throw badInput(
      'LOCAL_ONLY',
      'aob run resume drives a run in this process, on the local store; on a server the cluster resumes runs itself (see aob run get, aob logs stream)',
    );
  }

  /**
   * Follows each tracked run's SSE feed into `sink`. A feed that cannot be followed is told once
   * and left: the outcome comes from wait(), not from the feed.
   */
  observe(sink: EventSink): Observer {
    const ac = new AbortController();
    const feeds = new Map<string, { last?: AnyRunEvent; done: Promise<void> }>();
    const follow = (runId: string) => {
      const state: { last?: AnyRunEvent; done: Promise<void> } = { done: Promise.resolve() };
      state.done = (async () => {
        try {
          const feed = this.client.runTimeline(runId, {
            after: 0,
            signal: ac.signal,
            onReconnect: (r) =>
              this.notice(
                `lost the live timeline (${r.reason}); reconnecting (attempt ${r.attempt})`,
              ),
          });
          for await (const m of feed) {
            if (m.kind === 'event') {
              state.last = m.event;
              sink.event(m.event);
            } else if (m.kind === 'delta') sink.delta(m.delta);
          }
        } catch (err) {
          if (!ac.signal.aborted) {
            const e = fromServerError(err, `follow run ${runId}`, this.server) as Error;
            this.notice(`no live timeline: ${e.message}; waiting for the run to end`);
          }
        }
      })();
      feeds.set(runId, state);
    };
    return {
      track: (runId) => {
        if (!feeds.has(runId)) follow(runId);
      },
      settle: async (view) => {
        const state = feeds.get(view.runId);
        if (!state) return;
        const shown = () =>
          state.last !== undefined &&
          (runIsOver(view.status)
            ? TERMINAL_EVENTS.has(state.last.type)
            : view.status === 'waiting'
              ? state.last.type === 'RunWaiting'
              : true);
        const deadline = Date.now() + SETTLE_FEED_MS;
        while (!shown() && Date.now() < deadline) {
          const ended = await Promise.race([
            state.done.then(() => true),
            new Promise<false>((r) => setTimeout(() => r(false), 50)),
          ]);
          if (ended) break;
        }
      },
      close: () => ac.abort(),
    };
  }

  // ---- approvals -------------------------------------------------------------------------

  approvals(opts: { all?: boolean }): Promise<ApprovalView[]> {
    return this.pages('list approvals', (cursor) =>
      this.client.listApprovals({
        status: opts.all ? 'all' : 'open',
        ...(cursor ? { cursor } : {}),
      }),
    );
  }

  async approve(ticketId: string, decision: Decision, opts: { reason?: string }) {
    const r = await this.call(`decide ticket ${ticketId}`, () =>
      this.client.decideApproval(ticketId, {
        decision,
        ...(opts.reason !== undefined ? { reason: opts.reason } : {}),
      }),
    );
    const by = await this.actor();
    // The decision answer names the run; if a server leaves it out, the ticket still does.
    const runId =
      typeof r?.runId === 'string'
        ? r.runId
        : (await this.approvals({ all: true })).find((t) => t.ticketId === ticketId)?.runId;
    return { runId: runId ?? '(unknown)', drivenHere: false, by };
  }

  reassign(ticketId: string, approvers: string[], reason?: string) {
    return this.call(`reassign ticket ${ticketId}`, () =>
      this.client.reassignApproval(ticketId, {
        approvers,
        ...(reason !== undefined ? { reason } : {}),
      }),
    );
  }

  // ---- questions -------------------------------------------------------------------------

  questions(opts: { all?: boolean; runId?: string; mine?: boolean }): Promise<QuestionView[]> {
    return this.pages('list questions', (cursor) =>
      this.client.questions({
        status: opts.all ? 'all' : 'open',
        ...(opts.runId !== undefined ? { run: opts.runId } : {}),
        ...(opts.mine ? { mine: true } : {}),
        ...(cursor ? { cursor } : {}),
      }),
    );
  }

  question(questionId: string): Promise<QuestionView> {
    return this.call(`get question ${questionId}`, () => this.client.question(questionId));
  }

  async answer(questionId: string, answer: unknown) {
    const question = await this.call(`answer question ${questionId}`, () =>
      this.client.answer(questionId, answer),
    );
    const by = question.answered?.by ?? (await this.actor());
    return { runId: question.runId, drivenHere: false, by, question };
  }

  // ---- patches ---------------------------------------------------------------------------

  proposePatch(target: string, patch: unknown, opts: { rationale?: string }): Promise<PatchView> {
    return this.call(`propose a patch to ${target}`, () =>
      this.client.proposePatch({
        target,
        ...(Array.isArray(patch) ? { ops: patch } : { patch }),
        ...(opts.rationale !== undefined ? { rationale: opts.rationale } : {}),
      }),
    );
  }

  reviewPatch(patchId: string, decision: Decision, opts: { reason?: string }) {
    return this.call(`review patch ${patchId}`, () =>
      this.client.reviewPatch(patchId, {
        decision,
        ...(opts.reason !== undefined ? { reason: opts.reason } : {}),
      }),
    );
  }

  revertPatch(patchId: string) {
    return this.call(`revert patch ${patchId}`, () => this.client.revertPatch(patchId));
  }

  patches(opts: { runId?: string; workflow?: string }) {
    return this.pages('list patches', (cursor) =>
      this.client.listPatches({
        ...(opts.runId ? { run: opts.runId } : {}),
        ...(opts.workflow ? { workflow: opts.workflow } : {}),
        ...(cursor ? { cursor } : {}),
      }),
    );
  }

  patch(patchId: string) {
    return this.call(`show patch ${patchId}`, () => this.client.getPatch(patchId));
  }

  createSchedule(req: CreateScheduleRequest) {
    return this.call('create the schedule', () => this.client.createSchedule(req));
  }

  listSchedules() {
    return this.pages('list schedules', (cursor) =>
      this.client.listSchedules(cursor ? { cursor } : {}),
    );
  }

  getSchedule(scheduleId: string) {
    return this.call(`show schedule ${scheduleId}`, () => this.client.getSchedule(scheduleId));
  }

  pauseSchedule(scheduleId: string, note?: string) {
    return this.call(`pause schedule ${scheduleId}`, () =>
      this.client.pauseSchedule(scheduleId, note),
    );
  }

  resumeSchedule(scheduleId: string, note?: string) {
    return this.call(`resume schedule ${scheduleId}`, () =>
      this.client.resumeSchedule(scheduleId, note),
    );
  }

  triggerSchedule(scheduleId: string) {
    return this.call(`trigger schedule ${scheduleId}`, () =>
      this.client.triggerSchedule(scheduleId),
    );
  }

  async backfillSchedule(scheduleId: string, range: BackfillRequest) {
    const { runs } = await this.call(`backfill schedule ${scheduleId}`, () =>
      this.client.backfillSchedule(scheduleId, range),
    );
    return runs;
  }

  deleteSchedule(scheduleId: string) {
    return this.call(`delete schedule ${scheduleId}`, () => this.client.deleteSchedule(scheduleId));
  }

  async close(): Promise<void> {
    // Nothing held: every call is one request.
  }
}
