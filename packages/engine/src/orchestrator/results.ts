import type { Trigger } from '@aob/core';
import { Topic } from '@aob/core';
import type { Bus, BusMessage } from '@aob/bus';
import type { Orchestrator } from './orchestrator.js';
import type { ResultMessage } from '../runner/runner.js';

/** Turns a runner's result message into the trigger the run reacts to. */
export function triggerOf(r: ResultMessage): Trigger {
  const iter = 'iteration' in r && r.iteration !== undefined ? { iteration: r.iteration } : {};
  switch (r.kind) {
    case 'started':
      return { type: 'nodeStarted', nodeId: r.nodeId, attempt: r.attempt, ...iter };
    case 'succeeded':
      return {
        type: 'nodeSucceeded',
        nodeId: r.nodeId,
        attempt: r.attempt,
        output: r.output,
        ...iter,
      };
    case 'failed':
      return { type: 'nodeFailed', nodeId: r.nodeId, attempt: r.attempt, error: r.error, ...iter };
    case 'log':
      return {
        type: 'nodeLog',
        nodeId: r.nodeId,
        attempt: r.attempt,
        level: r.level,
        message: r.message,
      };
  }
}

/**
 * Consumes `aob.node.results` for the orchestrator. A message is acknowledged only after the
 * decision it caused is durable; if this process dies first, the result is redelivered and,
 * being a duplicate for the same (node, attempt), changes nothing the second time.
 */
export class ResultConsumer {
  private stopping = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly bus: Bus,
    private readonly orchestrator: Orchestrator,
    private readonly consumer: string,
    private readonly group = 'orchestrators',
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {}

  async start(): Promise<void> {
    await this.bus.ensureGroup(this.group, [Topic.results]);
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      try {
        const batch = await this.bus.read({
          group: this.group,
          consumer: this.consumer,
          topics: [Topic.results],
          count: 512,
          blockMs: 1_000,
        });
        if (batch.length === 0) continue;
        await Promise.all([...byRun(batch)].map(([runId, msgs]) => this.handle(runId, msgs)));
        await this.bus.ack(
          this.group,
          Topic.results,
          batch.map((m) => m.id),
        );
      } catch (err) {
        if (this.stopping) return; // the bus closed under a blocked read
        this.onError(err);
      }
    }
  }

  /** One decision for all of a run's results in this read, in the order they were published. */
  private async handle(runId: string, msgs: readonly BusMessage[]): Promise<void> {
    const values = new Map<string, unknown>();
    const triggers: Trigger[] = [];
    for (const m of msgs) {
      const r = m.value as ResultMessage;
      if (r.kind === 'succeeded' && 'value' in r) values.set(r.output.$cas, r.value);
      triggers.push(triggerOf(r));
    }
    try {
      await this.orchestrator.triggerMany(runId, triggers, values);
    } catch (err) {
      this.onError(err);
    }
  }
}

function byRun(batch: readonly BusMessage[]): Map<string, BusMessage[]> {
  const groups = new Map<string, BusMessage[]>();
  for (const m of batch) {
    const runId = (m.value as ResultMessage).runId;
    const group = groups.get(runId);
    if (group) group.push(m);
    else groups.set(runId, [m]);
  }
  return groups;
}
