import type { Trigger } from '@aob/core';
import { Topic } from '@aob/core';
import type { Bus, BusMessage } from '@aob/bus';
import type { SpanContext } from '@opentelemetry/api';
import { context } from '@opentelemetry/api';
import type { Orchestrator } from './orchestrator.js';
import type { ResultMessage } from '../runner/runner.js';
import type { ProcessSpan } from '../telemetry/trace.js';
import { failSpan, startProcessSpan } from '../telemetry/trace.js';

/**
 * The triggers a runner's result message brings: its own, after the attempt's start when the
 * result carries it (`withStart`: the attempt ended before its start was reported on its own).
 */
export function triggersOf(r: ResultMessage): Trigger[] {
  const own = triggerOf(r);
  if (!('withStart' in r) || r.withStart !== true) return [own];
  const started: Trigger = {
    type: 'nodeStarted',
    nodeId: r.nodeId,
    attempt: r.attempt,
    ...(r.iteration !== undefined ? { iteration: r.iteration } : {}),
  };
  return [started, own];
}

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
        ...(r.usage !== undefined ? { usage: r.usage } : {}),
        ...iter,
      };
    case 'failed':
      return {
        type: 'nodeFailed',
        nodeId: r.nodeId,
        attempt: r.attempt,
        error: r.error,
        ...(r.usage !== undefined ? { usage: r.usage } : {}),
        ...iter,
      };
    case 'suspended':
      return {
        type: 'nodeSuspended',
        nodeId: r.nodeId,
        attempt: r.attempt,
        question: r.question,
        state: r.state,
        ...(r.usage !== undefined ? { usage: r.usage } : {}),
        ...(r.resumedFrom !== undefined ? { resumedFrom: r.resumedFrom } : {}),
        ...iter,
      };
    case 'log':
      return {
        type: 'nodeLog',
        nodeId: r.nodeId,
        attempt: r.attempt,
        level: r.level,
        message: r.message,
        ...iter,
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
/** A run's results handed over in process, and the loop deciding them (ResultConsumer.apply). */
interface HandedResults {
  waiting: { message: BusMessage; decided: (durable: boolean) => void }[];
  deciding?: Promise<void>;
}

/** Waits before retrying a run's failed decision in this process: 0.25 s doubling to 4 s. */
const RETRY_DELAYS_MS = [250, 500, 1_000, 2_000, 4_000, 4_000, 4_000, 4_000];

export class ResultConsumer {
  private stopping = false;
  private loop: Promise<void> | undefined;
  private readonly topics: string[];
  private readonly retries = new Set<NodeJS.Timeout>();
  /** Handed results per run, waiting for their decision (apply). */
  private readonly handed = new Map<string, HandedResults>();

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

  /** Consuming, with a settled share of the runs (not joining, not rebalancing). */
  get ready(): boolean {
    return this.loop !== undefined && !this.stopping && (this.bus.settled?.(this.group) ?? true);
  }

  /**
   * A result handed over in process (cluster/job-handoff.ts), decided as if it had been read from
   * the bus. Whether its decision is durable; false (stopping, or the decision failed) means the
   * caller publishes it on the bus instead, where it is retried as any other.
   *
   * A run's handed results are decided together, as a bus read's are: those that arrive while one
   * of its decisions is being made go into the next (a fan-out's results in a few decisions, not
   * one each).
   */
  apply(runId: string, result: unknown, headers: Record<string, string>): Promise<boolean> {
    if (this.stopping) return Promise.resolve(false);
    let pending = this.handed.get(runId);
    if (!pending) {
      pending = { waiting: [] };
      this.handed.set(runId, pending);
    }
    const message: BusMessage = {
      id: 'handoff',
      topic: Topic.results,
      key: runId,
      value: result,
      headers,
      deliveries: 1,
    };
    const decided = new Promise<boolean>((resolve) =>
      pending.waiting.push({ message, decided: resolve }),
    );
    // Started a tick later, so the results of one burst (a runner's jobs ending together) meet.
    if (!pending.deciding)
      pending.deciding = new Promise((r) => setImmediate(r)).then(() =>
        this.decideHanded(runId, pending),
      );
    return decided;
  }

  /** Decides a run's waiting handed results, then those that came meanwhile, until none wait. */
  private async decideHanded(runId: string, pending: HandedResults): Promise<void> {
    while (pending.waiting.length > 0) {
      const batch = pending.waiting.splice(0);
      const ok = this.stopping
        ? false
        : await this.handle(
            runId,
            batch.map((b) => b.message),
          );
      for (const b of batch) b.decided(ok);
    }
    this.handed.delete(runId);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const t of this.retries) clearTimeout(t);
    this.retries.clear();
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
          [...byRun(batch)].map(async ([runId, msgs]) => {
            if (await this.handle(runId, msgs)) return msgs;
            this.retryLater(runId, msgs, 0);
            return [];
          }),
        );
        await this.ackAll(done.flat());
      } catch (err) {
        if (this.stopping) return; // the bus closed under a blocked read
        this.onError(err);
      }
    }
  }

  /**
   * A run whose decision failed (the store unreachable, say) keeps its messages unacked and is
   * tried again here with backoff, so it goes on soon after the store is back rather than after
   * the bus's idle redelivery. The bus may still redeliver them meanwhile (or to another process
   * if this one dies): messages already applied change nothing the second time.
   */
  private retryLater(runId: string, msgs: readonly BusMessage[], attempt: number): void {
    const delay = RETRY_DELAYS_MS[attempt];
    if (delay === undefined || this.stopping) return; // left to the bus's redelivery
    const timer = setTimeout(() => {
      this.retries.delete(timer);
      void (async () => {
        if (this.stopping) return;
        if (await this.handle(runId, msgs)) await this.ackAll(msgs);
        else this.retryLater(runId, msgs, attempt + 1);
      })().catch((err: unknown) => this.onError(err));
    }, delay);
    timer.unref();
    this.retries.add(timer);
  }

  private async ackAll(msgs: readonly BusMessage[]): Promise<void> {
    for (const topic of this.topics) {
      const ids = msgs.filter((m) => m.topic === topic).map((m) => m.id);
      if (ids.length > 0) await this.bus.ack(this.group, topic, ids);
    }
  }

  /**
   * One decision for all of a run's results in this read, in the order they were published.
   * Whether it became durable.
   */
  private async handle(runId: string, msgs: readonly BusMessage[]): Promise<boolean> {
    const values = new Map<string, unknown>();
    const triggers: Trigger[] = [];
    // A `process` span per message that carries a trace context; each trigger's decision links
    // to the span of the message that brought it.
    const spans: ProcessSpan[] = [];
    const origins: (SpanContext | undefined)[] = [];
    try {
      for (const m of msgs) {
        const consumed = startProcessSpan(this.bus, m);
        if (consumed) spans.push(consumed);
        const origin = consumed?.span.spanContext();
        if (m.topic === Topic.commands) {
          // Commands in order with the results around them; a start is carried out at once.
          const more = await context.with(consumed?.context ?? context.active(), () =>
            this.commands!(runId, m.value),
          );
          for (const t of more) {
            triggers.push(t);
            origins.push(origin);
          }
          continue;
        }
        const r = m.value as ResultMessage;
        if (r.kind === 'succeeded' && 'value' in r) values.set(r.output.$cas, r.value);
        for (const t of triggersOf(r)) {
          triggers.push(t);
          origins.push(origin);
        }
      }
      if (triggers.length === 0) return true;
      await this.orchestrator.triggerMany(runId, triggers, values, origins);
      return true;
    } catch (err) {
      for (const s of spans) failSpan(s.span, err);
      this.onError(err);
      // A result for a run no store knows can never apply: dropping it loses nothing.
      return (err as { code?: unknown }).code === 'RUN_NOT_FOUND';
    } finally {
      for (const s of spans) s.span.end();
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
