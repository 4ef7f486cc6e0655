import { join, resolve as resolvePath } from 'node:path';
import { readFile } from 'node:fs/promises';
import type { AnyRunEvent, IR, WorkflowDefinition } from '@aob/core';
import { AobError, ValidationError, compileCached } from '@aob/core';
import { MemoryBus } from '@aob/bus';
import type { ContentStore, EventStore } from '@aob/store';
import { openLocalStores, openMemoryStores } from '@aob/store';
import { Orchestrator } from '../orchestrator/orchestrator.js';
import { ResultConsumer } from '../orchestrator/results.js';
import { Runner } from '../runner/runner.js';
import { FileResultMemo, MemoryResultMemo } from '../runner/memo.js';
import { loadHandlers } from '../executors/handlers.js';
import { executorProblems } from '../app/preflight.js';
import { currentHash, handlersSource, RunSettingsBook } from './run-settings.js';
import type { HandlersSource } from './run-settings.js';
import type { ExecutorOptions, TaskHandler } from '../executors/types.js';
import type { EventListener, LocalEngineOptions } from './options.js';
import type { NodeDelta } from '../app/operations.js';
import { newId } from '../app/ids.js';
import { RunControl, isOver } from '../app/run-control.js';
import { DraftControl } from '../app/drafts.js';
import { ScheduleControl } from '../schedules/schedule-control.js';
import { Scheduler } from '../schedules/scheduler.js';
import type { SchedulerOptions } from '../schedules/scheduler.js';
import { irLoader, workflowResolver } from '../workflows.js';
import { LiveOutput } from './live-output.js';
import { pollUntil } from '../app/poll.js';
import { localAgentHost } from './agent-host.js';
import { leaseOwnerId, ownerIsGone } from './lease-owner.js';

const LEASE_TTL_MS = 3_000;
const LEASE_RENEW_MS = 1_000;
const INBOX_POLL_MS = 150;

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
  private readonly owner = leaseOwnerId(newId('run').slice(4));
  private readonly timers: NodeJS.Timeout[] = [];
  private closed = false;
  /**
   * The operations on workflows, runs, approvals and patches (the application layer), driving
   * runs in this process; the engine itself keeps only what is local: leases, the inbox, the
   * handlers a run needs, live output, and its lifecycle.
   */
  readonly control: RunControl;
  /** Drafts of workflows being edited (app/drafts.ts), over this engine's store and operations. */
  readonly drafts: DraftControl;
  /** Schedules (schedules/schedule-control.ts), over this engine's store and operations. */
  readonly schedules: ScheduleControl;
  /** The scheduler this process runs, once `startScheduler` is called (aob dev, aob scheduler). */
  private scheduler: Scheduler | undefined;

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
    private readonly executors: ExecutorOptions,
    private readonly settings: RunSettingsBook,
    /** The handlers module loaded here (at open, or adopted from the first run taken over). */
    private handlersModule: HandlersSource | undefined,
  ) {
    this.control = new RunControl({
      store,
      content,
      loadIr,
      now: Date.now,
      newId,
      preflight: (definition) => executorProblems(definition, executors),
      // Waits wake on this process's appends; runs driven elsewhere are polled.
      changes: (runId, listener) =>
        this.onEvent((e) => {
          if (e.runId === runId) listener(e);
        }),
      driver: {
        startsInProcess: true,
        start: async (ir, inputs, opts) => {
          // Recorded before the run exists, so whoever takes it over runs the same code.
          this.settings.put(opts.runId, {
            ...(this.handlersModule ? { handlers: this.handlersModule } : {}),
            allowPrivateNetwork: this.executors.allowPrivateNetwork,
          });
          await this.takeLease(opts.runId);
          await this.orchestrator.start(ir, inputs, opts);
          return true; // appended before start resolves
        },
        deliver: (runId, trigger) => this.sendOrDrive(runId, trigger),
      },
    });
    this.drafts = new DraftControl({ store, control: this.control });
    this.schedules = new ScheduleControl({ store, control: this.control });
  }

  static async open(opts: LocalEngineOptions = {}): Promise<LocalEngine> {
    const home = resolvePath(opts.home ?? process.env.AOB_HOME ?? '.aob');
    let stores: { events: EventStore; content: ContentStore };
    try {
      stores =
        opts.store === 'memory'
          ? openMemoryStores()
          : openLocalStores(home, { durability: opts.durability ?? 'normal' });
    } catch (err) {
      throw new AobError(
        'STORE_UNAVAILABLE',
        `cannot open the store at ${home}: ${(err as Error).message}`,
        { retryable: true },
      );
    }
    let handlers: Readonly<Record<string, TaskHandler>> = opts.handlers ?? {};
    let handlersModule: HandlersSource | undefined;
    if (opts.handlersFile) {
      const path = resolvePath(opts.handlersFile);
      handlers = { ...(await loadHandlers(path)), ...handlers };
      handlersModule = await handlersSource(path);
    }
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
      ...(opts.inlinePureNodes === false ? { inlinePureNodes: false } : {}),
    });
    const live = new LiveOutput(opts.store === 'memory' ? undefined : home);
    const executors: ExecutorOptions = {
      handlers,
      allowPrivateNetwork: opts.allowPrivateNetwork ?? false,
      ...(opts.llm ? { llm: opts.llm } : {}),
      ...(opts.search ? { search: opts.search } : {}),
      ...(opts.mcp ? { mcp: opts.mcp } : {}),
      ...(opts.workspaceRoot ? { workspaceRoot: resolvePath(opts.workspaceRoot) } : {}),
      agentHost: localAgentHost({
        store: stores.events,
        content: stores.content,
        loadIr,
        proposePatch: (runId, patch, o) => late.engine!.control.proposePatch(runId, patch, o),
      }),
    };
    const runner = new Runner({
      bus,
      content: stores.content,
      // Nodes marked `memo: true` reuse a stored output (no type is memoised unmarked here): in
      // memory with the memory store, else in AOB_HOME/memo beside the content it points into.
      memo: {
        store:
          opts.memo ??
          (opts.store === 'memory'
            ? new MemoryResultMemo()
            : new FileResultMemo(join(home, 'memo'))),
        types: [],
      },
      options: executors,
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
      executors,
      new RunSettingsBook(opts.store === 'memory' ? undefined : home),
      handlersModule,
    );
    late.engine = engine;
    engine.control.optimizeWith(opts.optimizer);
    await runner.start();
    await results.start();
    engine.startHousekeeping();
    return engine;
  }

  // ---- workflows -------------------------------------------------------------------------

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
    try {
      return await this.control.registeredWorkflow(ref);
    } catch (err) {
      if ((err as AobError).code !== 'WORKFLOW_NOT_FOUND') throw err;
      throw new AobError(
        'WORKFLOW_NOT_FOUND',
        `no workflow file or registered workflow named ${ref}`,
      );
    }
  }

  /** A definition (file or registered), or a registered one with workflow patches applied in order. */
  async showWorkflow(
    ref: string,
    patchIds?: readonly string[],
  ): Promise<{ definition: WorkflowDefinition; irHash: string }> {
    if (patchIds && patchIds.length > 0) return this.control.showRegisteredWorkflow(ref, patchIds);
    const definition = await this.loadWorkflow(ref);
    return { definition, irHash: compileCached(definition).irHash };
  }

  // ---- local lifecycle -----------------------------------------------------------------

  /** Continues a run whose driving process died: re-dispatches what was in flight. */
  async resume(runId: string): Promise<void> {
    const summary = await this.store.getRun(runId);
    if (!summary) throw new AobError('RUN_NOT_FOUND', `no run ${runId}`);
    if (isOver(summary.status)) return;
    await this.adoptSettings(runId);
    await this.takeLease(runId, LEASE_TTL_MS + 1_000);
    await this.orchestrator.recover(runId);
    await this.drainInbox(runId);
  }

  /**
   * Whether a live process drives the run: its lease is unexpired and its holder not provably gone
   * (lease-owner.ts). False means `resume` would take the run at once.
   */
  async isDriven(runId: string): Promise<boolean> {
    const lease = await this.store.getLease(runId);
    return lease !== undefined && lease.expiresAt >= Date.now() && !ownerIsGone(lease.owner);
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
    await this.scheduler?.stop();
    this.drafts.close();
    this.orchestrator.close();
    // Ask the loops to stop, then close the bus so their blocked reads return at once.
    const loops = [this.runner.stop(), this.results.stop()];
    await Promise.all([...this.driven].map((r) => this.store.releaseLease(r, this.owner)));
    await this.bus.close();
    await Promise.all(loops);
    await this.store.close();
    await this.content.close();
  }

  /**
   * Runs the scheduler in this process: it starts the runs of due schedule ticks of this store
   * (any number of processes may run one: a tick's run id is the tick's), and this process
   * drives the runs it starts. Stopped by `close`.
   */
  startScheduler(opts: Pick<SchedulerOptions, 'pollMs' | 'onError' | 'onStarted'> = {}): Scheduler {
    this.scheduler ??= new Scheduler({
      store: this.store,
      schedules: this.schedules,
      cancel: (runId, reason, by) => this.control.cancel(runId, reason, by),
      owner: this.owner,
      ...(opts.pollMs !== undefined ? { pollMs: opts.pollMs } : {}),
      ...(opts.onStarted ? { onStarted: opts.onStarted } : {}),
      onError:
        opts.onError ?? ((err) => process.emitWarning(`aob scheduler: ${(err as Error).message}`)),
    });
    this.scheduler.start();
    return this.scheduler;
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

  /**
   * Before this process drives a run another one started: load the handlers module the run
   * started with (when this process has none), or refuse — exit 2 — when that cannot be done
   * faithfully: the module is gone or changed, this process runs another module, or the run
   * was allowed private network addresses and this process is not.
   */
  private async adoptSettings(runId: string): Promise<void> {
    const recorded = this.settings.get(runId);
    if (!recorded) return; // started before settings were recorded
    if (recorded.allowPrivateNetwork && !this.executors.allowPrivateNetwork) {
      throw settingsRefusal(
        runId,
        'it was started with --allow-private-network: give the same flag to continue it',
      );
    }
    const want = recorded.handlers;
    if (!want || this.handlersModule?.sha256 === want.sha256) return;
    if (this.handlersModule) {
      throw settingsRefusal(
        runId,
        `it runs the handlers in ${want.path}, and this process loaded ${this.handlersModule.path} (a different module): continue it in a process of its own (aob run resume ${runId}, without --handlers)`,
      );
    }
    const now = await currentHash(want.path);
    if (now !== want.sha256) {
      throw settingsRefusal(
        runId,
        `it runs the handlers in ${want.path} (sha256 ${want.sha256.slice(0, 12)}…), and that file ${now === undefined ? 'is gone' : `has changed since (now ${now.slice(0, 12)}…)`}: a run continues only with the code it started with; put the file back as it was, or start the run again`,
      );
    }
    this.executors.handlers = { ...(await loadHandlers(want.path)), ...this.executors.handlers };
    this.handlersModule = want;
  }

  /**
   * Takes the run's lease, waiting up to `waitMs` for another holder's lease to expire — or not at
   * all when that holder is a process of this machine that no longer exists (lease-owner.ts).
   */
  private async takeLease(runId: string, waitMs = 0): Promise<void> {
    const taken = await pollUntil(
      async () => ((await this.acquireLease(runId)) ? true : undefined),
      { timeoutMs: waitMs, everyMs: 200 },
    );
    if (taken) {
      this.driven.add(runId);
      return;
    }
    const lease = await this.store.getLease(runId);
    throw new AobError(
      'RUN_LEASED',
      `run ${runId} is being driven by another aob process (${lease?.owner ?? 'unknown'}); it continues there`,
    );
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
    if (await this.acquireLease(runId)) {
      try {
        await this.adoptSettings(runId);
      } catch (err) {
        // Refused with nothing changed: the lease goes back, the trigger is not applied.
        await this.store.releaseLease(runId, this.owner);
        throw err;
      }
      this.driven.add(runId);
      await this.orchestrator.recover(runId);
      await this.drainInbox(runId);
      await this.orchestrator.trigger(runId, trigger);
      return true;
    }
    await this.store.enqueueCommand(runId, trigger.type, trigger, Date.now());
    return false;
  }

  /** Takes a free, expired or own lease, or the lease of a holder that is provably gone. */
  private async acquireLease(runId: string): Promise<boolean> {
    if (await this.store.acquireLease(runId, this.owner, LEASE_TTL_MS, Date.now())) return true;
    const holder = (await this.store.getLease(runId))?.owner;
    if (holder === undefined || !ownerIsGone(holder)) return false;
    return this.store.takeOverLease(runId, holder, this.owner, LEASE_TTL_MS, Date.now());
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

function settingsRefusal(runId: string, why: string): AobError {
  return new AobError('RUN_SETTINGS_MISMATCH', `cannot take run ${runId} over here: ${why}`, {
    retryable: false,
  });
}
