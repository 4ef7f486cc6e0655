// Fires durable timers (cluster topology): claims due rows (FOR UPDATE SKIP LOCKED, so several
// orchestrators share the work) and sends each as a `timerFired` run command on
// `aob.run.commands`, keyed by the run, so the orchestrator that owns the run applies it. Marked
// fired only after the command is on the bus; a crash in between sends it again, and a second
// timerFired for the same timer changes nothing (the timer is gone from the run's state).
import type { Bus } from '@aob/bus';
import { Topic } from '@aob/core';
import type { TimerStore } from '@aob/store';
import type { RunCommand } from './commands.js';

export interface TimerPollerOptions {
  timers: TimerStore;
  bus: Bus;
  owner: string;
  now: () => number;
  /** Default 100 ms. */
  pollMs?: number;
  /** Default 200. */
  batch?: number;
  onError?: (err: unknown) => void;
}

export class TimerPoller {
  private handle: NodeJS.Timeout | undefined;
  private busy: Promise<void> | undefined;
  private fired = 0;

  constructor(private readonly opts: TimerPollerOptions) {}

  start(): void {
    this.handle = setInterval(() => {
      if (!this.busy) this.busy = this.poll().finally(() => (this.busy = undefined));
    }, this.opts.pollMs ?? 100);
    this.handle.unref();
  }

  async stop(): Promise<void> {
    if (this.handle) clearInterval(this.handle);
    await this.busy;
  }

  get firedCount(): number {
    return this.fired;
  }

  private async poll(): Promise<void> {
    try {
      const due = await this.opts.timers.claimDueTimers(
        this.opts.now(),
        this.opts.batch ?? 200,
        this.opts.owner,
      );
      if (due.length === 0) return;
      await Promise.all(
        due.map((t) => {
          const command: RunCommand = {
            type: 'trigger',
            runId: t.runId,
            trigger: { type: 'timerFired', timerId: t.timerId },
          };
          return this.opts.bus.publish(Topic.commands, t.runId, command);
        }),
      );
      await this.opts.timers.markTimersFired(
        due.map((t) => t.timerId),
        this.opts.now(),
      );
      this.fired += due.length;
    } catch (err) {
      this.opts.onError?.(err);
    }
  }
}
