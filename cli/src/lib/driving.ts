// Commands that start or continue a run and wait for it: run start, run resume, replay, approve.
// They share the TTY timeline and the way a finished (or still waiting) run is reported. Locally
// the run is driven in this process; on a server it runs in the cluster and the timeline comes
// from its SSE feed.
import type { Command } from '@oclif/core';
import type { RunView } from '@aob/engine';
import type { Backend, Observer } from './backend.js';
import { AobCommand } from './base.js';
import { ExitCode, exitCodeForStatus } from './exit-codes.js';
import { toRunJson } from './json.js';
import { err, out, outJson, stdoutIsTty } from './output.js';
import { formatFinalLine, formatRunSummary, formatValue, nextStepHints } from './render.js';
import { Timeline } from './timeline.js';

export interface WaitOptions {
  /** Return once the run is over or settled (waiting on a person). */
  detach?: boolean;
  timeoutMs?: number;
}

export abstract class DrivingCommand<T extends typeof Command> extends AobCommand<T> {
  private timeline: Timeline | undefined;
  private observer: Observer | undefined;

  /** Whether the live timeline is shown: stdout is a terminal and --json is off. */
  protected get live(): boolean {
    return !this.jsonMode && stdoutIsTty();
  }

  /** Subscribes the live timeline (before the run starts, so no event is missed). */
  protected attachTimeline(backend: Backend): void {
    if (!this.live || this.timeline) return;
    const timeline = new Timeline(
      (text) => process.stdout.write(text),
      async (runId, nodeId) => (await backend.node(runId, nodeId)).input,
    );
    this.observer = backend.observe({
      event: timeline.listener,
      delta: timeline.deltaListener,
    });
    this.timeline = timeline;
  }

  /** Shows `runId` on the timeline from here on; names it in the hint printed on Ctrl-C. */
  protected trackRun(backend: Backend, runId: string, startedAt?: number): void {
    if (this.timeline) {
      process.stdout.write(`run ${runId}\n`);
      this.timeline.track(runId, startedAt);
      this.observer?.track(runId);
    }
    this.interruptHint =
      backend.mode === 'server'
        ? `interrupted: run ${runId} goes on on the server; follow it with: aob logs stream ${runId}`
        : `interrupted: run ${runId} is paused; continue it with: aob run resume ${runId}`;
  }

  /** Waits for the run, reports it, and returns the exit code its status means. */
  protected async waitAndReport(
    backend: Backend,
    runId: string,
    opts: WaitOptions,
  ): Promise<number> {
    const waitOpts: { timeoutMs?: number; untilSettled?: boolean } = {};
    if (opts.timeoutMs !== undefined) waitOpts.timeoutMs = opts.timeoutMs;
    if (opts.detach) waitOpts.untilSettled = true;
    const view = await backend.wait(runId, waitOpts);
    await this.settleTimeline(view);
    await this.reportRun(view);
    return exitCodeForStatus(view.status);
  }

  /** Lets the timeline show what brought the run to `view`, then stops it. */
  protected async settleTimeline(view: RunView): Promise<void> {
    if (!this.observer) return;
    await this.observer.settle(view);
    await this.timeline?.flush();
    this.observer.close();
    this.observer = undefined;
  }

  protected async reportRun(view: RunView): Promise<void> {
    if (this.jsonMode) {
      await outJson(toRunJson(view));
      return;
    }
    if (!this.live) {
      await out(formatRunSummary(view));
      return;
    }
    const lines = [formatFinalLine(view, Date.now())];
    if (view.output !== undefined) lines.push(`output: ${formatValue(view.output, true)}`);
    await out(lines);
    // The timeline already said how to decide each ticket when the run began to wait.
    const hints = view.status === 'waiting' ? [] : nextStepHints(view);
    if (hints.length > 0) await err(hints);
  }

  /**
   * After a decision that lets a run go on (an approval, an answer, a raised budget): says so,
   * and when this process drives the run (`drivenHere`, local only) carries it on until it is
   * over or waits on a person again, reporting it as run start does. `outcome` is the --json
   * document; the run's status and view are added to it when the run was carried on here.
   */
  protected async carryOn(
    backend: Backend,
    decided: { runId: string; drivenHere: boolean },
    head: string,
    outcome: Record<string, unknown>,
  ): Promise<number> {
    const { runId, drivenHere } = decided;
    if (!drivenHere) {
      // Another live process (or the cluster) drives the run; it picks the decision up.
      if (this.jsonMode) await outJson(outcome);
      else
        await out(
          backend.mode === 'server'
            ? `${head}; run ${runId} continues on the server (follow it: aob logs stream ${runId})`
            : `${head}; run ${runId} continues in the process that drives it`,
        );
      return ExitCode.Ok;
    }
    if (this.live) await out(head);
    this.trackRun(backend, runId);
    const view = await backend.wait(runId, { untilSettled: true });
    await this.settleTimeline(view);
    if (this.jsonMode) {
      await outJson({ ...outcome, status: view.status, run: toRunJson(view) });
    } else {
      await out(
        this.live ? formatFinalLine(view, Date.now()) : [head, formatFinalLine(view, Date.now())],
      );
      if (this.live) {
        const hints = nextStepHints(view);
        if (hints.length > 0) await err(hints);
      }
    }
    return exitCodeForStatus(view.status);
  }

  protected override async shutdown(): Promise<void> {
    this.observer?.close();
    this.observer = undefined;
    await super.shutdown();
  }
}
