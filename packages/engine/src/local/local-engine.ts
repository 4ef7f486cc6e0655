import { hostname } from 'node:os';
import { resolve as resolvePath } from 'node:path';
import { readFile } from 'node:fs/promises';
import type {
  AnyRunEvent,
  IR,
  Problem,
  RecordedResult,
  RunState,
  RunStatus,
  WorkflowDefinition,
} from '@aob/core';
import {
  AobError,
  ValidationError,
  compileCached,
  fold,
  reviewRefusal,
  validateDefinition,
} from '@aob/core';
import { MemoryBus } from '@aob/bus';
import type { ContentStore, EventStore } from '@aob/store';
import { openLocalStores, openMemoryStores } from '@aob/store';
import { Orchestrator } from '../orchestrator/orchestrator.js';
import { ResultConsumer } from '../orchestrator/results.js';
import { Runner } from '../runner/runner.js';
import { loadHandlers } from '../executors/handlers.js';
import type { TaskHandler } from '../executors/types.js';
import type {
  ApprovalView,
  EventListener,
  LocalEngineOptions,
  NodeDelta,
  RunListItem,
  RunView,
  StartOptions,
  WorkflowView,
} from './api.js';
import { approvalsOf, runView } from './views.js';
import type { GraphDiff, PatchView } from './patches.js';
import { diffDefinitions, patchesOf } from './patches.js';
import { newId } from './ids.js';
import { WorkflowPatches } from './workflow-patches.js';
import { irLoader, splitRef, workflowResolver } from '../workflows.js';
import { LiveOutput } from './live-output.js';
import { localAgentHost } from './agent-host.js';

const LEASE_TTL_MS = 3_000;
const LEASE_RENEW_MS = 1_000;
const INBOX_POLL_MS = 150;
const WAIT_POLL_MS = 100;
const PATCH_VERDICT_WAIT_MS = 10_000;

/**
 * The local topology in one process: the orchestrator and the runner talk through an in-process
 * bus exactly as the services talk through Kafka; runs live in the embedded store under
 * AOB_HOME. Several processes may share one store: each run is driven by the process holding
 * its lease, and other processes hand it commands (approve, cancel) through the store's inbox.
 */
export class LocalEngine {
  private readonly listeners = new Set<EventListener>();
  /** Runs this process drives (holds the lease of). */
  private readonly driven = new Set<string>();
  private readonly owner = `${hostname()}:${process.pid}:${newId('run').slice(4)}`;
  private readonly timers: NodeJS.Timeout[] = [];
  /** Definitions this process has put in the content store (content never changes). */
  private readonly storedDefinitions = new Set<string>();
  private closed = false;
  private readonly workflowPatches: WorkflowPatches;

  private constructor(
    readonly store: EventStore,
    readonly content: ContentStore,
    private readonly bus: MemoryBus,
    private readonly orchestrator: Orchestrator,
    private readonly runner: Runner,
    private readonly results: ResultConsumer,
    /** The IR a run pins, by hash (read from the content store once, then cached). */
    private readonly loadIr: (irHash: string) => Promise<IR>,
    private readonly live: LiveOutput,
  ) {
    this.workflowPatches = new WorkflowPatches({
      store,
      content,
      now: Date.now,
      newPatchId: () => newId('patch'),
    });
  }

  static async open(opts: LocalEngineOptions = {}): Promise<LocalEngine> {
    const home = resolvePath(opts.home ?? process.env.AOB_HOME ?? '.aob');
    let stores: { events: EventStore; content: ContentStore };
    try {
      stores = opts.store === 'memory' ? openMemoryStores() : openLocalStores(home);
    } catch (err) {
      throw new AobError(
        'STORE_UNAVAILABLE',
        `cannot open the store at ${home}: ${(err as Error).message}`,
        { retryable: true },
      );
    }
    let handlers: Readonly<Record<string, TaskHandler>> = opts.handlers ?? {};
    if (opts.handlersFile)
      handlers = { ...(await loadHandlers(resolvePath(opts.handlersFile))), ...handlers };
    const bus = new MemoryBus({ redeliverAfterMs: 60_000 });
    // The orchestrator's callbacks reach the engine and runner built after it.
    const late: { engine?: LocalEngine; runner?: Runner } = {};
    const loadIr = irLoader(stores.content);
    const orchestrator = new Orchestrator({
      events: stores.events,
      content: stores.content,
      bus,
      now: Date.now,
      random: Math.random,
      newId,
      loadIr,
      resolveWorkflow: workflowResolver(stores.events, loadIr),
      abortJobs: (runId, nodeIds) => late.runner?.abort(runId, nodeIds),
      onEvents: (events) => late.engine?.emit(events),
    });
    const live = new LiveOutput(opts.store === 'memory' ? undefined : home);
    const runner = new Runner({
      bus,
      content: stores.content,
      options: {
        handlers,
        allowPrivateNetwork: opts.allowPrivateNetwork ?? false,
        ...(opts.llm ? { llm: opts.llm } : {}),
        ...(opts.search ? { search: opts.search } : {}),
        ...(opts.workspaceRoot ? { workspaceRoot: resolvePath(opts.workspaceRoot) } : {}),
        agentHost: localAgentHost({
          store: stores.events,
          content: stores.content,
          loadIr,
          proposePatch: (runId, patch, o) => late.engine!.proposePatch(runId, patch, o),
        }),
      },
      concurrency: opts.concurrency ?? 64,
      consumer: 'local',
      onDelta: (job, delta) =>
        live.write({
          runId: job.runId,
          nodeId: job.nodeId,
          attempt: job.attempt,
          delta,
          at: Date.now(),
        }),
    });
    const results = new ResultConsumer(bus, orchestrator, 'local', 'orchestrators', (err) => {
      process.emitWarning(`aob: ${(err as Error).message}`);
    });
    late.runner = runner;
    const engine = new LocalEngine(
      stores.events,
      stores.content,
      bus,
      orchestrator,
      runner,
      results,
      loadIr,
      live,
    );
    late.engine = engine;
    await runner.start();
    await results.start();
    engine.startHousekeeping();
    return engine;
  }

  // ---- workflows -------------------------------------------------------------------------

  validate(doc: unknown): { valid: boolean; errors: Problem[] } {
    const errors = validateDefinition(doc);
    return { valid: errors.length === 0, errors };
  }

  /** A definition from a JSON file, or a registered workflow `name[@version]`. */
  async loadWorkflow(ref: string): Promise<WorkflowDefinition> {
    if (ref.endsWith('.json') || ref.includes('/') || ref.includes('\\')) {
      let text: string;
      try {
        text = await readFile(resolvePath(ref), 'utf8');
      } catch (err) {
        throw new AobError(
          'WORKFLOW_NOT_FOUND',
          `cannot read workflow file ${ref}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        );
      }
      try {
        return JSON.parse(text) as WorkflowDefinition;
      } catch (err) {
        throw new ValidationError([
          {
            code: 'JSON',
            path: '',
            message: `${ref} is not valid JSON: ${(err as Error).message}`,
          },
        ]);
      }
    }
    const [name, version] = splitRef(ref);
    const rec = await this.store.getWorkflow(name, version);
    if (!rec)
      throw new AobError(
        'WORKFLOW_NOT_FOUND',
        `no workflow file or registered workflow named ${ref}`,
      );
    return (await this.content.get({
      $cas: rec.irHash as `sha256:${string}`,
      size: 0,
    })) as WorkflowDefinition;
  }

  async registerWorkflow(def: unknown): Promise<WorkflowView> {
    const ir = compileCached(def);
    await this.content.put(ir.definition);
    const record = {
      name: ir.name,
      version: ir.version,
      irHash: ir.irHash,
      registeredAt: Date.now(),
    };
    await this.store.putWorkflow(record);
    return record;
  }

  async listWorkflows(): Promise<WorkflowView[]> {
    return this.store.listWorkflows();
  }

  /** A definition (file or registered), or a registered one with workflow patches applied in order. */
  async showWorkflow(
    ref: string,
    patchIds?: readonly string[],
  ): Promise<{ definition: WorkflowDefinition; irHash: string }> {
    const definition =
      patchIds && patchIds.length > 0
        ? await this.workflowPatches.materialize(ref, patchIds)
        : await this.loadWorkflow(ref);
    return { definition, irHash: compileCached(definition).irHash };
  }

  // ---- runs -----------------------------------------------------------------------------

  /** Validates the definition and inputs (nothing is persisted when either is bad), then starts. */
  async start(def: unknown, inputs: unknown, opts: StartOptions = {}): Promise<string> {
    const ir = compileCached(def);
    const problems = ir.checkInputs(inputs ?? {});
    if (problems.length > 0) throw new ValidationError(problems, 'inputs');
    if (!this.storedDefinitions.has(ir.irHash)) {
      const stored = await this.content.put(ir.definition);
      if (stored.$cas !== ir.irHash) {
        throw new AobError(
          'IR_HASH_MISMATCH',
          `definition stored as ${stored.$cas}, expected ${ir.irHash}`,
        );
      }
      this.storedDefinitions.add(ir.irHash);
    }
    const runId = opts.runId ?? newId('run');
    await this.takeLease(runId);
    await this.orchestrator.start(ir, inputs ?? {}, {
      runId,
      ...(opts.actor ? { actor: opts.actor } : {}),
    });
    return runId;
  }

  /** Continues a run whose driving process died: re-dispatches what was in flight. */
  async resume(runId: string): Promise<void> {
    const summary = await this.store.getRun(runId);
    if (!summary) throw new AobError('RUN_NOT_FOUND', `no run ${runId}`);
    if (isOver(summary.status)) return;
    await this.takeLease(runId, LEASE_TTL_MS + 1_000);
    await this.orchestrator.recover(runId);
    await this.drainInbox(runId);
  }

  async get(runId: string): Promise<RunView> {
    const events = await this.store.read(runId);
    if (events.length === 0) throw new AobError('RUN_NOT_FOUND', `no run ${runId}`);
    return this.viewOf(fold(events, runId));
  }

  async list(opts: { status?: RunStatus[]; limit?: number } = {}): Promise<RunListItem[]> {
    const runs = await this.store.listRuns(opts);
    return runs.map((r) => ({
      runId: r.runId,
      workflow: r.workflow,
      status: r.status,
      startedAt: r.startedAt,
    }));
  }

  /** Resolves when the run is over (or, with untilSettled, waits on a person with nothing in flight). */
  async wait(
    runId: string,
    opts: { timeoutMs?: number; untilSettled?: boolean } = {},
  ): Promise<RunView> {
    const deadline = opts.timeoutMs === undefined ? Infinity : Date.now() + opts.timeoutMs;
    // Listen before looking, so an end that happens in between is not missed.
    let wake: (() => void) | undefined;
    const off = this.onEvent((e) => {
      if (e.runId === runId && SETTLING.has(e.type)) wake?.();
    });
    try {
      for (;;) {
        const summary = await this.store.getRun(runId);
        if (!summary) throw new AobError('RUN_NOT_FOUND', `no run ${runId}`);
        if (isOver(summary.status) || (opts.untilSettled && summary.status === 'waiting')) break;
        if (Date.now() >= deadline) break;
        // Runs driven by another process change without events here: poll the store too.
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, Math.max(1, Math.min(WAIT_POLL_MS, deadline - Date.now())));
          wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        wake = undefined;
      }
    } finally {
      off();
    }
    return this.get(runId);
  }

  async events(runId: string, fromSeq = 1): Promise<AnyRunEvent[]> {
    return this.store.read(runId, fromSeq);
  }

  async approvals(opts: { all?: boolean } = {}): Promise<ApprovalView[]> {
    const statuses: RunStatus[] | undefined = opts.all ? undefined : ['waiting', 'running'];
    const runs = await this.store.listRuns(statuses ? { status: statuses } : {});
    const out: ApprovalView[] = [];
    for (const r of runs) {
      const state = fold(await this.store.read(r.runId), r.runId);
      for (const a of approvalsOf(state)) if (opts.all || a.status === 'open') out.push(a);
    }
    return out;
  }

  async approve(
    ticketId: string,
    decision: 'approved' | 'rejected',
    by: string,
    reason?: string,
  ): Promise<{ runId: string; drivenHere: boolean }> {
    const open = await this.approvals({ all: true });
    const ticket = open.find((a) => a.ticketId === ticketId);
    if (!ticket)
      throw new AobError(
        'TICKET_NOT_FOUND',
        `no approval ticket ${ticketId} (list them with: aob approvals list)`,
      );
    if (ticket.status !== 'open')
      throw new AobError('TICKET_DECIDED', `ticket ${ticketId} is already ${ticket.status}`);
    const trigger = {
      type: 'approve' as const,
      ticketId,
      decision,
      by,
      ...(reason !== undefined ? { reason } : {}),
    };
    const drivenHere = await this.sendOrDrive(ticket.runId, trigger);
    return { runId: ticket.runId, drivenHere };
  }

  async cancel(runId: string, reason?: string, by?: string): Promise<void> {
    const summary = await this.store.getRun(runId);
    if (!summary) throw new AobError('RUN_NOT_FOUND', `no run ${runId}`);
    if (isOver(summary.status))
      throw new AobError('RUN_OVER', `run ${runId} is already ${summary.status}`);
    await this.sendOrDrive(runId, {
      type: 'cancel',
      ...(reason !== undefined ? { reason } : {}),
      ...(by !== undefined ? { by } : {}),
    });
  }

  /**
   * Replays a run from a node as a new run on the same IR: nodes not downstream of it reuse
   * their recorded results; in freeze mode downstream nodes whose input is unchanged do too.
   */
  async replay(runId: string, fromNode: string, mode: 'freeze' | 'live'): Promise<string> {
    const events = await this.store.read(runId);
    if (events.length === 0) throw new AobError('RUN_NOT_FOUND', `no run ${runId}`);
    const state = fold(events, runId);
    const ir = await this.loadIr(state.irHash);
    if (!ir.byId.has(fromNode)) {
      throw new AobError(
        'UNKNOWN_NODE',
        `run ${runId} has no node ${fromNode} (nodes: ${ir.nodes.map((n) => n.id).join(', ')})`,
      );
    }
    const inputs = state.inputs ? await this.content.get(state.inputs) : {};
    const replayRunId = newId('run');
    await this.takeLease(replayRunId);
    await this.orchestrator.start(ir, inputs, {
      runId: replayRunId,
      replay: { of: runId, fromNode, mode, recorded: recordedResults(state) },
    });
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
    const events = await this.store.read(runId);
    const state = fold(events, runId);
    if (isOver(state.status))
      throw new AobError('RUN_OVER', `run ${runId} is already ${state.status}`);
    const given = Array.isArray(patch)
      ? { ops: patch }
      : ((patch ?? {}) as Record<string, unknown>);
    const doc = {
      patchId: newId('patch'),
      scope: 'run',
      target: runId,
      baseIrHash: state.irHash,
      ...(opts.rationale !== undefined ? { rationale: opts.rationale } : {}),
      author,
      ...given,
    } as Record<string, unknown> & { patchId: string };
    await this.sendOrDrive(runId, { type: 'proposePatch', patch: doc, actor: String(doc.author) });
    return this.awaitPatch(runId, doc.patchId, (p) => p.status !== 'proposed');
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
    await this.sendOrDrive(runId, {
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
    await this.sendOrDrive(runId, {
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
   * workflow's and every run's.
   */
  async patches(opts: { runId?: string; workflow?: string } = {}): Promise<PatchView[]> {
    if (opts.workflow !== undefined) return this.workflowPatches.list(opts.workflow);
    const runIds = opts.runId ? [opts.runId] : (await this.store.listRuns()).map((r) => r.runId);
    const out: PatchView[] = opts.runId ? [] : await this.workflowPatches.list();
    for (const runId of runIds) {
      const events = await this.store.read(runId);
      if (events.length === 0) throw new AobError('RUN_NOT_FOUND', `no run ${runId}`);
      out.push(...patchesOf(fold(events, runId), events));
    }
    return out;
  }

  /** One patch, with what it changed in the graph when it was applied. */
  async patch(patchId: string): Promise<{ patch: PatchView; diff?: GraphDiff }> {
    const patch =
      (await this.workflowPatches.find(patchId)) ??
      (await this.patches()).find((p) => p.patchId === patchId);
    if (!patch)
      throw new AobError('PATCH_NOT_FOUND', `no patch ${patchId} (list them with: aob patch list)`);
    if (!patch.irHash || !patch.baseIrHash) return { patch };
    const [before, after] = await Promise.all(
      [patch.baseIrHash, patch.irHash].map(
        (h) =>
          this.content.get({
            $cas: h as `sha256:${string}`,
            size: 0,
          }) as Promise<WorkflowDefinition>,
      ),
    );
    return { patch, diff: diffDefinitions(before!, after!) };
  }

  private async isRun(target: string): Promise<boolean> {
    if (await this.store.getRun(target)) return true;
    if (target.startsWith('run_')) throw new AobError('RUN_NOT_FOUND', `no run ${target}`);
    return false;
  }

  private async awaitPatch(
    runId: string,
    patchId: string,
    done: (p: PatchView, all: PatchView[]) => boolean,
  ): Promise<PatchView> {
    const deadline = Date.now() + PATCH_VERDICT_WAIT_MS;
    for (;;) {
      const all = await this.patches({ runId });
      const p = all.find((q) => q.patchId === patchId);
      if (p && done(p, all)) return p;
      if (Date.now() > deadline) {
        throw new AobError(
          'PATCH_PENDING',
          `patch ${patchId} is not decided yet: the process driving run ${runId} has not taken it`,
          { retryable: true },
        );
      }
      await sleep(WAIT_POLL_MS);
    }
  }

  /** Partial output of running nodes of this process's runs (llm token deltas), as it comes. */
  onDelta(listener: (delta: NodeDelta) => void): () => void {
    return this.live.onDelta(listener);
  }

  /**
   * Deltas of a run's running nodes spooled by whichever process drives it, from byte `offset`;
   * gone once the run is over (its outputs are recorded then).
   */
  liveDeltas(runId: string, offset = 0): { deltas: NodeDelta[]; next: number } {
    return this.live.read(runId, offset);
  }

  onEvent(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    this.orchestrator.close();
    // Ask the loops to stop, then close the bus so their blocked reads return at once.
    const loops = [this.runner.stop(), this.results.stop()];
    await Promise.all([...this.driven].map((r) => this.store.releaseLease(r, this.owner)));
    await this.bus.close();
    await Promise.all(loops);
    await this.store.close();
    await this.content.close();
  }

  // ---- internals ------------------------------------------------------------------------

  private emit(events: readonly AnyRunEvent[]): void {
    for (const e of events) {
      for (const l of this.listeners) l(e);
      if (e.type === 'RunCompleted' || e.type === 'RunFailed' || e.type === 'RunCancelled') {
        this.driven.delete(e.runId);
        this.live.discard(e.runId);
      }
    }
  }

  private async viewOf(state: RunState): Promise<RunView> {
    const output = state.output ? await this.content.get(state.output) : undefined;
    const ir = await this.loadIr(state.irHash);
    return runView(
      state,
      output,
      ir.nodes.map((n) => n.id),
    );
  }

  /** Takes the run's lease, waiting up to `waitMs` for another holder's lease to expire. */
  private async takeLease(runId: string, waitMs = 0): Promise<void> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      if (await this.store.acquireLease(runId, this.owner, LEASE_TTL_MS, Date.now())) {
        this.driven.add(runId);
        return;
      }
      if (Date.now() >= deadline) {
        const lease = await this.store.getLease(runId);
        throw new AobError(
          'RUN_LEASED',
          `run ${runId} is being driven by another aob process (${lease?.owner ?? 'unknown'}); it continues there`,
        );
      }
      await sleep(200);
    }
  }

  /** Applies a trigger here if this process drives the run or nobody does; else hands it over. */
  private async sendOrDrive(
    runId: string,
    trigger: Parameters<Orchestrator['trigger']>[1],
  ): Promise<boolean> {
    if (this.driven.has(runId)) {
      await this.orchestrator.trigger(runId, trigger);
      return true;
    }
    if (await this.store.acquireLease(runId, this.owner, LEASE_TTL_MS, Date.now())) {
      this.driven.add(runId);
      await this.orchestrator.recover(runId);
      await this.drainInbox(runId);
      await this.orchestrator.trigger(runId, trigger);
      return true;
    }
    await this.store.enqueueCommand(runId, trigger.type, trigger, Date.now());
    return false;
  }

  /** Applies the commands other processes left for runs this process drives (one run, or all). */
  private async drainInbox(runId?: string): Promise<void> {
    const commands = await this.store.pendingCommands(runId);
    for (const c of commands) {
      if (!this.driven.has(c.runId)) continue; // its driver will take it
      try {
        await this.orchestrator.trigger(
          c.runId,
          c.payload as Parameters<Orchestrator['trigger']>[1],
        );
      } finally {
        await this.store.completeCommands([c.id]);
      }
    }
  }

  /** One lease write and one inbox read per tick, however many runs this process drives. */
  private startHousekeeping(): void {
    const renew = setInterval(() => {
      if (this.driven.size === 0) return;
      void this.store.renewLeases(this.owner, LEASE_TTL_MS, Date.now()).catch(() => undefined);
    }, LEASE_RENEW_MS);
    const inbox = setInterval(() => {
      if (this.driven.size === 0) return;
      void this.drainInbox().catch((err: Error) => process.emitWarning(`aob: ${err.message}`));
    }, INBOX_POLL_MS);
    renew.unref();
    inbox.unref();
    this.timers.push(renew, inbox);
  }
}

const SETTLING: ReadonlySet<string> = new Set([
  'RunWaiting',
  'RunCompleted',
  'RunFailed',
  'RunCancelled',
]);

function isOver(status: RunStatus): boolean {
  return status === 'completed' || status === 'failed' || status === 'cancelled';
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
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
