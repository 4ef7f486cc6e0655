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
 * What a run command asks for, when it is not a plain trigger: the cluster's command handler
 * starts runs (see cluster/commands.ts). Returns the triggers to apply, if any.
 */
export type CommandHandler = (runId: string, command: unknown) => Promise<Trigger[]>;

/**
 * Consumes `aob.node.results` (and, given a command handler, `aob.run.commands`: the cluster
 * topology) for the orchestrator. A message is acknowledged only after the decision it caused is
 * durable; if this process dies first, it is redelivered and, being a duplicate (the same node
 * attempt's result, a start of a run that exists), changes nothing the second time.
 */
export class ResultConsumer {
  private stopping = false;
  private loop: Promise<void> | undefined;
  private readonly topics: string[];

  constructor(
    private readonly bus: Bus,
    private readonly orchestrator: Orchestrator,
    private readonly consumer: string,
    private readonly group = 'orchestrators',
    private readonly onError: (err: unknown) => void = () => undefined,
    private readonly commands?: CommandHandler,
  ) {
    this.topics = commands ? [Topic.results, Topic.commands] : [Topic.results];
  }

  async start(): Promise<void> {
    await this.bus.ensureGroup(this.group, this.topics);
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
          topics: this.topics,
          count: 512,
          blockMs: 1_000,
        });
        if (batch.length === 0) continue;
        const done = await Promise.all(
          [...byRun(batch)].map(async ([runId, msgs]) =>
            (await this.handle(runId, msgs)) ? msgs : [],
          ),
        );
        // A run whose decision failed (the store unreachable, say) keeps its results unacked:
        // the bus redelivers them, and results already applied change nothing the second time.
        for (const topic of this.topics) {
          const ids = done
            .flat()
            .filter((m) => m.topic === topic)
            .map((m) => m.id);
          if (ids.length > 0) await this.bus.ack(this.group, topic, ids);
        }
      } catch (err) {
        if (this.stopping) return; // the bus closed under a blocked read
        this.onError(err);
      }
    }
  }

  /**
   * One decision for all of a run's results in this read, in the order they were published.
   * Whether it became durable.
   */
  private async handle(runId: string, msgs: readonly BusMessage[]): Promise<boolean> {
    const values = new Map<string, unknown>();
    const triggers: Trigger[] = [];
    try {
      for (const m of msgs) {
        if (m.topic === Topic.commands) {
          // Commands in order with the results around them; a start is carried out at once.
          triggers.push(...(await this.commands!(runId, m.value)));
          continue;
        }
        const r = m.value as ResultMessage;
        if (r.kind === 'succeeded' && 'value' in r) values.set(r.output.$cas, r.value);
        triggers.push(triggerOf(r));
      }
      if (triggers.length === 0) return true;
      await this.orchestrator.triggerMany(runId, triggers, values);
      return true;
    } catch (err) {
      this.onError(err);
      // A result for a run no store knows can never apply: dropping it loses nothing.
      return (err as { code?: unknown }).code === 'RUN_NOT_FOUND';
    }
  }
}

function byRun(batch: readonly BusMessage[]): Map<string, BusMessage[]> {
  const groups = new Map<string, BusMessage[]>();
  for (const m of batch) {
    const runId = (m.value as { runId: string }).runId;
    const group = groups.get(runId);
    if (group) group.push(m);
    else groups.set(runId, [m]);
  }
  return groups;
}
