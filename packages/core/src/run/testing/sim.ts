// A deterministic, in-memory driver for the state machine, for tests and golden histories:
// it plays the shell's part (content, timers, jobs) with scripted executors and a manual clock.
import type { CasRef } from '../../content/ref.js';
import type { ErrorData } from '../../errors.js';
import type { IR } from '../../ir/types.js';
import type { AnyRunEvent } from '../events.js';
import type { Command, DecideEnv, Trigger } from '../commands.js';
import type { NodeJob } from '../messages.js';
import type { RunState } from '../state.js';
import { initialState, isRunOver } from '../state.js';
import { decide } from '../decide.js';
import { refOf } from '../../content/ref.js';

export type SimHandler = (input: unknown, job: NodeJob) => unknown;

export interface SimOptions {
  handlers?: Record<string, SimHandler>;
  start?: number;
  random?: () => number;
}

export class SimError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly retryable = true,
  ) {
    super(message);
  }
}

export class Sim {
  state: RunState;
  readonly log: AnyRunEvent[] = [];
  readonly commands: Command[] = [];
  readonly content = new Map<string, unknown>();
  readonly jobs: NodeJob[] = [];
  readonly timers = new Map<string, number>();
  /** Every trigger applied, with the clock at the time: a history can be re-driven from these. */
  readonly triggers: { at: number; trigger: Trigger }[] = [];
  now: number;
  private ids = 0;

  constructor(
    public ir: IR,
    readonly runId = 'run-1',
    private readonly opts: SimOptions = {},
  ) {
    this.state = initialState(runId);
    this.now = opts.start ?? 1_000_000;
  }

  env(): DecideEnv {
    return {
      now: this.now,
      random: this.opts.random ?? (() => 0.5),
      newId: (kind) => `${kind}-${++this.ids}`,
      resolve: (ref: CasRef) => {
        if (!this.content.has(ref.$cas)) throw new Error(`missing content ${ref.$cas}`);
        return this.content.get(ref.$cas);
      },
    };
  }

  apply(trigger: Trigger): AnyRunEvent[] {
    this.triggers.push({ at: this.now, trigger });
    const d = decide(this.state, this.ir, trigger, this.env());
    for (const b of d.blobs) this.content.set(b.ref.$cas, b.value);
    if (d.ir) this.ir = d.ir;
    this.log.push(...d.events);
    for (const c of d.commands) {
      this.commands.push(c);
      if (c.type === 'dispatch') this.jobs.push(c.job);
      else if (c.type === 'scheduleTimer') this.timers.set(c.timerId, c.dueAt);
      else if (c.type === 'cancelTimer') this.timers.delete(c.timerId);
      else if (c.type === 'abortJobs') {
        for (let i = this.jobs.length - 1; i >= 0; i--) {
          const j = this.jobs[i]!;
          if (j.runId === c.runId && c.nodeIds.includes(j.nodeId)) this.jobs.splice(i, 1);
        }
      }
    }
    return d.events;
  }

  start(inputs: unknown = {}, extra: Partial<Extract<Trigger, { type: 'start' }>> = {}): this {
    this.apply({ type: 'start', runId: this.runId, inputs, ...extra });
    return this;
  }

  /** Stores a value as a runner would and returns its ref. */
  put(value: unknown): CasRef {
    const ref = refOf(value);
    this.content.set(ref.$cas, value);
    return ref;
  }

  /** Executes one queued job with the scripted executors and reports its result. */
  step(): boolean {
    const job = this.jobs.shift();
    if (!job) return false;
    const iter = job.iteration !== undefined ? { iteration: job.iteration } : {};
    this.apply({ type: 'nodeStarted', nodeId: job.nodeId, attempt: job.attempt, ...iter });
    try {
      const output = this.execute(job);
      this.apply({
        type: 'nodeSucceeded',
        nodeId: job.nodeId,
        attempt: job.attempt,
        ...iter,
        output: this.put(output),
      });
    } catch (err) {
      const e = err as SimError;
      const error: ErrorData = {
        code: e.code ?? 'ERROR',
        message: e.message,
        retryable: e.retryable ?? true,
      };
      this.apply({ type: 'nodeFailed', nodeId: job.nodeId, attempt: job.attempt, ...iter, error });
    }
    return true;
  }

  /** Fires the earliest timer, moving the clock to it. */
  fireNextTimer(): boolean {
    let next: [string, number] | undefined;
    for (const t of this.timers) if (!next || t[1] < next[1]) next = t;
    if (!next) return false;
    this.timers.delete(next[0]);
    this.now = Math.max(this.now, next[1]);
    this.apply({ type: 'timerFired', timerId: next[0] });
    return true;
  }

  /** Runs jobs and timers until the run is over or waits on people. */
  runToRest(maxSteps = 10_000): this {
    for (let i = 0; i < maxSteps; i++) {
      if (isRunOver(this.state)) return this;
      if (this.step()) continue;
      if (this.state.status === 'waiting') return this;
      if (!this.fireNextTimer()) return this;
    }
    throw new Error('simulation did not come to rest');
  }

  output(): unknown {
    return this.state.output ? this.content.get(this.state.output.$cas) : undefined;
  }

  types(nodeId?: string): string[] {
    return this.log
      .filter((e) => nodeId === undefined || (e.data as { nodeId?: string }).nodeId === nodeId)
      .map((e) => e.type);
  }

  openTickets(): string[] {
    return Object.values(this.state.nodes).flatMap((n) =>
      n.ticket && !n.ticket.decided ? [n.ticket.ticketId] : [],
    );
  }

  private execute(job: NodeJob): unknown {
    switch (job.type) {
      case 'transform':
        return job.config.value;
      case 'join':
        return job.input;
      case 'task': {
        const h = this.opts.handlers?.[String(job.config.handler)];
        if (!h)
          throw new SimError('UNKNOWN_HANDLER', `no handler ${String(job.config.handler)}`, false);
        return h(job.input, job);
      }
      default:
        throw new SimError('UNSUPPORTED_NODE_TYPE', job.type, false);
    }
  }
}
