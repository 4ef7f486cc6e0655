// The orchestrator of the cluster topology (ARCHITECTURE §7): consumes results and commands, decides,
// appends events and outbox rows in one transaction, relays the outbox (minting agent jobs' job
// tokens as it publishes them), fires durable timers.
// Adapters come in from the composition root (services/orchestrator); nothing here reads the
// environment.
import type { AnyRunEvent, IR } from '@aob/core';
import { AobError } from '@aob/core';
import type { Bus } from '@aob/bus';
import type { ClusterStore, ContentStore } from '@aob/store';
import { Orchestrator } from '../orchestrator/orchestrator.js';
import { ResultConsumer } from '../orchestrator/results.js';
import type { CommandHandler } from '../orchestrator/results.js';
import type { PatchValidator } from '../orchestrator/patch-validator.js';
import { newId } from '../app/ids.js';
import { irLoader, workflowResolver } from '../workflows.js';
import { isRunCommand } from './commands.js';
import { JobTokenMinter } from './job-tokens.js';
import { OutboxRelay } from './outbox-relay.js';
import { TimerPoller } from './timer-poller.js';
import { StallSweeper } from './stall-sweeper.js';
import type { StallSweeperOptions } from './stall-sweeper.js';
import { observeStore } from '../telemetry/metrics.js';
import { ScheduleControl } from '../schedules/schedule-control.js';
import { Scheduler } from '../schedules/scheduler.js';
import { clusterRunControl } from './client.js';
import type { JobHandoff } from './job-handoff.js';

export interface OrchestratorServiceDeps {
  events: ClusterStore;
  content: ContentStore;
  bus: Bus;
  /** Names this instance: its consumer, its outbox and timer claims. */
  instance: string;
  now?: () => number;
  onError?: (err: unknown) => void;
  /** Outbox claim lease (a crashed relay's rows are taken again after it). Default 10 s. */
  relayLeaseMs?: number;
  /** Outbox sweep period. Default 500 ms. */
  sweepMs?: number;
  /**
   * Called after each decision's events and outbox rows commit, just before the relay is kicked
   * to publish them (the composition root's fault injection uses it; see services/orchestrator).
   */
  onCommitted?: () => void;
  /** Called with every batch of events once it is committed (benchmarks, in-process watchers). */
  onEvents?: (events: readonly AnyRunEvent[]) => void;
  /**
   * Judges proposed patches: the validator service's client (AOB_VALIDATOR_URL), or absent for
   * the library in process. When it cannot answer, the run's decision fails and its messages are
   * retried (the result consumer's backoff, then the bus's redelivery) — never decided without it.
   */
  validator?: PatchValidator;
  /**
   * Runs untouched this long are dropped from memory (folded from the log again when a message
   * for them comes). Default 60 s.
   */
  idleRunMs?: number;
  /** The stall watchdog's timings (quiet time, grace past an attempt's timeout, period). */
  stalls?: Pick<StallSweeperOptions, 'quietMs' | 'graceMs' | 'periodMs'>;
  /**
   * How long an agent job's job token outlives the job's timeout (job-tokens.ts). Default
   * DEFAULT_JOB_TOKEN_GRACE_MS (5 minutes).
   */
  jobTokenGraceMs?: number;
  /** How often the scheduler looks for due schedule ticks. Default 500 ms. */
  schedulerPollMs?: number;
  /**
   * The meeting point with a runner in this process (job-handoff.ts): this orchestrator's jobs go
   * to it while it has free slots, and their results come straight back, no bus in between.
   */
  handoff?: JobHandoff;
}

/** How often expired job tokens (and old runner-queue jobs) are deleted. */
const JOB_TOKEN_PURGE_MS = 60_000;

/**
 * How long the runner queue keeps a finished job: its result is published again if the stall
 * sweep sends the attempt again meanwhile (its first publish was lost).
 */
const RUNNER_JOB_KEEP_MS = 3_600_000;

/**
 * How long rows a decision committed stay reserved for its own publish before the sweep may take
 * them (after a crash between commit and publish, the delay before they go out).
 */
const CLAIM_LEASE_MS = 5_000;

export class OrchestratorService {
  readonly orchestrator: Orchestrator;
  readonly relay: OutboxRelay;
  private readonly poller: TimerPoller;
  /**
   * Starts the runs of due schedule ticks (ARCHITECTURE §7, schedules). Every replica runs one:
   * a tick's run id is the tick's, so replicas racing for a tick start one run.
   */
  private readonly scheduler: Scheduler;
  private readonly sweeper: StallSweeper;
  private readonly consumer: ResultConsumer;
  private readonly loadIr: (irHash: string) => Promise<IR>;
  private readonly jobTokens: JobTokenMinter;
  private started = false;
  private evictor: NodeJS.Timeout | undefined;
  private purger: NodeJS.Timeout | undefined;
  private claims = 0;
  private stopping = false;
  private unobserve: () => void = () => undefined;
  private detach: () => void = () => undefined;

  constructor(private readonly deps: OrchestratorServiceDeps) {
    this.loadIr = irLoader(deps.content);
    const now = deps.now ?? Date.now;
    const onError = deps.onError ?? (() => undefined);
    this.jobTokens = new JobTokenMinter({
      store: deps.events,
      now,
      instance: deps.instance,
      ...(deps.jobTokenGraceMs !== undefined ? { graceMs: deps.jobTokenGraceMs } : {}),
    });
    this.relay = new OutboxRelay({
      outbox: deps.events,
      timers: deps.events,
      // Jobs for runners outside the cluster wait in the runner queue (runner-desk.ts).
      runnerJobs: deps.events,
      now,
      bus: deps.bus,
      owner: deps.instance,
      ...(deps.relayLeaseMs !== undefined ? { leaseMs: deps.relayLeaseMs } : {}),
      ...(deps.sweepMs !== undefined ? { sweepMs: deps.sweepMs } : {}),
      // Agent jobs get their job token as they are published (never in the outbox).
      prepare: this.jobTokens.prepare,
      onError,
      ...(deps.handoff ? { handoff: deps.handoff } : {}),
    });
    this.orchestrator = new Orchestrator({
      events: deps.events,
      content: deps.content,
      bus: deps.bus,
      now,
      random: Math.random,
      newId,
      loadIr: this.loadIr,
      resolveWorkflow: workflowResolver(deps.events, this.loadIr),
      outbox: {
        store: deps.events,
        timers: deps.events,
        claim: { token: () => `${deps.instance}:${++this.claims}`, leaseMs: CLAIM_LEASE_MS },
        onCommitted: ({ token, messages }) => {
          deps.onCommitted?.();
          if (token === undefined) this.relay.kick();
          else this.relay.publishClaimed(token, messages);
        },
      },
      ...(deps.onEvents ? { onEvents: deps.onEvents } : {}),
      ...(deps.validator ? { validator: deps.validator } : {}),
    });
    this.poller = new TimerPoller({
      timers: deps.events,
      bus: deps.bus,
      owner: deps.instance,
      now,
      onError,
    });
    // Starts go out as run commands like any client's; the scheduler does not wait for the
    // owning orchestrator to apply one (RUN_PENDING counts as started: the command is on the bus).
    const runs = clusterRunControl({
      events: deps.events,
      content: deps.content,
      bus: deps.bus,
      startWaitMs: 0,
    });
    this.scheduler = new Scheduler({
      store: deps.events,
      schedules: new ScheduleControl({ store: deps.events, control: runs, now }),
      cancel: (runId, reason, by) => runs.cancel(runId, reason, by),
      owner: deps.instance,
      now,
      pollMs: deps.schedulerPollMs ?? 500,
      onError,
    });
    this.sweeper = new StallSweeper({
      store: deps.events,
      bus: deps.bus,
      now,
      onError,
      ...deps.stalls,
    });
    this.consumer = new ResultConsumer(
      deps.bus,
      this.orchestrator,
      deps.instance,
      'orchestrators',
      onError,
      this.handleCommand,
    );
  }

  async start(): Promise<void> {
    // The outbox backlog and timers due gauges, read from the store at each scrape.
    this.unobserve = observeStore(
      {
        outboxBacklog: () => this.deps.events.countUnsentOutbox(),
        dueTimers: (now) => this.deps.events.countDueTimers(now),
      },
      this.deps.now ?? Date.now,
    );
    this.relay.start();
    this.poller.start();
    this.sweeper.start();
    this.scheduler.start();
    await this.consumer.start();
    if (this.deps.handoff) {
      this.detach = this.deps.handoff.attachResults({
        apply: (runId, result, headers) => this.consumer.apply(runId, result, headers),
      });
    }
    const idleMs = this.deps.idleRunMs ?? 60_000;
    this.evictor = setInterval(
      () => {
        this.orchestrator.forgetIdle(idleMs).catch((err: unknown) => this.deps.onError?.(err));
      },
      Math.max(1_000, idleMs / 2),
    );
    this.evictor.unref();
    // Every orchestrator deletes expired job tokens (a delete twice over deletes nothing more),
    // and the runner queue's finished jobs and those of runs that are over.
    this.purger = setInterval(() => {
      this.jobTokens.purge().catch((err: unknown) => this.deps.onError?.(err));
      this.deps.events
        .purgeRunnerJobs((this.deps.now ?? Date.now)() - RUNNER_JOB_KEEP_MS)
        .catch((err: unknown) => this.deps.onError?.(err));
    }, JOB_TOKEN_PURGE_MS);
    this.purger.unref();
    this.started = true;
  }

  /** Consuming with a settled share of the runs, relaying and polling (for /readyz). */
  get ready(): boolean {
    return this.started && !this.stopping && this.consumer.ready;
  }

  /**
   * Graceful: stop taking new messages, let the decisions in hand finish, relay what they
   * committed, stop the timers. Unacked messages are redelivered to another instance.
   */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.detach();
    this.unobserve();
    if (this.evictor) clearInterval(this.evictor);
    if (this.purger) clearInterval(this.purger);
    await this.consumer.stop();
    await this.poller.stop();
    await this.scheduler.stop();
    await this.sweeper.stop();
    this.relay.kick();
    await this.relay.stop();
    this.orchestrator.close();
  }

  private readonly handleCommand: CommandHandler = async (runId, command) => {
    if (!isRunCommand(command) || command.runId !== runId) {
      this.deps.onError?.(
        new AobError('BAD_COMMAND', `dropped a malformed command for run ${runId}`),
      );
      return [];
    }
    if (command.type === 'trigger') return [command.trigger];
    // A start delivered again needs no look at the store first: the run's creation is guarded
    // (its first append expects an empty log), so the orchestrator refolds the existing run, to
    // which a start changes nothing.
    const ir = await this.loadIr(command.irHash);
    await this.orchestrator.start(ir, command.inputs, {
      runId,
      ...(command.actor !== undefined ? { actor: command.actor } : {}),
      ...(command.namespace !== undefined ? { namespace: command.namespace } : {}),
      ...(command.replay !== undefined ? { replay: command.replay } : {}),
      ...(command.schedule !== undefined ? { schedule: command.schedule } : {}),
      ...(command.budget !== undefined ? { budget: command.budget } : {}),
      ...(command.traceparent !== undefined ? { traceparent: command.traceparent } : {}),
    });
    return [];
  };
}
