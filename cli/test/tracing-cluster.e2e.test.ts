// One trace per run across the processes of the cluster, in a real trace backend: the api, the
// orchestrator and the runner as separate `aob server` processes on PostgreSQL, Kafka and S3,
// each exporting its spans to Zipkin (Maven Central's zipkin-server, scripts/services/zipkin) with
// the standard variables (OTEL_TRACES_EXPORTER=zipkin, OTEL_EXPORTER_ZIPKIN_ENDPOINT). A run with
// an `http` node and an `llm` node (an OpenAI-compatible fake) is ONE trace in Zipkin's API, found
// by the trace id its RunStarted records, with spans from all three services in the shape
// run → decision → publish → process → node attempt → http client, and the server the http node
// called received the client span's `traceparent`. No Java or no Zipkin: the test fails, loudly.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AobHttpClient } from '@aob/client';
import type { ClusterBackends, RunningZipkin } from './cluster-harness.js';
import {
  ServiceProcess,
  clusterBackends,
  freePorts,
  launchZipkin,
  sleep,
} from './cluster-harness.js';
import { startOpenAIFake } from '../../packages/engine/src/testing/openai-fake.js';
import type { OpenAIFake } from '../../packages/engine/src/testing/openai-fake.js';
import { aob, json } from './helpers.js';

/** A span as Zipkin's API v2 returns it. */
interface ZipkinSpan {
  traceId: string;
  id: string;
  parentId?: string;
  name?: string;
  kind?: 'CLIENT' | 'SERVER' | 'PRODUCER' | 'CONSUMER';
  timestamp?: number;
  duration?: number;
  localEndpoint?: { serviceName?: string };
  tags?: Record<string, string>;
}

let dir: string;
let backends: ClusterBackends | undefined;
let zipkin: RunningZipkin | undefined;
let fake: OpenAIFake | undefined;
const processes: ServiceProcess[] = [];
let client: AobHttpClient;

/** The server the http node calls: it records the `traceparent` each request carries. */
const received: (string | undefined)[] = [];
const target = createServer((req, res) => {
  const tp = req.headers.traceparent;
  received.push(typeof tp === 'string' ? tp : undefined);
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ greeting: 'hello from the target' }));
});

const WORKFLOW = {
  name: 'traced',
  version: '1',
  inputs: { type: 'object', required: ['url'], properties: { url: { type: 'string' } } },
  nodes: [
    { id: 'fetch', type: 'http', with: { method: 'GET', url: '{% inputs.url %}' } },
    {
      id: 'summarize',
      type: 'llm',
      with: { model: 'fast', prompt: "{% 'Summarise: ' & nodes.fetch.output.body.greeting %}" },
    },
  ],
  edges: [{ from: 'fetch', to: 'summarize' }],
  output: '{% nodes.summarize.output %}',
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'aob-tracing-'));
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  const tag = `trace${process.pid}`;
  // Zipkin first, alone: a machine without Java or Maven fails here, naming what is missing.
  [backends, zipkin, fake] = await Promise.all([
    clusterBackends(tag),
    launchZipkin(),
    startOpenAIFake({
      respond: () => ({
        content: 'A greeting, summarised.',
        usage: { promptTokens: 12, completionTokens: 5 },
      }),
    }),
  ]);
  const [apiPort, grpcPort] = await freePorts(2);
  const common = {
    ...backends.env,
    OTEL_TRACES_EXPORTER: 'zipkin',
    OTEL_EXPORTER_ZIPKIN_ENDPOINT: zipkin.spansEndpoint,
    // Spans leave each process within a fifth of a second (the batch processor's delay).
    OTEL_BSP_SCHEDULE_DELAY: '200',
  };
  const api = new ServiceProcess(
    'api',
    {
      ...common,
      OTEL_SERVICE_NAME: 'aob-api',
      AOB_API_PORT: String(apiPort),
      AOB_GRPC_PORT: String(grpcPort),
    },
    join(dir, 'api.log'),
  );
  const orchestrator = new ServiceProcess(
    'orchestrator',
    { ...common, OTEL_SERVICE_NAME: 'aob-orchestrator' },
    join(dir, 'orchestrator.log'),
  );
  const runner = new ServiceProcess(
    'runner',
    {
      ...common,
      OTEL_SERVICE_NAME: 'aob-runner',
      AOB_ALLOW_PRIVATE_NETWORK: 'true',
      AOB_LLM_BASE_URL: fake.baseURL,
      AOB_LLM_MODELS: '{"fast":"gpt-4o-mini"}',
    },
    join(dir, 'runner.log'),
  );
  for (const p of [orchestrator, runner, api]) {
    processes.push(p);
    await p.start();
  }
  const root = await aob(
    [
      'token',
      'create',
      '--role',
      'admin',
      '--subject',
      'root',
      '--database-url',
      backends.databaseUrl,
      '--json',
    ],
    { NO_COLOR: '1' },
  );
  expect(root.code, root.stderr).toBe(0);
  client = new AobHttpClient({
    baseUrl: `http://127.0.0.1:${apiPort}`,
    token: json<{ token: string }>(root).token,
  });
}, 300_000);

afterAll(async () => {
  for (const p of processes.reverse()) await p.close();
  await Promise.allSettled([backends?.stop(), zipkin?.stop(), fake?.close()]);
  await new Promise((r) => target.close(r));
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 120_000);

/** Zipkin's spans of a trace once every one of `names` is there (spans arrive in batches). */
async function traceFromZipkin(
  traceId: string,
  names: readonly string[],
  /** Spans arrive in batches from each process: wait until at least this many decisions are in. */
  decisions: number,
): Promise<ZipkinSpan[]> {
  const deadline = Date.now() + 30_000;
  let spans: ZipkinSpan[] = [];
  for (;;) {
    const res = await fetch(`${zipkin!.url}/api/v2/trace/${traceId}`);
    if (res.status === 200) spans = (await res.json()) as ZipkinSpan[];
    const have = new Set(spans.map((s) => s.name));
    const decided = spans.filter((s) => s.name?.startsWith('aob.decide ')).length;
    const results = spans.filter((s) => s.name === 'process aob.node.results').length;
    // Each process exports in its own batches, so a child can be in Zipkin before its parent:
    // wait for a closed tree (every parent present), not only for one span of each name.
    const ids = new Set(spans.map((s) => s.id));
    const closed = spans.every((s) => !s.parentId || ids.has(s.parentId));
    if (names.every((n) => have.has(n)) && decided >= decisions && results >= 2 && closed) {
      return spans;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `Zipkin's trace ${traceId} lacks ${names.filter((n) => !have.has(n)).join(', ') || 'nothing by name'} (decisions ${decided}, results processed ${results}, every parent present: ${closed}); it has:\n${render(spans)}`,
      );
    }
    await sleep(250);
  }
}

/** The trace as an indented tree: service, span name, a few tags. */
function render(spans: readonly ZipkinSpan[]): string {
  const ids = new Set(spans.map((s) => s.id));
  const children = new Map<string, ZipkinSpan[]>();
  const roots: ZipkinSpan[] = [];
  for (const s of [...spans].sort((a, b) => (a.timestamp ?? 0) - (b.timestamp ?? 0))) {
    if (s.parentId && ids.has(s.parentId)) {
      children.set(s.parentId, [...(children.get(s.parentId) ?? []), s]);
    } else {
      roots.push(s);
    }
  }
  const lines: string[] = [];
  const walk = (s: ZipkinSpan, depth: number) => {
    const tags = Object.entries(s.tags ?? {})
      .filter(([k]) =>
        /^(aob\.(node\.(id|type|outcome)|trigger\.type)|http\.response|messaging\.system)/.test(k),
      )
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    lines.push(
      `${'  '.repeat(depth)}${s.name} [${s.localEndpoint?.serviceName}${s.kind ? ` ${s.kind}` : ''}] ${s.id}${tags ? ` ${tags}` : ''}`,
    );
    for (const c of children.get(s.id) ?? []) walk(c, depth + 1);
  };
  for (const r of roots) walk(r, 0);
  return lines.join('\n');
}

describe('a run through api → orchestrator → runner processes', () => {
  it('is one trace in Zipkin, with spans from every service in the run → decision → publish → process → node → http shape', async () => {
    const url = `http://127.0.0.1:${(target.address() as AddressInfo).port}/hello`;
    const { runId } = await client.startRun({ definition: WORKFLOW, inputs: { url } });
    const view = await client.waitRun(runId, { timeoutMs: 60_000 });
    expect(view.status).toBe('completed');

    // The trace id is the one RunStarted records.
    const events = (await client.runEvents(runId)).items;
    const started = events.find((e) => e.type === 'RunStarted')!;
    const m = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(started.traceparent ?? '');
    expect(m, `RunStarted.traceparent ${started.traceparent}`).not.toBeNull();
    const [, traceId, rootId] = m!;

    // Zipkin lower-cases span names.
    const spans = await traceFromZipkin(
      traceId!,
      [
        'aob.run traced',
        'aob.decide start',
        'publish aob.node.jobs.medium',
        'process aob.node.jobs.medium',
        'aob.node fetch',
        'get',
        'aob.node summarize',
        'aob.decide nodesucceeded',
      ],
      3,
    );
    process.stdout.write(`\nZipkin's trace ${traceId} of run ${runId}:\n${render(spans)}\n\n`);
    expect(new Set(spans.map((s) => s.traceId))).toEqual(new Set([traceId]));
    const byId = new Map(spans.map((s) => [s.id, s]));
    const parentOf = (s: ZipkinSpan) => (s.parentId ? byId.get(s.parentId) : undefined);
    const one = (name: string, where: (s: ZipkinSpan) => boolean = () => true) => {
      const found = spans.filter((s) => s.name === name && where(s));
      expect(found.length, `spans named ${name}`).toBeGreaterThanOrEqual(1);
      return found[0]!;
    };
    const serviceOf = (s: ZipkinSpan | undefined) => s?.localEndpoint?.serviceName;

    // Every service that worked on the run is in the trace.
    expect(new Set(spans.map(serviceOf))).toEqual(
      new Set(['aob-api', 'aob-orchestrator', 'aob-runner']),
    );

    // The run's root span, made by the api as it started the run: RunStarted's span.
    const run = one('aob.run traced');
    expect(run.id).toBe(rootId);
    expect(run.parentId).toBeUndefined();
    expect(serviceOf(run)).toBe('aob-api');
    expect(run.tags).toMatchObject({ 'aob.run.id': runId, 'aob.workflow.name': 'traced' });
    // The start command went over Kafka in the run's trace.
    const command = one('publish aob.run.commands');
    expect(parentOf(command)).toBe(run);
    const commandIn = one('process aob.run.commands', (s) => s.parentId === command.id);
    expect(serviceOf(commandIn)).toBe('aob-orchestrator');
    expect(commandIn.tags).toMatchObject({ 'messaging.system': 'kafka' });

    // Every decision of the orchestrator is a child of the run.
    const decisions = spans.filter((s) => s.name?.startsWith('aob.decide '));
    // start and each node's success (a node's start has no span: its attempt's covers it).
    expect(decisions.length).toBeGreaterThanOrEqual(3);
    expect(spans.filter((s) => s.name === 'aob.decide nodestarted')).toEqual([]);
    for (const d of decisions) {
      expect(parentOf(d), d.name).toBe(run);
      expect(serviceOf(d)).toBe('aob-orchestrator');
      expect(d.tags?.['aob.trigger.type']).toBeDefined();
    }

    // run → decision → publish (orchestrator's relay) → process (runner) → node → http client.
    const fetchNode = one('aob.node fetch');
    expect(serviceOf(fetchNode)).toBe('aob-runner');
    expect(fetchNode.tags).toMatchObject({
      'aob.node.id': 'fetch',
      'aob.node.type': 'http',
      'aob.node.attempt': '1',
      'aob.node.outcome': 'succeeded',
    });
    const processed = parentOf(fetchNode)!;
    expect(processed.name).toBe('process aob.node.jobs.medium');
    expect(processed.kind).toBe('CONSUMER');
    expect(serviceOf(processed)).toBe('aob-runner');
    expect(processed.tags).toMatchObject({
      'messaging.system': 'kafka',
      'messaging.destination.name': 'aob.node.jobs.medium',
      'messaging.operation.type': 'process',
    });
    const published = parentOf(processed)!;
    expect(published.name).toBe('publish aob.node.jobs.medium');
    expect(published.kind).toBe('PRODUCER');
    expect(serviceOf(published)).toBe('aob-orchestrator');
    const decided = parentOf(published)!;
    expect(decided.name).toBe('aob.decide start');
    expect(parentOf(decided)).toBe(run);

    const get = one('get', (s) => s.parentId === fetchNode.id);
    expect(get.kind).toBe('CLIENT');
    expect(get.tags).toMatchObject({
      'http.request.method': 'GET',
      'http.response.status_code': '200',
    });
    // The service the http node called joined the trace, under the client span.
    expect(received).toEqual([`00-${traceId}-${get.id}-01`]);

    // The llm node's attempt, on the runner, under its own job's process span.
    const summarize = one('aob.node summarize');
    expect(serviceOf(summarize)).toBe('aob-runner');
    expect(summarize.tags).toMatchObject({
      'aob.node.type': 'llm',
      'aob.node.outcome': 'succeeded',
    });
    expect(parentOf(summarize)?.name).toBe('process aob.node.jobs.medium');
    expect(parentOf(parentOf(parentOf(summarize)!)!)?.name).toBe('aob.decide nodesucceeded');
    expect(fake!.calls).toBe(1);

    // Results come back in the trace: the runner publishes under its process span, the
    // orchestrator processes them.
    // One per node: a node's start goes without a span (its attempt's covers it).
    const resultsIn = spans.filter((s) => s.name === 'process aob.node.results');
    expect(resultsIn.length).toBe(2);
    for (const r of resultsIn) {
      expect(serviceOf(r)).toBe('aob-orchestrator');
      expect(parentOf(r)?.name).toBe('publish aob.node.results');
      expect(serviceOf(parentOf(r))).toBe('aob-runner');
    }
  });
});
