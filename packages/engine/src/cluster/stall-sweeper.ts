// The stall watchdog of the cluster: every period, finds running runs that have been quiet for a
// while with no timer pending (StallStore.quietRuns) and sends each a `redrive` run command on
// `aob.run.commands`, keyed by the run, so the orchestrator that owns it decides: attempts past
// their deadline (progress mark + timeout + grace) are sent again, with a NodeRedispatched event;
// anything else is left alone. Every orchestrator sweeps; a run nudged twice is re-driven once
// (the first redrive restarts the deadlines it acts on).
import type { Bus } from '@aob/bus';
import { Topic } from '@aob/core';
import type { StallStore } from '@aob/store';
import type { RunCommand } from './commands.js';

export interface StallSweeperOptions {
  store: StallStore;
  bus: Bus;
  now: () => number;
  /** How long a run must have been quiet to be nudged. Default 60 s. */
  quietMs?: number;
  /** Added to an attempt's timeout before it counts as overdue. Default 30 s. */
  graceMs?: number;
  /** Default 15 s. */
  periodMs?: number;
  /** Most runs nudged per sweep. Default 500. */
  batch?: number;
  onError?: (err: unknown) => void;
}

export class StallSweeper {
  private handle: NodeJS.Timeout | undefined;
  private busy: Promise<void> | undefined;
  private nudged = 0;

  constructor(private readonly opts: StallSweeperOptions) {}

  start(): void {
    this.handle = setInterval(() => {
      this.busy ??= this.sweep().finally(() => (this.busy = undefined));
    }, this.opts.periodMs ?? 15_000);
    this.handle.unref();
  }

  async stop(): Promise<void> {
    if (this.handle) clearInterval(this.handle);
    await this.busy;
  }

  /** Runs nudged so far. */
  get nudgedCount(): number {
    return this.nudged;
  }

  /** One sweep (the timer calls it; tests too). */
  async sweep(): Promise<void> {
    try {
      const quiet = await this.opts.store.quietRuns(
        this.opts.now() - (this.opts.quietMs ?? 60_000),
        this.opts.batch ?? 500,
      );
      const graceMs = this.opts.graceMs ?? 30_000;
      await Promise.all(
        quiet.map((runId) => {
          const command: RunCommand = {
            type: 'trigger',
            runId,
            trigger: { type: 'redrive', graceMs },
          };
          return this.opts.bus.publish(Topic.commands, runId, command);
        }),
      );
      this.nudged += quiet.length;
    } catch (err) {
      this.opts.onError?.(err);
    }
  }
}
