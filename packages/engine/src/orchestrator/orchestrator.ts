import type {
  AnyRunEvent,
  Blob,
  Budget,
  CasRef,
  Command,
  DecideEnv,
  DeciderEnv,
  IR,
  NodeJob,
  PatchVerdict,
  ReplaySpec,
  ScheduledBy,
  RunState,
  Trigger,
} from '@aob/core';
import {
  AobError,
  childUsage,
  decide,
  fold,
  initialState,
  isRunOver,
  isTerminalStatus,
  jobTopic,
  proposalValidationInput,
  reviewValidationInput,
} from '@aob/core';
import type { Bus } from '@aob/bus';
import type {
  ContentStore,
  OutboxMessage,
  OutboxStore,
  RunLogStore,
  TimerStore,
  WorkflowRegistry,
} from '@aob/store';
import { nativeContentOf } from '@aob/store';
import type { Context, Span, SpanContext } from '@opentelemetry/api';
import { SpanKind, context, trace } from '@opentelemetry/api';
import { EventAnnouncer } from './announcer.js';
import { MAX_INLINE_PER_DECISION, runInline } from './inline.js';
import { jobOutboxTopic } from './job-route.js';
import type { PatchValidator } from './patch-validator.js';
import { TimerWheel } from './timers.js';
import { refsOf } from './values.js';
import type { RunTrace } from '../telemetry/trace.js';
import {
  TRACEPARENT,
  contextOf,
  derivedTraceparent,
  failSpan,
  publishTraced,
  recordWaitSpan,
  startDecideSpan,
  startRunTrace,
  traceparentOf,
  tracer,
} from '../telemetry/trace.js';
import { withRunContext } from '../telemetry/run-context.js';
import { endedWaits, mayEndWaits } from '../telemetry/waits.js';
import { addPatchSpanEvents } from '../telemetry/genai.js';
import { publishedAtHeader, recordDecision } from '../telemetry/metrics.js';

export interface OrchestratorDeps {
  /** The run logs, and the registry that resolves subworkflows. */
  events: RunLogStore & WorkflowRegistry;
  content: ContentStore;
  bus: Bus;
  now: () => number;
  random: () => number;
  newId: (kind: 'timer' | 'ticket' | 'run' | 'patch' | 'question') => string;
  /** The IR a run pins, by hash (the definition is stored in the content store under it). */
  loadIr: (irHash: string) => Promise<IR>;
  /** A registered workflow for a subworkflow node (`name` or `name@version`). */
  resolveWorkflow: (ref: string) => Promise<IR>;
  /** Stops in-flight jobs of a run that ended or whose map failed. */
  abortJobs?: (runId: string, nodeIds: readonly string[]) => void;
  /**
   * Pure nodes run here, in the decision that schedules them (inline.ts): the default. False sends
   * their jobs to the runners like any other (a runner's memo then serves nodes marked `memo`).
   */
  inlinePureNodes?: boolean;
  /** Called with every batch of events once it is durable. */
  onEvents?: (events: readonly AnyRunEvent[]) => void;
  /**
   * Judges patches (a validator service). Given, every proposal and every approval of a held
   * patch is judged by it before the decision and decide takes its verdict; if it fails, the
   * decision fails (and is retried by whoever delivered the trigger). Absent, decide judges with
   * the library. (A revert is still judged in the core: its input is rebuilt inside the decision,
   * from the run's base and the other applied patches.)
   */
  validator?: PatchValidator;
  /**
   * The cluster topology (ARCHITECTURE §6): a decision's events commit together with the messages they
   * imply — its jobs and its timers — in one transaction; a relay (cluster/outbox-relay.ts)
   * publishes them. The events themselves are announced on `aob.workflow.events` after the commit. Without it, the orchestrator publishes jobs
   * itself after the append and keeps timers in memory (the local topology: recovery re-issues
   * both from the log).
   */
  outbox?: {
    store: OutboxStore;
    /** Where timers that come without events (a recovery re-arming them) are recorded. */
    timers: TimerStore;
    /**
     * Rows committed already claimed: a fresh token per decision and how long the claim lasts.
     * Given, `onCommitted` receives the rows to publish itself; otherwise the relay claims them.
     */
    claim?: { token: () => string; leaseMs: number };
    /** Called after each commit that wrote rows, so they are published at once. */
    onCommitted?: (committed: { token?: string; messages: readonly OutboxMessage[] }) => void;
  };
}

/**
 * Splits a decision's commands: jobs and timers travel in the outbox with the events; the rest is
 * carried out here after the commit.
 */
function toOutbox(
  runId: string,
  commands: readonly Command[],
): { messages: OutboxMessage[]; local: Command[] } {
  const messages: OutboxMessage[] = [];
  const local: Command[] = [];
  for (const c of commands) {
    if (c.type === 'dispatch') {
      // Its priority's job topic, or the runner queue for a runner outside the cluster; the
      // decision's trace context rides along for the relay's publish span.
      const traceparent = c.job.traceparent;
      messages.push({
        topic: jobOutboxTopic(c.job),
        key: runId,
        value: c.job,
        ...(traceparent !== undefined ? { headers: { [TRACEPARENT]: traceparent } } : {}),
      });
    } else if (c.type === 'scheduleTimer') {
      messages.push(timerRow(runId, c.timerId, c.dueAt));
    } else if (c.type !== 'cancelTimer') {
      // A cancelled timer's row may still fire: its timerFired changes nothing (the timer is
      // gone from the state).
      local.push(c);
    }
  }
  return { messages, local };
}

function timerRow(runId: string, timerId: string, dueAt: number): OutboxMessage {
  const value: TimerOutboxValue = { timerId, runId, dueAt };
  return { topic: TIMER_OUTBOX_TOPIC, key: runId, value };
}

/** Outbox rows of this topic are timers to record (TimerStore), not messages to publish. */
export const TIMER_OUTBOX_TOPIC = 'aob.internal.timers';

/** The value of a TIMER_OUTBOX_TOPIC row. */
export interface TimerOutboxValue {
  timerId: string;
  runId: string;
  dueAt: number;
}

interface RunSlot {
  runId: string;
  state: RunState;
  ir: IR;
  /** Content values by `$cas`: everything decide may resolve for this run. */
  values: Map<string, unknown>;
  queue: Promise<void>;
  /** Triggers queued or being applied on this slot: a busy slot is never evicted. */
  busy: number;
  /** When a trigger last finished on it (the orchestrator's clock). */
  lastUsed: number;
  /**
   * The run's trace context as its RunStarted records it (read back from the log whenever the
   * run is loaded; derived from the run id for a run started before runs were traced): the
   * parent of every span of its decisions.
   */
  trace: string;
}

export interface StartRunOptions {
  runId: string;
  parent?: { runId: string; nodeId: string };
  replay?: ReplaySpec;
  /** The schedule tick that started the run (recorded in RunStarted). */
  schedule?: ScheduledBy;
  actor?: string;
  /** The run's tenant (ARCHITECTURE §9); absent: `default`. */
  namespace?: string;
  /** Limits besides the definition's (the run's own and its namespace's, combined). */
  budget?: Budget;
  /**
   * The run's trace context (W3C `traceparent`), made by whoever started it (RunControl, a parent
   * run's node); recorded in RunStarted. Absent: the run's trace starts here.
   */
  traceparent?: string;
}

const MAX_CONFLICT_RETRIES = 20;

/**
 * Owns runs: turns triggers into decisions, makes them durable (content first, then events in
 * one append guarded by the run's last seq), then carries out their commands. Triggers for one
 * run are applied one at a time; different runs proceed concurrently.
 */
export class Orchestrator {
  private readonly slots = new Map<string, Promise<RunSlot>>();
  /** The span context of the decision each command came from (its spans' parent). */
  private readonly causes = new WeakMap<Command, Context>();
  private readonly timers: TimerWheel;
  private readonly announcer: EventAnnouncer;
  private closed = false;

  constructor(private readonly deps: OrchestratorDeps) {
    this.timers = new TimerWheel(deps.now);
    this.announcer = new EventAnnouncer(deps.bus);
  }

  /** Starts a new run on `ir`. Inputs must already be validated. */
  async start(ir: IR, inputs: unknown, opts: StartRunOptions): Promise<void> {
    let run: RunTrace | undefined;
    if (opts.traceparent === undefined) {
      run = startRunTrace({
        runId: opts.runId,
        workflow: { name: ir.definition.name, version: ir.definition.version },
        ...(opts.namespace !== undefined ? { namespace: opts.namespace } : {}),
        ...(opts.parent ? { parentRunId: opts.parent.runId } : {}),
        ...(opts.replay ? { replayOf: opts.replay.of } : {}),
      });
    }
    try {
      await this.startTraced(ir, inputs, opts, opts.traceparent ?? run!.traceparent);
    } catch (err) {
      if (run) failSpan(run.span, err);
      throw err;
    } finally {
      run?.span.end();
    }
  }

  private async startTraced(
    ir: IR,
    inputs: unknown,
    opts: StartRunOptions,
    traceparent: string,
  ): Promise<void> {
    const slot: RunSlot = {
      runId: opts.runId,
      state: initialState(opts.runId),
      ir,
      values: new Map(),
      queue: Promise.resolve(),
      busy: 0,
      lastUsed: this.deps.now(),
      trace: traceparent,
    };
    if (opts.replay)
      await this.prefetch(
        slot,
        Object.values(opts.replay.recorded).flatMap((r) => (r.output ? [r.output] : [])),
      );
    // A run live here has started (or is starting): its start delivered again changes nothing,
    // and a fresh slot would shadow the live one and its queue.
    if (this.slots.has(opts.runId)) return;
    this.slots.set(opts.runId, Promise.resolve(slot));
    const trigger: Trigger = {
      type: 'start',
      runId: opts.runId,
      inputs,
      ...(opts.parent ? { parent: opts.parent } : {}),
      ...(opts.replay ? { replay: opts.replay } : {}),
      ...(opts.schedule ? { schedule: opts.schedule } : {}),
      ...(opts.actor ? { actor: opts.actor } : {}),
      ...(opts.namespace !== undefined ? { namespace: opts.namespace } : {}),
      ...(opts.budget !== undefined ? { budget: opts.budget } : {}),
    };
    await this.enqueue(slot, [trigger]);
  }

  /** Applies a trigger to a run (loading it from the store if this process has not yet). */
  async trigger(
    runId: string,
    trigger: Trigger,
    values?: ReadonlyMap<string, unknown>,
  ): Promise<void> {
    await this.triggerMany(runId, [trigger], values);
  }

  /**
   * Applies several triggers of one run, in order, as one decision: their events are appended
   * together (one write, one seq check) and their commands carried out after that. `origins`
   * (aligned with `triggers`): the span of the message that brought each, linked from its
   * decision's span.
   */
  async triggerMany(
    runId: string,
    triggers: readonly Trigger[],
    values?: ReadonlyMap<string, unknown>,
    origins?: readonly (SpanContext | undefined)[],
  ): Promise<void> {
    // Received now: a decision's latency counts loading the run and waiting behind its queue.
    const receivedAt = performance.now();
    const slot = await this.slot(runId);
    if (values) for (const [k, v] of values) slot.values.set(k, v);
    await this.enqueue(slot, triggers, origins, receivedAt);
  }

  /** Takes over a run after a restart: re-dispatches in-flight jobs, re-arms timers. */
  async recover(runId: string): Promise<void> {
    this.slots.delete(runId);
    await this.trigger(runId, { type: 'recover' });
  }

  /** The live state of a run this process drives (undefined if it is not loaded). */
  async state(runId: string): Promise<RunState | undefined> {
    const slot = this.slots.get(runId);
    return slot ? (await slot).state : undefined;
  }

  forget(runId: string): void {
    this.slots.delete(runId);
  }

  /**
   * Drops the runs no trigger has touched for `idleMs` (and none is applying now); returns how
   * many. A dropped run is folded from the log again on its next trigger. In the cluster a run's
   * messages may move to another orchestrator at any rebalance, so what this process holds of a
   * run it no longer owns is only a cache: keeping it bounded is all this is for (decisions never
   * trust it: see `apply`).
   */
  async forgetIdle(idleMs: number): Promise<number> {
    const before = this.deps.now() - idleMs;
    let dropped = 0;
    for (const [runId, pending] of [...this.slots]) {
      const slot = await pending.catch(() => undefined);
      if (!slot || this.slots.get(runId) !== pending) continue;
      if (slot.busy === 0 && slot.lastUsed <= before) {
        this.slots.delete(runId);
        dropped++;
      }
    }
    return dropped;
  }

  /** How many runs this process holds in memory. */
  get loadedRuns(): number {
    return this.slots.size;
  }

  close(): void {
    this.closed = true;
    this.timers.clear();
    this.announcer.close();
  }

  private slot(runId: string): Promise<RunSlot> {
    let slot = this.slots.get(runId);
    if (!slot) {
      slot = this.load(runId);
      this.slots.set(runId, slot);
      slot.catch(() => this.slots.delete(runId));
    }
    return slot;
  }

  private async load(runId: string): Promise<RunSlot> {
    const events = await this.deps.events.read(runId);
    if (events.length === 0) throw new AobError('RUN_NOT_FOUND', `no run ${runId}`);
    const state = fold(events, runId);
    const ir = await this.deps.loadIr(state.irHash);
    const slot: RunSlot = {
      runId,
      state,
      ir,
      values: new Map(),
      queue: Promise.resolve(),
      busy: 0,
      lastUsed: this.deps.now(),
      trace: events[0]?.traceparent ?? derivedTraceparent(runId),
    };
    await this.prefetch(slot, refsOf(state));
    return slot;
  }

  private async reload(slot: RunSlot): Promise<void> {
    const events = await this.deps.events.read(slot.runId);
    slot.state = fold(events, slot.runId);
    slot.trace = events[0]?.traceparent ?? derivedTraceparent(slot.runId);
    if (slot.state.irHash !== slot.ir.irHash) slot.ir = await this.deps.loadIr(slot.state.irHash);
    await this.prefetch(slot, refsOf(slot.state));
  }

  private async prefetch(slot: RunSlot, refs: readonly CasRef[]): Promise<void> {
    const missing = refs.filter((r) => !slot.values.has(r.$cas));
    await Promise.all(
      missing.map(async (r) => {
        slot.values.set(r.$cas, await this.deps.content.get(r));
      }),
    );
  }

  private enqueue(
    slot: RunSlot,
    triggers: readonly Trigger[],
    origins?: readonly (SpanContext | undefined)[],
    receivedAt = performance.now(),
  ): Promise<void> {
    slot.busy++;
    const next = slot.queue
      .then(() =>
        this.applyTraced(slot, triggers, origins, receivedAt).catch((err: unknown) => {
          // decide may have changed the state before the failure: the log is the truth, so the
          // next trigger for this run reloads it.
          this.slots.delete(slot.runId);
          throw err;
        }),
      )
      .finally(() => {
        slot.busy--;
        slot.lastUsed = this.deps.now();
      });
    slot.queue = next.catch(() => undefined);
    return next;
  }

  /**
   * `apply` in a span per trigger (`aob.decide <type>`) under the run's trace context, and with the
   * run as the current run context (currentRunContext).
   */
  private async applyTraced(
    slot: RunSlot,
    triggers: readonly Trigger[],
    origins: readonly (SpanContext | undefined)[] | undefined,
    receivedAt: number,
  ): Promise<void> {
    const run = contextOf(slot.trace);
    // A node's start is recorded with no span of its own: the attempt's span, made where the node
    // runs, covers it (and it is a third of a run's decisions).
    const spans = triggers.map((t, i) =>
      t.type === 'nodeStarted' ? undefined : startDecideSpan(run, t, origins?.[i]),
    );
    const made = spans.filter((s): s is Span => s !== undefined);
    const active = spans.length === 1 && spans[0] ? trace.setSpan(run, spans[0]) : run;
    const ids = trace.getSpanContext(active);
    try {
      await withRunContext(
        {
          runId: slot.runId,
          ...(ids ? { traceId: ids.traceId, spanId: ids.spanId } : {}),
        },
        () => context.with(active, () => this.apply(slot, triggers, spans, run, receivedAt)),
      );
    } catch (err) {
      for (const s of made) failSpan(s, err);
      throw err;
    } finally {
      for (const s of made) s.end();
    }
  }

  private async apply(
    slot: RunSlot,
    triggers: readonly Trigger[],
    /** Each trigger's decision span; none for some (a node's start). */
    spans: readonly (Span | undefined)[] = [],
    run: Context = contextOf(slot.trace),
    receivedAt = performance.now(),
  ): Promise<void> {
    // A node's start (the decision with no span) proposes no patch and ends no wait.
    const recording = spans.some((s) => s?.isRecording());
    const needed = triggers.flatMap((t): CasRef[] => {
      if (t.type === 'childFinished' && t.output) return [t.output];
      // A runner sends small outputs inline with the result; a larger one is read back here, as
      // the routes and the run's output may refer to it.
      if (t.type === 'nodeSucceeded') return [t.output];
      // Reverting rematerialises from the definition the run started on.
      if (t.type === 'revertPatch') {
        return [{ $cas: slot.state.baseIrHash as `sha256:${string}`, size: 0 }];
      }
      return [];
    });
    if (needed.length > 0) await this.prefetch(slot, needed);
    for (let tries = 0; ; tries++) {
      const before = slot.state.seq;
      const env: DecideEnv = {
        now: this.deps.now(),
        random: this.deps.random,
        newId: this.deps.newId,
        contentOf: nativeContentOf,
        resolve: (ref) => {
          if (!slot.values.has(ref.$cas)) {
            throw new AobError(
              'CONTENT_NOT_LOADED',
              `content ${ref.$cas} of run ${slot.runId} is not loaded`,
            );
          }
          return slot.values.get(ref.$cas);
        },
      };
      const events: AnyRunEvent[] = [];
      let commands: Command[] = [];
      const blobs: Blob[] = [];
      /** Each trigger's span and its events: patch proposals and verdicts become span events. */
      const decided: [Span | undefined, readonly AnyRunEvent[]][] = [];
      const decideOne = (
        trigger: Trigger,
        span: Span | undefined,
        cause: Context,
        verdicts?: Pick<DeciderEnv, 'verdicts' | 'reviewVerdicts'>,
      ): void => {
        const decisionEnv: DeciderEnv = verdicts ? { ...env, ...verdicts } : env;
        const decision = decide(slot.state, slot.ir, trigger, decisionEnv);
        // The run's trace context is recorded with its start; the decision's goes with its jobs.
        if (trigger.type === 'start') {
          for (const e of decision.events) if (e.type === 'RunStarted') e.traceparent = slot.trace;
        }
        decided.push([span, decision.events]);
        const traceparent = traceparentOf(cause);
        if (span?.isRecording()) {
          // One string, not an array of strings: cheaper to record and to export.
          span.setAttribute('aob.decide.events', decision.events.map((e) => e.type).join(' '));
        }
        events.push(...decision.events);
        for (const c of decision.commands) {
          const traced: Command =
            c.type === 'dispatch' && traceparent !== undefined
              ? { ...c, job: { ...c.job, traceparent } }
              : c;
          this.causes.set(traced, cause);
          commands.push(traced);
        }
        // Known at once: the pure jobs run below resolve what this decision stored.
        for (const b of decision.blobs) {
          slot.values.set(b.ref.$cas, b.value);
          blobs.push(b);
        }
        // A patch moved the run to another IR: the next triggers are decided on it.
        if (decision.ir) slot.ir = decision.ir;
      };
      for (const [i, trigger] of triggers.entries()) {
        // Asked here, on the state the earlier triggers of this batch left: what decide will see.
        const verdicts = await this.verdicts(slot, trigger);
        const span = spans[i];
        decideOne(trigger, span, span ? trace.setSpan(run, span) : run, verdicts);
      }
      // Pure jobs are run here, and their results decided on the same state, in this decision
      // (inline.ts); what they schedule is looked at in turn, up to the bound.
      const inlined = new Set<Command>();
      const inlineMax = this.deps.inlinePureNodes === false ? 0 : MAX_INLINE_PER_DECISION;
      for (let i = 0; i < commands.length && inlined.size < inlineMax; i++) {
        const c = commands[i]!;
        if (c.type !== 'dispatch') continue;
        const running = runInline(c.job);
        if (!running) continue;
        const result = await running;
        inlined.add(c);
        slot.values.set(result.output.ref.$cas, result.output.value);
        blobs.push(result.output);
        for (const t of result.triggers) decideOne(t, undefined, this.causes.get(c) ?? run);
      }
      if (inlined.size > 0) commands = commands.filter((c) => !inlined.has(c));
      if (events.length === 0) {
        // Nothing to append means nothing the log's seq guard would check: a state behind the
        // log (another process decided this run meanwhile: a rebalance moved its messages) would
        // take a fresh result for a stale one and drop it. Before a trigger is taken as changing
        // nothing, the state must be the log's: refold and decide again if it is not.
        if (!(await this.matchesLog(slot))) {
          if (tries >= MAX_CONFLICT_RETRIES) {
            throw new AobError('SEQ_CONFLICT', `run ${slot.runId} keeps moving under decisions`);
          }
          await this.reload(slot);
          continue;
        }
        if (commands.length === 0) {
          if (isRunOver(slot.state)) this.slots.delete(slot.runId);
          return;
        }
      }
      // Content first: an event never refers to content the store does not hold.
      await Promise.all(blobs.map((b) => this.deps.content.put(b.value, b)));
      let local = commands;
      if (events.length > 0) {
        try {
          if (this.deps.outbox) {
            const split = toOutbox(slot.runId, commands);
            const { claim } = this.deps.outbox;
            const token = claim && split.messages.length > 0 ? claim.token() : undefined;
            await this.deps.outbox.store.appendWithOutbox(
              slot.runId,
              slot.ir.irHash,
              before,
              events,
              split.messages,
              token !== undefined && claim ? { token, leaseMs: claim.leaseMs } : undefined,
            );
            local = split.local;
            if (split.messages.length > 0) {
              this.deps.outbox.onCommitted?.({
                ...(token !== undefined ? { token } : {}),
                messages: split.messages,
              });
            }
            this.announcer.announce(slot.runId, events);
          } else {
            await this.deps.events.append(slot.runId, slot.ir.irHash, before, events);
          }
        } catch (err) {
          if ((err as AobError).code !== 'SEQ_CONFLICT' || tries >= MAX_CONFLICT_RETRIES) throw err;
          // Another process appended first: refold from the log and decide again.
          for (const s of spans) s?.addEvent('aob.seq_conflict', { 'aob.run.seq': before });
          await this.reload(slot);
          continue;
        }
        this.deps.onEvents?.(events);
        if (recording) {
          const author = (id: string) => slot.state.patches.find((p) => p.patchId === id)?.author;
          for (const [span, appended] of decided) addPatchSpanEvents(span, appended, author);
        }
        recordDecision(slot.ir.definition.name, triggers, events, receivedAt);
        if (recording && mayEndWaits(events, (id) => nodeTypeOf(slot.ir, id))) {
          void this.traceWaits(slot.runId, run, events);
        }
      }
      await this.execute(slot, local);
      if (isRunOver(slot.state)) this.slots.delete(slot.runId);
      return;
    }
  }

  /**
   * The waits these committed events ended (an approval, a question, a timer, a retry's backoff, a
   * child run), each a span over its time, read from the log: the start of a wait may be days old
   * and decided by another process.
   */
  private async traceWaits(
    runId: string,
    run: Context,
    events: readonly AnyRunEvent[],
  ): Promise<void> {
    try {
      const log = await this.deps.events.read(runId);
      for (const wait of endedWaits(log, events)) recordWaitSpan(run, runId, wait);
    } catch {
      // Tracing never fails a run: the waits of this decision go without spans.
    }
  }

  /** Whether the run's log ends where the state does. */
  private async matchesLog(slot: RunSlot): Promise<boolean> {
    const summary = await this.deps.events.getRun(slot.runId);
    return (summary?.lastSeq ?? 0) === slot.state.seq;
  }

  /**
   * The validator's verdicts for decide (DeciderEnv), when a validator is configured: on a
   * proposal, or on the approval of a held patch, each judged on the input decide would judge. A
   * trigger decide will not judge (the run is over, the patch was decided before, a rejection)
   * gets empty maps and asks nothing.
   */
  private async verdicts(
    slot: RunSlot,
    trigger: Trigger,
  ): Promise<Pick<DeciderEnv, 'verdicts' | 'reviewVerdicts'> | undefined> {
    const validator = this.deps.validator;
    if (!validator) return undefined;
    if (trigger.type === 'proposePatch') {
      const input = proposalValidationInput(slot.state, slot.ir, trigger.patch, trigger.actor);
      const verdict: PatchVerdict | undefined = input && (await validator.validate(input));
      return { verdicts: new Map(verdict ? [[trigger.patch, verdict]] : []) };
    }
    if (trigger.type === 'reviewPatch') {
      const { patchId, decision, by } = trigger;
      const input = reviewValidationInput(slot.state, slot.ir, patchId, decision, by);
      const verdict: PatchVerdict | undefined = input && (await validator.validate(input));
      return { reviewVerdicts: new Map(verdict ? [[patchId, verdict]] : []) };
    }
    return undefined;
  }

  private async execute(slot: RunSlot, commands: readonly Command[]): Promise<void> {
    const publishes: Promise<unknown>[] = [];
    const run = contextOf(slot.trace);
    for (const c of commands) {
      switch (c.type) {
        case 'dispatch':
          publishes.push(this.dispatch(c.job));
          break;
        case 'scheduleTimer':
          if (this.deps.outbox) {
            // No events came with it (a recovery): record it directly; same id, same row.
            publishes.push(
              this.deps.outbox.timers.scheduleTimers([
                { timerId: c.timerId, runId: slot.runId, purpose: 'run', dueAt: c.dueAt },
              ]),
            );
          } else {
            this.timers.schedule(c.timerId, c.dueAt, () => this.fire(slot.runId, c.timerId));
          }
          break;
        case 'cancelTimer':
          this.timers.cancel(c.timerId);
          break;
        case 'abortJobs':
          this.deps.abortJobs?.(c.runId, c.nodeIds);
          break;
        // Work on other runs is not awaited: it queues behind their own triggers, and awaiting
        // it here (inside this run's queue) could wait on this very run. If the process dies
        // first, recovery re-issues it from the log (watchChild; a child re-notifies its parent).
        case 'startChild':
          // A child run belongs to its parent's namespace.
          void this.background(
            this.startChild(
              c.childRunId,
              c.workflow,
              c.inputs,
              c.parent,
              slot.state.namespace,
              c.budget,
              this.causes.get(c) ?? run,
            ),
          );
          break;
        case 'watchChild':
          void this.background(this.watchChild(slot.runId, c.childRunId));
          break;
        case 'cancelChild':
          void this.background(
            this.trigger(c.childRunId, { type: 'cancel', reason: `parent ${slot.runId} ended` }),
          );
          break;
        case 'notifyParent':
          void this.background(
            this.trigger(c.parent.runId, {
              type: 'childFinished',
              childRunId: c.childRunId,
              status: c.status,
              ...(c.output ? { output: c.output } : {}),
              ...(c.error ? { error: c.error } : {}),
              ...(c.usage ? { usage: c.usage } : {}),
              ...(c.budgetExceeded ? { budgetExceeded: c.budgetExceeded } : {}),
            }),
          );
          break;
      }
    }
    await Promise.all(publishes);
  }

  private async dispatch(job: NodeJob): Promise<void> {
    const topic = jobTopic(job.priority);
    await publishTraced(
      this.deps.bus,
      topic,
      job.runId,
      job,
      contextOf(job.traceparent),
      publishedAtHeader(),
    );
  }

  private fire(runId: string, timerId: string): void {
    if (this.closed) return;
    void this.background(this.trigger(runId, { type: 'timerFired', timerId }));
  }

  private async startChild(
    childRunId: string,
    workflow: string,
    inputs: unknown,
    parent: { runId: string; nodeId: string },
    namespace: string,
    /** What the parent has left of its budget, by its policy: the child is held to it too. */
    budget: Budget | undefined,
    /** The span context of the parent's decision that started the child. */
    cause: Context,
  ): Promise<void> {
    // The subworkflow node's span in the parent's trace; the child's run is traced under it.
    const span = tracer().startSpan(
      `aob.node ${parent.nodeId}`,
      {
        kind: SpanKind.INTERNAL,
        attributes: {
          'aob.run.id': parent.runId,
          'aob.node.id': parent.nodeId,
          'aob.node.type': 'subworkflow',
          'aob.child_run.id': childRunId,
        },
      },
      cause,
    );
    try {
      await this.startChildTraced(
        childRunId,
        workflow,
        inputs,
        parent,
        namespace,
        budget,
        trace.setSpan(cause, span),
      );
    } catch (err) {
      failSpan(span, err);
      throw err;
    } finally {
      span.end();
    }
  }

  private async startChildTraced(
    childRunId: string,
    workflow: string,
    inputs: unknown,
    parent: { runId: string; nodeId: string },
    namespace: string,
    budget: Budget | undefined,
    node: Context,
  ): Promise<void> {
    let ir: IR;
    try {
      ir = await this.deps.resolveWorkflow(workflow);
    } catch (err) {
      const e = err as AobError;
      await this.trigger(parent.runId, {
        type: 'childFinished',
        childRunId,
        status: 'failed',
        error: { code: e.code ?? 'WORKFLOW_NOT_FOUND', message: e.message, retryable: false },
      });
      return;
    }
    const problems = ir.checkInputs(inputs);
    if (problems.length > 0) {
      await this.trigger(parent.runId, {
        type: 'childFinished',
        childRunId,
        status: 'failed',
        error: {
          code: 'INPUT',
          message: `inputs of ${workflow}: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
          retryable: false,
          details: problems,
        },
      });
      return;
    }
    if (await this.deps.events.getRun(childRunId)) return; // started before a crash
    const run = startRunTrace(
      {
        runId: childRunId,
        workflow: { name: ir.definition.name, version: ir.definition.version },
        namespace,
        parentRunId: parent.runId,
      },
      { parent: node },
    );
    try {
      await this.start(ir, inputs, {
        runId: childRunId,
        parent,
        namespace,
        ...(budget ? { budget } : {}),
        traceparent: run.traceparent,
      });
    } finally {
      run.span.end();
    }
  }

  private async watchChild(parentRunId: string, childRunId: string): Promise<void> {
    const child = await this.deps.events.getRun(childRunId);
    if (!child) return;
    if (isTerminalStatus(child.status)) {
      const state = fold(await this.deps.events.read(childRunId), childRunId);
      await this.trigger(parentRunId, {
        type: 'childFinished',
        childRunId,
        status: child.status,
        ...(state.output ? { output: state.output } : {}),
        ...(state.error ? { error: state.error } : {}),
        usage: childUsage(state.usage),
        ...(state.budgetExceeded ? { budgetExceeded: { ...state.budgetExceeded } } : {}),
      });
      return;
    }
    await this.recover(childRunId);
  }

  /** Work started on behalf of another run: its failure must not break the caller's decision. */
  private async background(p: Promise<void>): Promise<void> {
    try {
      await p;
    } catch (err) {
      if (!this.closed) process.emitWarning(`aob: ${(err as Error).message}`);
    }
  }
}

/** The type of a node of the run's IR (undefined for one it does not have). */
function nodeTypeOf(ir: IR, nodeId: string): string | undefined {
  const i = ir.byId.get(nodeId);
  return i === undefined ? undefined : ir.nodes[i]?.type;
}
