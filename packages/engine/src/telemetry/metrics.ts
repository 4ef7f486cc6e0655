// The engine's metrics (ARCHITECTURE §10), with `@opentelemetry/api` only: the meter `aob` of the
// global MeterProvider, which a composition root installs (metrics-setup.ts: every service, and
// `aob dev`). Until one is, `metrics.getMeter` answers the API's no-op meter and every function
// here returns at once, touching nothing: a process without metrics pays one global lookup per
// recording. The names are the Prometheus ones (`/metrics`, deploy/README.md lists them): the
// exporter adds `_total` to counters, nothing else.
import { createNoopMeter, metrics } from '@opentelemetry/api';
import type {
  Counter,
  Histogram,
  Meter,
  ObservableGauge,
  ObservableResult,
  UpDownCounter,
} from '@opentelemetry/api';
import type { AnyRunEvent, NodeJob, NodeUsage, Trigger } from '@aob/core';

/** The instrumentation scope of every aob instrument. */
export const METER_NAME = 'aob';

/** The header a job message carries its publish time in (epoch ms), for the queue lag. */
export const PUBLISHED_AT = 'aob-published-at';

/** Durations from a millisecond to ten minutes (node attempts, decisions, queue lag), in seconds. */
const SECONDS_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600,
];

export interface AobInstruments {
  /** `aob_runs_started_total{workflow}` */
  runsStarted: Counter;
  /** `aob_runs_ended_total{workflow,status}`: status completed, failed or cancelled. */
  runsEnded: Counter;
  /** `aob_node_attempt_duration_seconds{type,outcome}` */
  attemptDuration: Histogram;
  /** `aob_queue_lag_seconds{priority}`: a job's publish to its consumption by a runner. */
  queueLag: Histogram;
  /** `aob_decision_latency_seconds{trigger}`: a trigger received to its events appended. */
  decisionLatency: Histogram;
  /** `aob_sse_clients{feed}`: open SSE timelines. */
  sseClients: UpDownCounter;
  /** `aob_llm_tokens_total{model,type}`: type input or output. */
  llmTokens: Counter;
  /** `aob_llm_cost_usd_total{model}`: priced by AOB_LLM_PRICES. */
  llmCost: Counter;
  /** `aob_jobs_handed_total`: jobs handed to the runner in the orchestrator's process. */
  jobsHanded: Counter;
  /** `aob_outbox_backlog`: unsent outbox rows (cluster-wide, as the store counts them). */
  outboxBacklog: ObservableGauge;
  /** `aob_timers_due`: durable timers due and not fired (cluster-wide). */
  timersDue: ObservableGauge;
}

const NoopMeter = createNoopMeter().constructor;
let built: { meter: Meter; instruments: AobInstruments } | undefined;

/**
 * The instruments on the current global meter `aob`; undefined when no MeterProvider is installed
 * (the no-op meter): the caller then skips its recording altogether.
 */
export function aobMetrics(): AobInstruments | undefined {
  const meter = metrics.getMeter(METER_NAME);
  if (meter instanceof NoopMeter) return undefined;
  if (built?.meter !== meter) built = { meter, instruments: instrumentsOf(meter) };
  return built.instruments;
}

function instrumentsOf(meter: Meter): AobInstruments {
  const seconds = (name: string, description: string) =>
    meter.createHistogram(name, {
      description,
      unit: 's',
      advice: { explicitBucketBoundaries: SECONDS_BUCKETS },
    });
  return {
    runsStarted: meter.createCounter('aob_runs_started', {
      description: 'Runs started (RunStarted appended), by workflow name',
      unit: '{run}',
    }),
    runsEnded: meter.createCounter('aob_runs_ended', {
      description:
        'Runs ended (RunCompleted, RunFailed, RunCancelled appended), by workflow name and status',
      unit: '{run}',
    }),
    attemptDuration: seconds(
      'aob_node_attempt_duration_seconds',
      'How long node attempts ran on a runner, by node type and outcome (succeeded, failed, cancelled, suspended)',
    ),
    queueLag: seconds(
      'aob_queue_lag_seconds',
      'From a node job published on its priority topic to a runner consuming it, by priority',
    ),
    decisionLatency: seconds(
      'aob_decision_latency_seconds',
      'From a trigger received by the orchestrator to its events appended to the run log, by trigger type',
    ),
    sseClients: meter.createUpDownCounter('aob_sse_clients', {
      description: 'Open SSE timelines, by feed (run or namespace)',
      unit: '{client}',
    }),
    llmTokens: meter.createCounter('aob_llm_tokens', {
      description: 'Tokens spent by llm and agent node attempts, by model and type (input, output)',
      unit: '{token}',
    }),
    llmCost: meter.createCounter('aob_llm_cost_usd', {
      description: 'What llm and agent node attempts cost in US dollars (AOB_LLM_PRICES), by model',
      unit: 'USD',
    }),
    jobsHanded: meter.createCounter('aob_jobs_handed', {
      description:
        'Node jobs the outbox relay handed to the runner in its own process instead of publishing them',
      unit: '{job}',
    }),
    outboxBacklog: meter.createObservableGauge('aob_outbox_backlog', {
      description: 'Outbox rows committed and not yet published (the whole cluster: one store)',
      unit: '{row}',
    }),
    timersDue: meter.createObservableGauge('aob_timers_due', {
      description: 'Durable timers due and not fired yet (the whole cluster: one store)',
      unit: '{timer}',
    }),
  };
}

const ENDED: Readonly<Record<string, string>> = {
  RunCompleted: 'completed',
  RunFailed: 'failed',
  RunCancelled: 'cancelled',
};

/**
 * What one committed decision tells: the runs it started and ended (by workflow) and, for each
 * trigger, the time from its receipt (`receivedAt`, performance.now()) to now.
 */
export function recordDecision(
  workflow: string,
  triggers: readonly Trigger[],
  events: readonly AnyRunEvent[],
  receivedAt: number,
): void {
  const m = aobMetrics();
  if (!m) return;
  const seconds = (performance.now() - receivedAt) / 1_000;
  for (const t of triggers) m.decisionLatency.record(seconds, { trigger: t.type });
  for (const e of events) {
    if (e.type === 'RunStarted') m.runsStarted.add(1, { workflow });
    else if (ENDED[e.type] !== undefined) m.runsEnded.add(1, { workflow, status: ENDED[e.type] });
  }
}

/** How an attempt ended, as the duration's `outcome`. */
export type AttemptOutcome = 'succeeded' | 'failed' | 'cancelled' | 'suspended';

/**
 * One node attempt that ran (`startedAt`, performance.now()), and the tokens it spent (the usage the
 * runner reports with its result) by model: the definition's alias, else the provider's model id.
 */
export function recordAttempt(
  job: Pick<NodeJob, 'type' | 'config'>,
  outcome: AttemptOutcome,
  startedAt: number,
  usage: NodeUsage | undefined,
  model: unknown,
): void {
  const m = aobMetrics();
  if (!m) return;
  m.attemptDuration.record((performance.now() - startedAt) / 1_000, { type: job.type, outcome });
  if (!usage) return;
  const alias = job.config.model;
  const name = typeof alias === 'string' ? alias : typeof model === 'string' ? model : 'unknown';
  m.llmTokens.add(usage.promptTokens, { model: name, type: 'input' });
  m.llmTokens.add(usage.completionTokens, { model: name, type: 'output' });
  if (usage.costUsd !== undefined) m.llmCost.add(usage.costUsd, { model: name });
}

/** The header a job is published with (its publish time), when metrics are on. */
export function publishedAtHeader(): Record<string, string> | undefined {
  return aobMetrics() ? { [PUBLISHED_AT]: String(Date.now()) } : undefined;
}

/**
 * A job consumed by a runner: the time since its message was published (the publisher's clock:
 * a skew between hosts shows here; a negative lag counts as 0).
 */
export function recordQueueLag(
  priority: string,
  headers: Readonly<Record<string, string>> | undefined,
): void {
  const m = aobMetrics();
  const raw = headers?.[PUBLISHED_AT];
  if (!m || raw === undefined) return;
  const published = Number(raw);
  if (!Number.isFinite(published)) return;
  m.queueLag.record(Math.max(0, Date.now() - published) / 1_000, { priority });
}

/** A job handed to the runner of the orchestrator's process (cluster/job-handoff.ts). */
export function recordJobHanded(priority: string): void {
  aobMetrics()?.jobsHanded.add(1, { priority });
}

/** One SSE timeline opened (+1) or ended (-1) on a feed (`run`, `namespace`). */
export function recordSseClients(delta: 1 | -1, feed: string): void {
  aobMetrics()?.sseClients.add(delta, { feed });
}

/** What the observable gauges read at each collection (the cluster's store). */
export interface StoreGauges {
  /** Unsent outbox rows. */
  outboxBacklog(): Promise<number>;
  /** Unfired timers due at `now`. */
  dueTimers(now: number): Promise<number>;
}

/** How long a collection waits for the store before it leaves a gauge out. */
const GAUGE_TIMEOUT_MS = 2_000;

/**
 * Registers the outbox backlog and timers due gauges, read from `store` at each collection (a
 * scrape of /metrics); returns the function that unregisters them. A store that does not answer
 * within 2 s (or fails) leaves that gauge out of the collection. Nothing without metrics.
 */
export function observeStore(store: StoreGauges, now: () => number = Date.now): () => void {
  const m = aobMetrics();
  if (!m) return () => undefined;
  const backlog = async (r: ObservableResult) => {
    const n = await bounded(store.outboxBacklog());
    if (n !== undefined) r.observe(n);
  };
  const due = async (r: ObservableResult) => {
    const n = await bounded(store.dueTimers(now()));
    if (n !== undefined) r.observe(n);
  };
  m.outboxBacklog.addCallback(backlog);
  m.timersDue.addCallback(due);
  return () => {
    m.outboxBacklog.removeCallback(backlog);
    m.timersDue.removeCallback(due);
  };
}

async function bounded(p: Promise<number>): Promise<number | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p.catch(() => undefined),
      new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), GAUGE_TIMEOUT_MS);
        timer.unref();
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
