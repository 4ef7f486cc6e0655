// Metrics of the cluster topology, scraped as Prometheus does (ARCHITECTURE §10): runServer with
// an orchestrator service on PostgreSQL and a runner (an in-process bus and content store: the
// metrics do not depend on the adapters), a few runs — completed, failed, cancelled, one with an
// llm node priced by AOB_LLM_PRICES — then GET /metrics on the health port, read with a strict
// parser of the text format, every instrument and its labels checked.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBus } from '@aob/bus';
import type { PgEventStore } from '@aob/store';
import { MemoryContentStore } from '@aob/store';
import type { Adapters, Component, Log } from '../cluster/server.js';
import { runServer } from '../cluster/server.js';
import type { RunningServer } from '../cluster/server.js';
import { serviceConfig } from '../cluster/config.js';
import { OrchestratorService } from '../cluster/orchestrator-service.js';
import { ClusterClient } from '../cluster/client.js';
import { clusterTag, freshDatabase, pgStore } from '../cluster/testing.js';
import { Runner } from '../runner/runner.js';
import type { OpenAIFake } from '../testing/openai-fake.js';
import { startOpenAIFake } from '../testing/openai-fake.js';
import type { Family } from '../testing/prometheus-text.js';
import { histogramOf, parsePrometheusText, valueOf } from '../testing/prometheus-text.js';
import { aobMetrics } from './metrics.js';

const tag = clusterTag();
let db: { url: string; drop: () => Promise<void> };
let store: PgEventStore;
let fake: OpenAIFake;
let server: RunningServer | undefined;
let client: ClusterClient;
const bus = new MemoryBus();
const content = new MemoryContentStore();
const quiet: Log = { info: () => undefined, error: () => undefined };

const task = (name: string, handler: string) => ({
  name,
  version: '1',
  nodes: [
    { id: 'a', type: 'task', with: { handler } },
    { id: 'b', type: 'transform', with: { value: '{% nodes.a.output %}' } },
  ],
  edges: [{ from: 'a', to: 'b' }],
  output: '{% nodes.b.output %}',
});
const LLM = {
  name: 'metrics-llm',
  version: '1',
  nodes: [{ id: 'ask', type: 'llm', with: { model: 'fast', prompt: 'Say hi' } }],
  output: '{% nodes.ask.output.content %}',
};
const WAITS = {
  name: 'metrics-wait',
  version: '1',
  nodes: [{ id: 'ok', type: 'approval', with: { approvers: ['ada'], message: 'Go?' } }],
};

async function scrape(): Promise<Map<string, Family>> {
  const res = await fetch(`http://127.0.0.1:${server!.port}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  return parsePrometheusText(await res.text());
}

async function sql(text: string, values: unknown[] = []): Promise<void> {
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  try {
    await c.query(text, values);
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  db = await freshDatabase(tag);
  store = await pgStore(db.url);
  fake = await startOpenAIFake({
    respond: () => ({ content: 'hi', usage: { promptTokens: 1000, completionTokens: 500 } }),
  });
  const config = serviceConfig(
    {
      AOB_HTTP_PORT: '0',
      AOB_KAFKA_BROKERS: '127.0.0.1:1',
      AOB_S3_BUCKET: 'aob',
      AOB_DATABASE_URL: db.url,
      AOB_INSTANCE: `metrics-${tag}`,
    },
    ['orchestrator', 'runner'],
  );
  const adapters: Adapters = {
    bus,
    content,
    events: () => Promise.resolve(store),
    close: () => Promise.resolve(),
  };
  expect(aobMetrics()).toBeUndefined(); // nothing installed: the API's no-op meter
  server = await runServer(
    config,
    {
      orchestrator: async (c, a): Promise<Component> => {
        const service = new OrchestratorService({
          events: await a.events(),
          content: a.content,
          bus: a.bus,
          instance: c.instance,
        });
        await service.start();
        return { name: 'orchestrator', ready: () => service.ready, stop: () => service.stop() };
      },
      runner: async (c, a): Promise<Component> => {
        const runner = new Runner({
          bus: a.bus,
          content: a.content,
          options: {
            handlers: {
              work: () => ({ done: true }),
              boom: () => {
                throw Object.assign(new Error('no'), { code: 'NOPE', retryable: false });
              },
            },
            allowPrivateNetwork: false,
            llm: { baseUrl: fake.baseURL, prices: { fast: { input: 1, output: 2 } } },
          },
          concurrency: 4,
          consumer: c.instance,
        });
        await runner.start();
        return { name: 'runner', ready: () => runner.ready, stop: () => runner.stop() };
      },
    },
    quiet,
    { open: () => adapters },
  );
  client = new ClusterClient({ events: store, content, bus });
}, 60_000);

afterAll(async () => {
  const stopping = server?.stop();
  await bus.close();
  await stopping;
  await store?.close();
  await fake?.close();
  await db?.drop();
}, 60_000);

describe('GET /metrics on the health port', () => {
  it('counts runs by workflow and status, times attempts, decisions and the queue, and prices the tokens by model', async () => {
    expect(aobMetrics()).toBeDefined();
    const ok = [
      await client.start(task('metrics-ok', 'work'), {}),
      await client.start(task('metrics-ok', 'work'), {}),
    ];
    const failed = await client.start(task('metrics-fail', 'boom'), {});
    const llm = await client.start(LLM, {});
    const waiting = await client.start(WAITS, {});
    for (const id of [...ok, llm]) expect((await client.wait(id)).status).toBe('completed');
    expect((await client.wait(failed)).status).toBe('failed');
    expect((await client.wait(waiting, { untilSettled: true })).status).toBe('waiting');
    await client.send(waiting, { type: 'cancel', reason: 'metrics test' });
    expect((await client.wait(waiting)).status).toBe('cancelled');

    const m = await scrape();
    // Runs, by workflow name (and status once ended).
    expect(m.get('aob_runs_started_total')?.type).toBe('counter');
    expect(valueOf(m, 'aob_runs_started_total', { workflow: 'metrics-ok' })).toBe(2);
    expect(valueOf(m, 'aob_runs_started_total', { workflow: 'metrics-fail' })).toBe(1);
    expect(valueOf(m, 'aob_runs_started_total', { workflow: 'metrics-llm' })).toBe(1);
    expect(valueOf(m, 'aob_runs_started_total', { workflow: 'metrics-wait' })).toBe(1);
    const ended = (workflow: string, status: string) =>
      valueOf(m, 'aob_runs_ended_total', { workflow, status });
    expect(ended('metrics-ok', 'completed')).toBe(2);
    expect(ended('metrics-fail', 'failed')).toBe(1);
    expect(ended('metrics-llm', 'completed')).toBe(1);
    expect(ended('metrics-wait', 'cancelled')).toBe(1);
    expect(ended('metrics-ok', 'failed')).toBeUndefined();

    // Node attempts, by type and outcome, in seconds.
    const attempts = (type: string, outcome: string) =>
      histogramOf(m, 'aob_node_attempt_duration_seconds', { type, outcome });
    expect(attempts('task', 'succeeded')?.count).toBe(2);
    expect(attempts('task', 'failed')?.count).toBe(1);
    expect(attempts('transform', 'succeeded')?.count).toBe(2);
    expect(attempts('llm', 'succeeded')?.count).toBe(1);
    expect(attempts('task', 'succeeded')!.sum).toBeLessThan(10);
    expect(attempts('task', 'succeeded')!.buckets[0]![0]).toBe(0.001);

    // Every job went through the medium topic; its lag is one observation per delivery. The
    // transform b reaches no runner: the orchestrator runs it (orchestrator/inline.ts).
    const lag = histogramOf(m, 'aob_queue_lag_seconds', { priority: 'medium' });
    expect(lag?.count).toBeGreaterThanOrEqual(4);
    expect(lag!.sum).toBeGreaterThanOrEqual(0);

    // Decisions, by trigger type: one start per run, one cancel.
    const decisions = (trigger: string) =>
      histogramOf(m, 'aob_decision_latency_seconds', { trigger });
    expect(decisions('start')?.count).toBe(5);
    expect(decisions('cancel')?.count).toBe(1);
    // a twice and the llm's ask; b's success is decided in the decision of a's.
    expect(decisions('nodeSucceeded')?.count).toBe(3);
    expect(decisions('nodeFailed')?.count).toBe(1);

    // The llm node's tokens and cost, by the model alias of its definition.
    expect(valueOf(m, 'aob_llm_tokens_total', { model: 'fast', type: 'input' })).toBe(1000);
    expect(valueOf(m, 'aob_llm_tokens_total', { model: 'fast', type: 'output' })).toBe(500);
    expect(valueOf(m, 'aob_llm_cost_usd_total', { model: 'fast' })).toBeCloseTo(0.002, 9);

    // The service names the process (target_info); no scope label on the series.
    expect(m.get('target_info')?.samples[0]?.labels).toMatchObject({
      service_name: 'aob-orchestrator-runner',
      service_instance_id: `metrics-${tag}`,
    });
    expect(m.get('aob_runs_started_total')?.samples[0]?.labels).not.toHaveProperty(
      'otel_scope_name',
    );
    expect(m.get('aob_runs_started_total')?.help).toMatch(/Runs started/);
  });

  it('reads the outbox backlog and the timers due from the store at each scrape', async () => {
    const before = await scrape();
    expect(before.get('aob_outbox_backlog')?.type).toBe('gauge');
    expect(valueOf(before, 'aob_outbox_backlog')).toBe(0);
    expect(valueOf(before, 'aob_timers_due')).toBe(0);
    // Rows and timers another instance holds (claimed for an hour): unsent and due all the while.
    await sql(
      `INSERT INTO outbox (topic, key, payload, claimed_by, claimed_until)
       VALUES ('aob.node.jobs.medium', 'nobody', '{}', 'elsewhere', clock_timestamp() + interval '1 hour'),
              ('aob.node.jobs.medium', 'nobody', '{}', 'elsewhere', clock_timestamp() + interval '1 hour')`,
    );
    await sql(
      `INSERT INTO timers (timer_id, run_id, purpose, due_at, claimed_by, claimed_until)
       VALUES ('held', 'nobody', 'run', $1, 'elsewhere', $2)`,
      [Date.now() - 1_000, Date.now() + 3_600_000],
    );
    const after = await scrape();
    expect(valueOf(after, 'aob_outbox_backlog')).toBe(2);
    expect(valueOf(after, 'aob_timers_due')).toBe(1);
    await sql(`DELETE FROM outbox WHERE key = 'nobody'`); // published: a relay deletes the rows
    await sql(`UPDATE timers SET fired_at = $1 WHERE timer_id = 'held'`, [Date.now()]);
    expect(valueOf(await scrape(), 'aob_outbox_backlog')).toBe(0);
  });

  it('still serves /healthz and /readyz beside it, and 404 elsewhere', async () => {
    const base = `http://127.0.0.1:${server!.port}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    expect((await fetch(`${base}/metrics/x`)).status).toBe(404);
  });

  it('uninstalls the MeterProvider as the server stops: the no-op meter again', async () => {
    await server!.stop();
    server = undefined;
    expect(aobMetrics()).toBeUndefined();
  });
});
