import type { NodeJob, NodeResult } from '@aob/core';
import { AobError, Topic, toErrorData } from '@aob/core';
import type { Bus, BusMessage } from '@aob/bus';
import type { ContentStore } from '@aob/store';
import { nativeContentOf } from '@aob/store';
import { executorFor, runExecutor } from '../executors/registry.js';
import type { ExecutorOptions } from '../executors/types.js';

export interface RunnerDeps {
  bus: Bus;
  content: ContentStore;
  options: ExecutorOptions;
  /** Most jobs executed at once. */
  concurrency: number;
  group?: string;
  consumer: string;
  /**
   * Receives an executor's partial output while a job runs (an llm node's token deltas), for live
   * display only: nothing passed here is persisted or published as a result.
   */
  onDelta?: (job: NodeJob, delta: string) => void;
}

/** Results carry the output value inline below this size, so the orchestrator need not read it back. */
const INLINE_VALUE_LIMIT = 64 * 1024;

export const JOB_TOPICS = [Topic.jobsHigh, Topic.jobsMedium, Topic.jobsLow] as const;

/** A result as published on `aob.node.results`: the NodeResult plus, for small outputs, the value. */
export type ResultMessage = NodeResult & { value?: unknown };

/**
 * Executes node jobs from the priority topics: reports the start, runs the executor under the
 * job's timeout, writes the output to the content store, publishes the result, and only then
 * acknowledges the job (so a runner that dies mid-job has it redelivered).
 */
export class Runner {
  private readonly group: string;
  private readonly inflight = new Map<string, AbortController>();
  private active = 0;
  private stopping = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(private readonly deps: RunnerDeps) {
    this.group = deps.group ?? 'runners';
  }

  async start(): Promise<void> {
    await this.deps.bus.ensureGroup(this.group, JOB_TOPICS);
    this.loop = this.run();
  }

  /** Aborts the in-flight attempts of these nodes of a run. */
  abort(runId: string, nodeIds: readonly string[]): void {
    for (const [key, ctl] of this.inflight) {
      const [r, n] = key.split('\u0000');
      if (r === runId && n !== undefined && nodeIds.includes(n)) {
        ctl.abort(new AobError('CANCELLED', `node ${n} of run ${runId} was cancelled`));
      }
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    for (const ctl of this.inflight.values())
      ctl.abort(new AobError('CANCELLED', 'runner stopping'));
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      const free = this.deps.concurrency - this.active;
      if (free <= 0) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        continue;
      }
      let batch: BusMessage[];
      try {
        batch = await this.deps.bus.read({
          group: this.group,
          consumer: this.deps.consumer,
          topics: JOB_TOPICS,
          count: free,
          blockMs: 1_000,
        });
      } catch (err) {
        if (this.stopping) return;
        throw err;
      }
      for (const msg of batch) {
        this.active += 1;
        void this.handle(msg)
          .catch((err: unknown) => {
            // The job stays unacknowledged and is redelivered; say why unless we are stopping.
            if (!this.stopping) process.emitWarning(`aob runner: ${(err as Error).message}`);
          })
          .finally(() => {
            this.active -= 1;
            const w = this.wake;
            this.wake = undefined;
            w?.();
          });
      }
    }
  }

  private async handle(msg: BusMessage): Promise<void> {
    const job = msg.value as NodeJob;
    const key = `${job.runId}\u0000${job.nodeId}${job.iteration === undefined ? '' : `\u0000${job.iteration}`}`;
    const ctl = new AbortController();
    this.inflight.set(key, ctl);
    const base = {
      runId: job.runId,
      nodeId: job.nodeId,
      attempt: job.attempt,
      ...(job.iteration !== undefined ? { iteration: job.iteration } : {}),
    };
    try {
      await this.publish(job.runId, { ...base, kind: 'started' });
      let result: ResultMessage;
      try {
        const output = await runExecutor(
          job,
          {
            runId: job.runId,
            nodeId: job.nodeId,
            attempt: job.attempt,
            ...(job.iteration !== undefined ? { iteration: job.iteration } : {}),
            idempotencyKey: job.idempotencyKey,
            signal: ctl.signal,
            log: this.logger(job),
            options: this.deps.options,
            content: this.deps.content,
            ...(this.deps.onDelta
              ? { stream: (delta: string) => this.deps.onDelta!(job, delta) }
              : {}),
          },
          executorFor(job.type),
          ctl,
        );
        const content = nativeContentOf(output);
        const { ref, bytes } = content;
        await this.deps.content.put(output, content);
        result = {
          ...base,
          kind: 'succeeded',
          output: ref,
          ...(bytes.length <= INLINE_VALUE_LIMIT ? { value: output } : {}),
        };
      } catch (err) {
        result = { ...base, kind: 'failed', error: toErrorData(err) };
      }
      if (ctl.signal.aborted && this.stopping) return; // leave unacked: redelivered after restart
      await this.publish(job.runId, result);
      await this.deps.bus.ack(this.group, msg.topic, [msg.id]);
    } finally {
      this.inflight.delete(key);
    }
  }

  private async publish(runId: string, result: ResultMessage): Promise<void> {
    await this.deps.bus.publish(Topic.results, runId, result);
  }

  private logger(job: NodeJob) {
    const log = (level: string) => (message: string) => {
      void this.publish(job.runId, {
        runId: job.runId,
        nodeId: job.nodeId,
        attempt: job.attempt,
        level,
        message,
        kind: 'log',
      }).catch(() => undefined);
    };
    return { info: log('info'), warn: log('warn'), error: log('error') };
  }
}
