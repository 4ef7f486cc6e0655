// The operations people and programs perform on runs, workflows, approvals and patches, over the
// ports: the event store and content store for reading, and a `RunDriver` for writing — which
// hands a run's triggers to whoever owns the run. The local engine drives runs in process (or
// through the store's inbox); the cluster drives them with run commands on the bus. Everything
// here is the same for both, so `aob` locally and the API service behave alike.
import type {
  AnyRunEvent,
  CasRef,
  IR,
  Problem,
  RecordedResult,
  RunState,
  RunStatus,
  Trigger,
  WorkflowDefinition,
} from '@aob/core';
import {
  AobError,
  BUDGET_LIMITS,
  ValidationError,
  assertPatchDocument,
  checkBudget,
  tightest,
  compileCached,
  isCasRef,
  isTerminalStatus,
  fold,
  judgePatch,
  proposalValidationInput,
  reviewRefusal,
  validateDefinition,
  validatePatch,
} from '@aob/core';
import type { ApplicationStore, ContentStore } from '@aob/store';
import { context } from '@opentelemetry/api';
import type { StartRunOptions } from '../orchestrator/orchestrator.js';
import type { RunTrace } from '../telemetry/trace.js';
import { failSpan, parseTraceparent, startRunTrace } from '../telemetry/trace.js';
import type {
  ApprovalView,
  NamespaceBudgetView,
  Operations,
  PatchCheckResult,
  RunListItem,
  RunView,
  StartRunRequest,
  WaitRequest,
  WorkflowView,
} from './operations.js';
import { approvalsOf, runView } from './views.js';
import type { QuestionView } from './questions.js';
import { answerProblems, badAnswer, closedBecause, questionsOf } from './questions.js';
import type { GraphDiff, PatchView } from './patches.js';
import { diffDefinitions } from '@aob/client';
import { patchesOf } from './patches.js';
import { WorkflowPatches } from './workflow-patches.js';
import type { AutoOptimizer } from './auto-optimize.js';
import { pollUntil } from './poll.js';
import type { NodeDetail } from './node-detail.js';
import { nodeDetail, runRefs, unknownNode } from './node-detail.js';
import { subworkflowProblems } from './preflight.js';
import { splitRef } from '../workflows.js';

/** How runs are started and reached: in process (local) or by run commands (cluster). */
export interface RunDriver {
  /**
   * Starts a new run on `ir`, whose definition is already in the content store. Resolves with
   * whether the run's RunStarted is in the log already (in process) or only handed over (a run
   * command the owning orchestrator applies a moment later).
   */
  start(ir: IR, inputs: unknown, opts: StartRunOptions): Promise<boolean>;
  /**
   * True when `start` always resolves with the run's RunStarted in the log (the local engine): a
   * start then waits for nothing else, and no listener is added for it — with a thousand starts
   * in flight, a thousand listeners would each hear every event the process commits.
   */
  readonly startsInProcess?: boolean;
  /**
   * Hands a trigger to whoever drives the run; resolves once it is handed over (not applied).
   * Returns whether it was applied here, in this process.
   */
  deliver(runId: string, trigger: Trigger): Promise<boolean>;
}

export interface RunControlDeps {
  store: ApplicationStore;
  content: ContentStore;
  loadIr: (irHash: string) => Promise<IR>;
  driver: RunDriver;
  now: () => number;
  newId: (kind: 'run' | 'patch') => string;
  /** How long a patch proposal waits for the run's owner to decide it. Default 10 s. */
  patchVerdictWaitMs?: number;
  /**
   * How long `start` waits for a started run's RunStarted (the cluster: a run command that the
   * owning orchestrator applies a moment later) before it answers RUN_PENDING, whose details
   * carry the run id: the run starts once an orchestrator takes the command. Default: as long as
   * for a patch verdict.
   */
  startWaitMs?: number;
  /**
   * Problems that would fail the run on this process's executors (local mode: missing handlers,
   * unconfigured endpoints); the start is refused with them. Absent in the cluster, where the
   * runners' configuration is not known to the api.
   */
  preflight?: (definition: WorkflowDefinition) => Problem[];
  /**
   * Where this process hears of appended events (the local engine's listeners): waits wake on
   * them instead of waiting out a poll interval. Absent in the cluster's api, which polls.
   */
  changes?: (runId: string, listener: (event: AnyRunEvent) => void) => () => void;
}

const PATCH_VERDICT_WAIT_MS = 10_000;
/** The longest pause between looks for a start this process can hear (startAndAwait). */
const HEARD_START_LOOK_MAX_MS = 320;
/** The events after which a waiting run may be over, or settled on a person. */
const SETTLING: ReadonlySet<string> = new Set([
  'RunWaiting',
  'RunCompleted',
  'RunFailed',
  'RunCancelled',
]);
const POLL_MS = 100;

export class RunControl implements Operations {
  private readonly workflowPatches: WorkflowPatches;
  /** Definitions this process has put in the content store (content never changes). */
  private readonly storedDefinitions = new Set<string>();
  /** Runs the optimizer's passes on registration or run start (AOB_OPTIMIZE_ON), when set. */
  private optimizer: AutoOptimizer | undefined;

  constructor(private readonly deps: RunControlDeps) {
    this.workflowPatches = new WorkflowPatches({
      store: deps.store,
      content: deps.content,
      now: deps.now,
      newPatchId: () => deps.newId('patch'),
    });
  }

  /** Has the optimizer's passes proposed on each new workflow version or run (AOB_OPTIMIZE_ON). */
  optimizeWith(optimizer: AutoOptimizer | undefined): void {
    this.optimizer = optimizer;
  }

  // ---- workflows -------------------------------------------------------------------------

  validate(doc: unknown): { valid: boolean; errors: Problem[] } {
    const errors = validateDefinition(doc);
    return { valid: errors.length === 0, errors };
  }

  /** A registered workflow `name[@version]` (without a version: the newest not retired). */
  async registeredWorkflow(ref: string): Promise<WorkflowDefinition> {
    const [name, version] = splitRef(ref);
    const rec = await this.deps.store.getWorkflow(name, version);
    if (!rec) throw new AobError('WORKFLOW_NOT_FOUND', `no registered workflow named ${ref}`);
    return (await this.deps.content.get({
      $cas: rec.irHash as `sha256:${string}`,
      size: 0,
    })) as WorkflowDefinition;
  }

  /**
   * Registers a version. A version, once registered, means one graph (runs and patches pin it by
   * name): the same definition again is a no-op, another one is WORKFLOW_EXISTS.
   */
  async registerWorkflow(def: unknown): Promise<WorkflowView> {
    const ir = compileCached(def); // throws a ValidationError naming every problem
    const existing = await this.deps.store.getWorkflow(ir.name, ir.version);
    if (existing && existing.irHash !== ir.irHash) {
      throw new AobError(
        'WORKFLOW_EXISTS',
        `${ir.name}@${ir.version} is registered with another definition (${existing.irHash}); register a new version`,
      );
    }
    if (existing) return existing;
    await this.storeDefinition(ir);
    const record = {
      name: ir.name,
      version: ir.version,
      irHash: ir.irHash,
      registeredAt: this.deps.now(),
    };
    await this.deps.store.putWorkflow(record);
    if (this.optimizer?.on === 'register') await this.optimizeVersion(ir.definition);
    return record;
  }

  /**
   * Proposes the optimizer's applicable rewrites of a newly registered version as workflow
   * patches, in order, each against the version the one before registered (name@1.p1, …). They
   * are judged again here; the first that does not apply ends the line.
   */
  private async optimizeVersion(definition: WorkflowDefinition): Promise<void> {
    let target = `${definition.name}@${definition.version}`;
    for (const p of await this.optimizer!.propose(definition)) {
      const view = await this.workflowPatches.propose(target, p.ops, {
        author: p.author,
        rationale: p.rationale,
      });
      if (view.status !== 'applied' || !view.version) return;
      target = `${definition.name}@${view.version}`;
    }
  }

  /**
   * Proposes the optimizer's applicable rewrites of a run that just started as run patches: the
   * passes saw its state (nodes already scheduled are left alone), and the run's owner judges each
   * one against the state it has then, recording it in the run's log.
   */
  private async optimizeRun(runId: string, ir: IR): Promise<void> {
    const state = fold(await this.deps.store.read(runId), runId);
    for (const p of await this.optimizer!.propose(ir.definition, { runId, state })) {
      const view = await this.proposePatch(runId, p.ops, {
        author: p.author,
        rationale: p.rationale,
      });
      if (view.status !== 'applied') return;
    }
  }

  async listWorkflows(): Promise<WorkflowView[]> {
    return this.deps.store.listWorkflows();
  }

  /** A registered workflow, or one with workflow patches applied in order (not registered). */
  async showRegisteredWorkflow(
    ref: string,
    patchIds?: readonly string[],
  ): Promise<{ definition: WorkflowDefinition; irHash: string }> {
    const definition =
      patchIds && patchIds.length > 0
        ? await this.workflowPatches.materialize(ref, patchIds)
        : await this.registeredWorkflow(ref);
    return { definition, irHash: compileCached(definition).irHash };
  }

  // ---- runs -----------------------------------------------------------------------------

  /** Validates the definition and inputs (nothing is persisted when either is bad), then starts. */
  async start(def: unknown, inputs: unknown, opts: StartRunRequest = {}): Promise<string> {
    const ir = compileCached(def);
    const reading = opts.budget === undefined ? undefined : checkBudget(opts.budget, '/budget');
    const budgetProblems = reading?.problems ?? [];
    const budget = reading?.budget;
    const problems = [...ir.checkInputs(inputs ?? {}), ...budgetProblems];
    if (problems.length > 0)
      throw new ValidationError(problems, budgetProblems.length > 0 ? 'run request' : 'inputs');
    const unrunnable = [
      ...(this.deps.preflight?.(ir.definition) ?? []),
      ...(await subworkflowProblems(ir.definition, this.deps.store)),
    ];
    if (unrunnable.length > 0) throw new ValidationError(unrunnable, 'run: it could not run here');
    const runId = opts.runId ?? this.deps.newId('run');
    // Refused before anything is stored: a refused request leaves nothing behind.
    if (opts.runId !== undefined && (await this.deps.store.getRun(runId))) {
      throw new AobError('RUN_EXISTS', `a run ${runId} exists already`);
    }
    // The limits of the run, its definition and its namespace, the smallest of each; the policy
    // the run's own, else its definition's, else its namespace's.
    const namespaceBudget = await this.deps.store.getNamespaceBudget(opts.namespace ?? 'default');
    const held = tightest(budget, ir.definition.budget, namespaceBudget?.budget);
    await this.storeDefinition(ir);
    // The run's trace starts here (under the caller's, if it came with one): RunStarted records it.
    const run = startRunTrace({
      runId,
      workflow: { name: ir.definition.name, version: ir.definition.version },
      namespace: opts.namespace ?? 'default',
    });
    await traced(run, () =>
      this.startAndAwait(runId, this.deps.startWaitMs, () =>
        this.deps.driver.start(ir, inputs ?? {}, {
          runId,
          ...(opts.actor ? { actor: opts.actor } : {}),
          ...(opts.namespace !== undefined ? { namespace: opts.namespace } : {}),
          ...(opts.schedule !== undefined ? { schedule: opts.schedule } : {}),
          ...(held ? { budget: held } : {}),
          traceparent: run.traceparent,
        }),
      ),
    );
    if (this.optimizer?.on === 'run') await this.optimizeRun(runId, ir);
    return runId;
  }

  /**
   * Hands a run's start to the driver (`send`: true when it started the run itself) and resolves
   * once the run's RunStarted is in the log, so whoever got the id can read the run: the cluster
   * starts runs by a command the owning orchestrator applies a moment later. Where the process
   * hears its orchestrator's commits, it listens from before the start is sent, so the first event
   * heard is the start and the store is looked at only if a poll interval passes unheard (the
   * run's owner may be another process); elsewhere it polls.
   */
  private async startAndAwait(
    runId: string,
    waitMs: number | undefined,
    send: () => Promise<boolean>,
  ): Promise<void> {
    if (this.deps.driver.startsInProcess) {
      await send();
      return;
    }
    const changes = this.deps.changes;
    const stop = new AbortController();
    const waiting = pollUntil(
      async () => ((await this.deps.store.getRun(runId)) ? true : undefined),
      {
        timeoutMs: waitMs ?? this.deps.patchVerdictWaitMs ?? PATCH_VERDICT_WAIT_MS,
        everyMs: 20,
        signal: stop.signal,
        // Any event of the run is heard only once RunStarted, its first, is committed. Looks are
        // then for runs another process owns, which are as quick to start: the pause between
        // them grows, so a thousand starts queued behind each other do not poll the store as one.
        ...(changes
          ? {
              changes: (found: (started?: true) => void) => changes(runId, () => found(true)),
              lookFirst: false,
              firstPauseMs: 20,
              everyMs: HEARD_START_LOOK_MAX_MS,
            }
          : {}),
      },
    ).then(
      (started) => ({ started }),
      (error: unknown) => ({ error }),
    );
    try {
      if (await send()) return;
      const outcome = await waiting;
      if ('error' in outcome) throw outcome.error;
      if (!outcome.started) {
        throw new AobError(
          'RUN_PENDING',
          `run ${runId} was handed to the orchestrators but has not started yet; look again shortly`,
          { retryable: true, details: { runId } },
        );
      }
    } finally {
      stop.abort();
    }
  }

  // ---- namespace budgets ------------------------------------------------------------------

  /**
   * Sets a namespace's budget (checked: every problem named, nothing stored when one is bad).
   * Runs started after it are held to it; runs already started keep the budget they recorded.
   */
  async setNamespaceBudget(
    namespace: string,
    budget: unknown,
    by: string,
  ): Promise<NamespaceBudgetView> {
    const reading = checkBudget(budget, '/budget');
    if (!reading.budget) throw new ValidationError(reading.problems, 'budget');
    const record = { namespace, budget: reading.budget, setBy: by, setAt: this.deps.now() };
    await this.deps.store.putNamespaceBudget(record);
    return record;
  }

  /** A namespace's budget; NO_BUDGET when it has none. */
  async namespaceBudget(namespace: string): Promise<NamespaceBudgetView> {
    const record = await this.deps.store.getNamespaceBudget(namespace);
    if (!record) throw new AobError('NO_BUDGET', `namespace ${namespace} has no budget`);
    return record;
  }

  /** Removes a namespace's budget; NO_BUDGET when it had none. */
  async clearNamespaceBudget(namespace: string): Promise<void> {
    if (!(await this.deps.store.deleteNamespaceBudget(namespace)))
      throw new AobError('NO_BUDGET', `namespace ${namespace} has no budget`);
  }

  /**
   * Raises limits of a live run's budget (`body`: `{ budget: {tokens?, costUsd?, wallMs?, nodes?,
   * onExceeded?}, reason? }`): each limit given must be above the run's (a run paused by its
   * budget goes on once none is crossed). Every problem is named (BAD_BUDGET) and nothing is
   * delivered when one is bad; RUN_OVER for a run that ended. Resolves once handed over.
   */
  async raiseRunBudget(
    runId: string,
    body: unknown,
    by: string,
  ): Promise<{ runId: string; drivenHere: boolean }> {
    const b = (body ?? {}) as { budget?: unknown; reason?: unknown };
    const reading = checkBudget(b.budget, '/budget');
    const problems = [...reading.problems];
    if (b.reason !== undefined && typeof b.reason !== 'string')
      problems.push({ code: 'BAD_BUDGET', path: '/reason', message: 'must be a string' });
    const events = await this.deps.store.read(runId);
    if (events.length === 0) throw new AobError('RUN_NOT_FOUND', `no run ${runId}`);
    const state = fold(events, runId);
    if (isOver(state.status))
      throw new AobError('RUN_OVER', `run ${runId} is already ${state.status}`);
    const given = reading.budget ?? {};
    const limits = BUDGET_LIMITS.filter((k) => given[k] !== undefined);
    if (reading.budget && limits.length === 0) {
      problems.push({
        code: 'BAD_BUDGET',
        path: '/budget',
        message: `names no limit to raise (${BUDGET_LIMITS.join(', ')})`,
      });
    }
    // Checked on every number given, so a raise too small is named beside other problems.
    const raw = (typeof b.budget === 'object' && b.budget !== null ? b.budget : {}) as Record<
      string,
      unknown
    >;
    for (const k of BUDGET_LIMITS) {
      const now = state.budget?.[k];
      const asked = raw[k];
      if (typeof asked === 'number' && now !== undefined && asked <= now) {
        problems.push({
          code: 'BAD_BUDGET',
          path: `/budget/${k}`,
          message: `must be more than the run's ${k} limit of ${now} (a raise), not ${asked}`,
        });
      }
    }
    if (problems.length > 0) throw new ValidationError(problems, 'budget raise');
    const drivenHere = await this.deps.driver.deliver(runId, {
      type: 'raiseBudget',
      budget: given,
      by,
      ...(typeof b.reason === 'string' ? { reason: b.reason } : {}),
    });
    return { runId, drivenHere };
  }

  async get(runId: string): Promise<RunView> {
    const events = await this.deps.store.read(runId);
    if (events.length === 0) throw new AobError('RUN_NOT_FOUND', `no run ${runId}`);
    return this.viewOf(fold(events, runId));
  }

  /** One node of a run: its resolved input and output, its error and its attempts. */
  async node(runId: string, nodeId: string): Promise<NodeDetail> {
    const events = await this.deps.store.read(runId);
    if (events.length === 0) throw new AobError('RUN_NOT_FOUND', `no run ${runId}`);
    const state = fold(events, runId);
    const ir = await this.deps.loadIr(state.irHash);
    const index = ir.byId.get(nodeId);
    if (index === undefined) {
      throw unknownNode(
        runId,
        nodeId,
        ir.nodes.map((n) => n.id),
      );
    }
    const node = ir.nodes[index]!;
    return nodeDetail(state, events, node, (ref) => this.deps.content.get(ref));
  }

  /**
   * A value the run holds (its inputs or output, or a node's), by content reference: a caller
   * who may read the run may read these, and no other content.
   */
  async content(runId: string, ref: string): Promise<unknown> {
    const events = await this.deps.store.read(runId);
    if (events.length === 0) throw new AobError('RUN_NOT_FOUND', `no run ${runId}`);
    const state = fold(events, runId);
    const held = runRefs(state).get(ref) ?? (await this.agentTranscript(state, ref));
    if (!held) throw new AobError('CONTENT_NOT_FOUND', `run ${runId} holds no value ${ref}`);
    return this.deps.content.get(held);
  }

  /**
   * An agent node's transcript, which its output refers to in the content store: readable by
   * whoever may read the output. Only an `agent` node's (the IR says which) and only its
   * `transcript`: any other node could put a forged `{ $cas }` in its output and so read content
   * it does not hold. Looked up only when the ref is not held directly.
   */
  private async agentTranscript(state: RunState, ref: string): Promise<CasRef | undefined> {
    const ir = await this.deps.loadIr(state.irHash);
    for (const node of ir.nodes) {
      const output = node.type === 'agent' ? state.nodes[node.id]?.output : undefined;
      if (!output) continue;
      const transcript = ((await this.deps.content.get(output)) as { transcript?: unknown })
        ?.transcript;
      if (isCasRef(transcript) && transcript.$cas === ref) return transcript;
    }
    return undefined;
  }

  async viewOf(state: RunState): Promise<RunView> {
    const output = state.output ? await this.deps.content.get(state.output) : undefined;
    const ir = await this.deps.loadIr(state.irHash);
    return runView(
      state,
      output,
      ir.nodes.map((n) => n.id),
    );
  }

  async list(
    opts: { status?: RunStatus[]; limit?: number; offset?: number; namespace?: string } = {},
  ): Promise<RunListItem[]> {
    const runs = await this.deps.store.listRuns(opts);
    return runs.map((r) => ({
      runId: r.runId,
      workflow: r.workflow,
      status: r.status,
      startedAt: r.startedAt,
    }));
  }

  /**
   * Resolves with the run once it is over (or, with untilSettled, waits on a person with nothing
   * in flight), or as it is when the timeout passes.
   */
  async wait(runId: string, opts: WaitRequest = {}): Promise<RunView> {
    await pollUntil(
      async () => {
        const summary = await this.deps.store.getRun(runId);
        if (!summary) throw new AobError('RUN_NOT_FOUND', `no run ${runId}`);
        const done = isOver(summary.status) || (opts.untilSettled && summary.status === 'waiting');
        return done ? true : undefined;
      },
      {
        ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
        everyMs: POLL_MS,
        ...this.hear(runId, (e) => SETTLING.has(e.type)),
      },
    );
    return this.get(runId);
  }

  async events(runId: string, fromSeq = 1): Promise<AnyRunEvent[]> {
    return this.deps.store.read(runId, fromSeq);
  }

  /** Approval tickets of live runs (open ones unless `all`), optionally of one namespace. */
  async approvals(opts: { all?: boolean; namespace?: string } = {}): Promise<ApprovalView[]> {
    const statuses: RunStatus[] | undefined = opts.all ? undefined : ['waiting', 'running'];
    const runs = await this.deps.store.listRuns({
      ...(statuses ? { status: statuses } : {}),
      ...(opts.namespace !== undefined ? { namespace: opts.namespace } : {}),
    });
    const out: ApprovalView[] = [];
    for (const r of runs) {
      const state = fold(await this.deps.store.read(r.runId), r.runId);
      for (const a of approvalsOf(state)) if (opts.all || a.status === 'open') out.push(a);
    }
    return out;
  }

  /**
   * The ticket, whatever its status, and its run's namespace; TICKET_NOT_FOUND if none (or if it
   * is another namespace's). Found through the store's ticket → run index: one log read.
   */
  async ticket(
    ticketId: string,
    namespace?: string,
  ): Promise<ApprovalView & { namespace: string; message?: string }> {
    const runId = await this.deps.store.findRun('ticket', ticketId);
    const summary = runId === undefined ? undefined : await this.deps.store.getRun(runId);
    if (summary && (namespace === undefined || summary.namespace === namespace)) {
      const state = fold(await this.deps.store.read(summary.runId), summary.runId);
      const found = approvalsOf(state).find((a) => a.ticketId === ticketId);
      if (found) return { ...found, namespace: summary.namespace };
    }
    throw new AobError(
      'TICKET_NOT_FOUND',
      `no approval ticket ${ticketId} (list them with: aob approvals list)`,
    );
  }

  async approve(
    ticketId: string,
    decision: 'approved' | 'rejected',
    by: string,
    reason?: string,
  ): Promise<{ runId: string; drivenHere: boolean }> {
    const ticket = await this.ticket(ticketId);
    if (ticket.status !== 'open')
      throw new AobError('TICKET_DECIDED', `ticket ${ticketId} is already ${ticket.status}`);
    const drivenHere = await this.deps.driver.deliver(ticket.runId, {
      type: 'approve',
      ticketId,
      decision,
      by,
      ...(reason !== undefined ? { reason } : {}),
    });
    return { runId: ticket.runId, drivenHere };
  }

  // ---- questions ------------------------------------------------------------------------

  /**
   * Questions of live runs (open ones), or of every run (`all`): of one namespace, or one run
   * (RUN_NOT_FOUND when it is none, or another namespace's). In the order they were asked.
   */
  async questions(
    opts: { all?: boolean; namespace?: string; runId?: string } = {},
  ): Promise<QuestionView[]> {
    let runIds: string[];
    if (opts.runId !== undefined) {
      const summary = await this.deps.store.getRun(opts.runId);
      if (!summary || (opts.namespace !== undefined && summary.namespace !== opts.namespace)) {
        throw new AobError('RUN_NOT_FOUND', `no run ${opts.runId}`);
      }
      runIds = [opts.runId];
    } else {
      const statuses: RunStatus[] | undefined = opts.all ? undefined : ['waiting', 'running'];
      const runs = await this.deps.store.listRuns({
        ...(statuses ? { status: statuses } : {}),
        ...(opts.namespace !== undefined ? { namespace: opts.namespace } : {}),
      });
      // Oldest run first, so questions list in the order they were asked.
      runIds = runs.map((r) => r.runId).reverse();
    }
    const out: QuestionView[] = [];
    for (const runId of runIds) {
      const events = await this.deps.store.read(runId);
      for (const q of questionsOf(fold(events, runId), events)) {
        if (opts.all || q.status === 'open') out.push(q);
      }
    }
    return out;
  }

  /**
   * One question, whatever its status, with its run's namespace; QUESTION_NOT_FOUND if none (or
   * if it is another namespace's). Found through the store's question → run index: one log read.
   */
  async question(
    questionId: string,
    namespace?: string,
  ): Promise<QuestionView & { namespace: string }> {
    return (await this.findQuestion(questionId, namespace)).question;
  }

  /**
   * Answers an open question as `by`: QUESTION_NOT_FOUND, QUESTION_CLOSED when it takes no answer
   * now, BAD_ANSWER naming every problem when the answer is not one of its choices or not valid
   * against its schema — nothing is handed to the run then. Who may answer is the caller's to
   * check (the control plane's question desk); locally, whoever may write the store may.
   */
  async answer(
    questionId: string,
    answer: unknown,
    by: string,
    namespace?: string,
  ): Promise<{ runId: string; drivenHere: boolean; question: QuestionView }> {
    const { question, state } = await this.findQuestion(questionId, namespace);
    if (question.status !== 'open') {
      throw new AobError('QUESTION_CLOSED', closedBecause(question, state));
    }
    const problems = answerProblems(question, answer);
    if (problems.length > 0) throw badAnswer(questionId, problems);
    const drivenHere = await this.deps.driver.deliver(question.runId, {
      type: 'answer',
      questionId,
      answer,
      by,
    });
    const { namespace: _ns, ...view } = question;
    return { runId: question.runId, drivenHere, question: view };
  }

  private async findQuestion(
    questionId: string,
    namespace?: string,
  ): Promise<{ question: QuestionView & { namespace: string }; state: RunState }> {
    const runId = await this.deps.store.findRun('question', questionId);
    const summary = runId === undefined ? undefined : await this.deps.store.getRun(runId);
    if (summary && (namespace === undefined || summary.namespace === namespace)) {
      const events = await this.deps.store.read(summary.runId);
      const state = fold(events, summary.runId);
      const found = questionsOf(state, events).find((q) => q.questionId === questionId);
      if (found) return { question: { ...found, namespace: summary.namespace }, state };
    }
    throw new AobError(
      'QUESTION_NOT_FOUND',
      `no question ${questionId}${namespace !== undefined ? ' in this namespace' : ''} (list them with: aob questions list)`,
    );
  }

  /**
   * Hands a trigger to the run's owner as it is, for callers that checked it themselves (the
   * approval desk: eligibility, reassignment). Resolves once handed over, not once applied.
   */
  async deliver(runId: string, trigger: Trigger): Promise<boolean> {
    return this.deps.driver.deliver(runId, trigger);
  }

  async cancel(runId: string, reason?: string, by?: string): Promise<void> {
    const summary = await this.deps.store.getRun(runId);
    if (!summary) throw new AobError('RUN_NOT_FOUND', `no run ${runId}`);
    if (isOver(summary.status))
      throw new AobError('RUN_OVER', `run ${runId} is already ${summary.status}`);
    await this.deps.driver.deliver(runId, {
      type: 'cancel',
      ...(reason !== undefined ? { reason } : {}),
      ...(by !== undefined ? { by } : {}),
    });
  }

  /**
   * Replays a run from a node as a new run on the same IR (and namespace): nodes not downstream
   * of it reuse their recorded results; in freeze mode downstream nodes whose input is unchanged
   * do too.
   */
  async replay(
    runId: string,
    fromNode: string,
    mode: 'freeze' | 'live',
    actor?: string,
  ): Promise<string> {
    const events = await this.deps.store.read(runId);
    if (events.length === 0) throw new AobError('RUN_NOT_FOUND', `no run ${runId}`);
    const state = fold(events, runId);
    const ir = await this.deps.loadIr(state.irHash);
    if (!ir.byId.has(fromNode)) {
      throw new AobError(
        'UNKNOWN_NODE',
        `run ${runId} has no node ${fromNode} (nodes: ${ir.nodes.map((n) => n.id).join(', ')})`,
      );
    }
    const inputs = state.inputs ? await this.deps.content.get(state.inputs) : {};
    const replayRunId = this.deps.newId('run');
    // A trace of its own, linked to the original run's.
    const original = parseTraceparent(events[0]?.traceparent);
    const run = startRunTrace(
      {
        runId: replayRunId,
        workflow: state.workflow,
        namespace: state.namespace,
        replayOf: runId,
      },
      { root: true, ...(original ? { links: [original] } : {}) },
    );
    await traced(run, () =>
      this.startAndAwait(replayRunId, undefined, () =>
        this.deps.driver.start(ir, inputs, {
          runId: replayRunId,
          namespace: state.namespace,
          ...(actor !== undefined ? { actor } : {}),
          replay: { of: runId, fromNode, mode, recorded: recordedResults(state) },
          traceparent: run.traceparent,
        }),
      ),
    );
    return replayRunId;
  }

  // ---- patches --------------------------------------------------------------------------

  /**
   * Proposes a patch to a run (a run id) or to a registered workflow (`name[@version]`): `patch`
   * is an RFC 6902 operation array (or a whole patch document). Resolves with the verdict; for a
   * run, once the process driving it has decided.
   */
  async proposePatch(
    target: string,
    patch: unknown,
    opts: { author?: string; rationale?: string } = {},
  ): Promise<PatchView> {
    const author = opts.author ?? 'unknown';
    if (!(await this.isRun(target))) {
      return this.workflowPatches.propose(target, patch, {
        author,
        ...(opts.rationale !== undefined ? { rationale: opts.rationale } : {}),
      });
    }
    const runId = target;
    const state = fold(await this.deps.store.read(runId), runId);
    if (isOver(state.status))
      throw new AobError('RUN_OVER', `run ${runId} is already ${state.status}`);
    const doc = runPatchDocument(runId, state.irHash, patch, {
      patchId: this.deps.newId('patch'),
      author,
      ...(opts.rationale !== undefined ? { rationale: opts.rationale } : {}),
    });
    assertPatchDocument(doc);
    await this.deps.driver.deliver(runId, { type: 'proposePatch', patch: doc, actor: author });
    return this.awaitPatch(runId, doc.patchId, (p) => p.status !== 'proposed');
  }

  /**
   * Judges a patch to a run as a proposal would be judged now, persisting nothing: `applied`
   * means it would apply, `held` that a reviewer would have to approve it (with the reasons),
   * `rejected` with every violation. The run's owner judges the real proposal again, on the
   * state it has then.
   */
  async checkPatch(runId: string, patch: unknown, author: string): Promise<PatchCheckResult> {
    const state = fold(await this.deps.store.read(runId), runId);
    if (state.seq === 0) throw new AobError('RUN_NOT_FOUND', `no run ${runId}`);
    if (isOver(state.status))
      throw new AobError('RUN_OVER', `run ${runId} is already ${state.status}`);
    const ir = await this.deps.loadIr(state.irHash);
    const doc = runPatchDocument(runId, state.irHash, patch, { patchId: 'check', author });
    const input = proposalValidationInput(state, ir, doc, author);
    if (!input) throw new AobError('RUN_OVER', `run ${runId} takes no patches now`);
    const judgement = judgePatch(validatePatch(input), ir.definition.patchPolicy);
    if (judgement.status === 'rejected') {
      return { status: 'rejected', violations: judgement.violations };
    }
    if (judgement.status === 'held') {
      return { status: 'held', violations: [], reasons: judgement.reasons };
    }
    return { status: 'applied', violations: [] };
  }

  /** A reviewer approves or rejects a held patch of either scope. */
  async reviewPatch(
    patchId: string,
    decision: 'approved' | 'rejected',
    by: string,
    reason?: string,
  ): Promise<PatchView> {
    const { patch } = await this.patch(patchId);
    if (patch.scope === 'workflow') {
      return this.workflowPatches.review(patchId, decision, by, reason);
    }
    if (patch.status !== 'held') {
      throw new AobError('PATCH_NOT_HELD', `patch ${patchId} is ${patch.status}, not held`);
    }
    const refusal = reviewRefusal(patch, by);
    if (refusal) throw new AobError('NOT_A_REVIEWER', refusal);
    const runId = patch.runId!;
    await this.deps.driver.deliver(runId, {
      type: 'reviewPatch',
      patchId,
      decision,
      by,
      ...(reason !== undefined ? { reason } : {}),
    });
    return this.awaitPatch(runId, patchId, (p) => p.status !== 'held');
  }

  /**
   * Takes an applied patch out. Run scope: resolves with the patch (reverted, or still applied,
   * with the refused revert's reasons). Workflow scope: retires the version it made.
   */
  async revertPatch(
    patchId: string,
    by?: string,
  ): Promise<{ patch: PatchView; revert?: PatchView }> {
    const found = await this.patch(patchId);
    if (found.patch.scope === 'workflow') {
      return { patch: await this.workflowPatches.revert(patchId, by ?? 'unknown') };
    }
    if (found.patch.status !== 'applied') {
      throw new AobError(
        'PATCH_NOT_APPLIED',
        `patch ${patchId} is ${found.patch.status}, not applied`,
      );
    }
    const runId = found.patch.runId!;
    // A finished run takes no more patches: said at once, not after waiting on a driver.
    const summary = await this.deps.store.getRun(runId);
    if (summary && isOver(summary.status)) {
      throw new AobError(
        'RUN_OVER',
        `run ${runId} is already ${summary.status}: its patches can no longer be reverted`,
      );
    }
    await this.deps.driver.deliver(runId, {
      type: 'revertPatch',
      patchId,
      ...(by !== undefined ? { by } : {}),
    });
    const revertId = `${patchId}.revert`;
    await this.awaitPatch(
      runId,
      patchId,
      (p, all) =>
        p.status === 'reverted' ||
        all.some((q) => q.patchId === revertId && q.status === 'rejected'),
    );
    const all = await this.patches({ runId });
    const revert = all.find((q) => q.patchId === revertId);
    return { patch: all.find((q) => q.patchId === patchId)!, ...(revert ? { revert } : {}) };
  }

  /**
   * Patches in the order they were proposed: one run's, one workflow's, or (neither given) every
   * workflow's and every run's (of one namespace, if given).
   */
  async patches(
    opts: { runId?: string; workflow?: string; namespace?: string } = {},
  ): Promise<PatchView[]> {
    if (opts.workflow !== undefined) return this.workflowPatches.list(opts.workflow);
    const runIds = opts.runId
      ? [opts.runId]
      : (
          await this.deps.store.listRuns(
            opts.namespace !== undefined ? { namespace: opts.namespace } : {},
          )
        ).map((r) => r.runId);
    const out: PatchView[] = opts.runId ? [] : await this.workflowPatches.list();
    for (const runId of runIds) {
      const events = await this.deps.store.read(runId);
      if (events.length === 0) throw new AobError('RUN_NOT_FOUND', `no run ${runId}`);
      out.push(...patchesOf(fold(events, runId), events));
    }
    return out;
  }

  /** One patch, with what it changed in the graph when it was applied. */
  async patch(patchId: string): Promise<{ patch: PatchView; diff?: GraphDiff }> {
    const patch = (await this.workflowPatches.find(patchId)) ?? (await this.runPatch(patchId));
    if (!patch)
      throw new AobError('PATCH_NOT_FOUND', `no patch ${patchId} (list them with: aob patch list)`);
    if (!patch.irHash || !patch.baseIrHash) return { patch };
    const [before, after] = await Promise.all(
      [patch.baseIrHash, patch.irHash].map(
        (h) =>
          this.deps.content.get({
            $cas: h as `sha256:${string}`,
            size: 0,
          }) as Promise<WorkflowDefinition>,
      ),
    );
    return { patch, diff: diffDefinitions(before!, after!) };
  }

  /** A run patch, found through the store's patch → run index (one log read, not all). */
  private async runPatch(patchId: string): Promise<PatchView | undefined> {
    const runId = await this.deps.store.findRun('patch', patchId);
    if (runId === undefined) return undefined;
    return (await this.patches({ runId })).find((p) => p.patchId === patchId);
  }

  /** Whether `target` names a run (else a workflow); a `run_…` id that is no run is an error. */
  async isRun(target: string): Promise<boolean> {
    if (await this.deps.store.getRun(target)) return true;
    if (target.startsWith('run_')) throw new AobError('RUN_NOT_FOUND', `no run ${target}`);
    return false;
  }

  private async storeDefinition(ir: IR): Promise<void> {
    if (this.storedDefinitions.has(ir.irHash)) return;
    const stored = await this.deps.content.put(ir.definition);
    if (stored.$cas !== ir.irHash) {
      throw new AobError(
        'IR_HASH_MISMATCH',
        `definition stored as ${stored.$cas}, expected ${ir.irHash}`,
      );
    }
    this.storedDefinitions.add(ir.irHash);
  }

  /** The poll option that wakes a wait on the run's events that matter to it, where heard. */
  private hear(
    runId: string,
    matters: (e: AnyRunEvent) => boolean,
  ): { changes?: (poke: () => void) => () => void } {
    const changes = this.deps.changes;
    if (!changes) return {};
    return {
      changes: (poke) =>
        changes(runId, (e) => {
          if (matters(e)) poke();
        }),
    };
  }

  private async awaitPatch(
    runId: string,
    patchId: string,
    done: (p: PatchView, all: PatchView[]) => boolean,
  ): Promise<PatchView> {
    const decided = await pollUntil(
      async () => {
        const all = await this.patches({ runId });
        const p = all.find((q) => q.patchId === patchId);
        return p && done(p, all) ? p : undefined;
      },
      {
        timeoutMs: this.deps.patchVerdictWaitMs ?? PATCH_VERDICT_WAIT_MS,
        everyMs: POLL_MS,
        ...this.hear(runId, (e) => e.type.startsWith('Patch')),
      },
    );
    if (decided) return decided;
    throw new AobError(
      'PATCH_PENDING',
      `patch ${patchId} is not decided yet: the process driving run ${runId} has not taken it`,
      { retryable: true },
    );
  }
}

/**
 * A run patch document from what the caller gave (an operation array, or a whole document) and
 * what only the server decides: the id (patch ids are unique across runs: a chosen one could
 * shadow another run's patch) and the author (the caller, never what the document claims).
 */
function runPatchDocument(
  runId: string,
  baseIrHash: string,
  patch: unknown,
  own: { patchId: string; author: string; rationale?: string },
): Record<string, unknown> & { patchId: string } {
  const given = Array.isArray(patch) ? { ops: patch } : ((patch ?? {}) as Record<string, unknown>);
  return {
    scope: 'run',
    target: runId,
    baseIrHash,
    ...(own.rationale !== undefined ? { rationale: own.rationale } : {}),
    ...given,
    patchId: own.patchId,
    author: own.author,
  };
}

/** The core's terminal-status check, under the name the engine's callers use. */
export const isOver: (status: RunStatus) => boolean = isTerminalStatus;

/** Starts a run inside its root span, which ends once the run has started (or failed to). */
async function traced(run: RunTrace, start: () => Promise<void>): Promise<void> {
  try {
    await context.with(run.context, start);
  } catch (err) {
    // Handed over and not started yet is no failure: the run starts once an orchestrator takes it.
    if ((err as AobError).code === 'RUN_PENDING') run.span.setAttribute('aob.run.pending', true);
    else failSpan(run.span, err);
    throw err;
  } finally {
    run.span.end();
  }
}

/** What a replay may reuse: every node of the original that finished (not skipped). */
function recordedResults(state: RunState): Record<string, RecordedResult> {
  const out: Record<string, RecordedResult> = {};
  for (const [id, n] of Object.entries(state.nodes)) {
    if (n.status === 'succeeded' && n.output) {
      out[id] = {
        outcome: 'succeeded',
        output: n.output,
        route: n.route ?? [],
        ports: n.ports ?? ['success'],
        ...(n.inputHash ? { inputHash: n.inputHash } : {}),
      };
    } else if (n.status === 'failed' && n.error) {
      out[id] = {
        outcome: 'failed',
        error: n.error,
        route: n.route ?? [],
        ...(n.inputHash ? { inputHash: n.inputHash } : {}),
      };
    }
  }
  return out;
}
