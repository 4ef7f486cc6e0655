// One trace per run on the local engine (ARCHITECTURE §10), with the SDK set up as a composition
// root sets it up (startTracing) and an in-memory exporter: the run's spans — its start, the
// decisions, the node attempts (in-process hops make no spans), the http node's client call (whose
// `traceparent` the server called receives) — form one trace under the context RunStarted records;
// a run resumed by another engine after a wait keeps its trace; with no exporter nothing starts.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AnyRunEvent } from '@aob/core';
import { LocalEngine } from '../local/local-engine.js';
import type { Tracing } from './setup.js';
import { startTracing, telemetryConfig, telemetryConfigOrThrow } from './setup.js';
import { currentRunContext, enableRunContext } from './run-context.js';
import { parseTraceparent } from './trace.js';

/** A fresh exporter per test: shutting the SDK down stops the one it had. */
let exporter: InMemorySpanExporter;
let tracing: Tracing | undefined;

async function traced(): Promise<Tracing> {
  exporter = new InMemorySpanExporter();
  tracing = await startTracing({}, { exporter, serviceName: 'aob-test' });
  return tracing;
}
let home: string;
const engines: LocalEngine[] = [];

async function open(opts: Parameters<typeof LocalEngine.open>[0] = {}): Promise<LocalEngine> {
  const engine = await LocalEngine.open({ home, allowPrivateNetwork: true, ...opts });
  engines.push(engine);
  return engine;
}

/** The server an http node calls: it answers with the `traceparent` it was sent. */
const received: (string | undefined)[] = [];
const server = createServer((req, res) => {
  const tp = req.headers.traceparent;
  received.push(typeof tp === 'string' ? tp : undefined);
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ greeting: 'hello', traceparent: tp ?? null }));
});
let url: string;

beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hello`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
});
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.close()));
  await tracing?.shutdown();
  tracing = undefined;
  received.length = 0;
  if (home) rmSync(home, { recursive: true, force: true });
});

function newHome(): string {
  home = mkdtempSync(join(tmpdir(), 'aob-trace-'));
  return home;
}

const hex = (n: number) => new RegExp(`^[0-9a-f]{${n}}$`);

/** The spans of one trace by name, and each one's parent. */
function shape(spans: readonly ReadableSpan[]) {
  const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
  const parentOf = (s: ReadableSpan) => byId.get(s.parentSpanContext?.spanId ?? '');
  const named = (name: string) => spans.filter((s) => s.name === name);
  const one = (name: string) => {
    const found = named(name);
    expect(
      found.map((s) => s.name),
      `one span ${name}`,
    ).toEqual([name]);
    return found[0]!;
  };
  return { byId, parentOf, named, one };
}

async function runStarted(engine: LocalEngine, runId: string): Promise<AnyRunEvent> {
  const [first] = await engine.control.events(runId);
  expect(first?.type).toBe('RunStarted');
  return first!;
}

const HTTP_THEN_TRANSFORM = {
  name: 'fetch-and-shape',
  version: '1',
  inputs: { type: 'object', properties: { url: { type: 'string' } } },
  nodes: [
    { id: 'fetch', type: 'http', with: { method: 'GET', url: '{% inputs.url %}' } },
    {
      id: 'shape',
      type: 'transform',
      with: { value: "{% nodes.fetch.output.body.greeting & '!' %}" },
    },
  ],
  edges: [{ from: 'fetch', to: 'shape' }],
  output: '{% nodes.shape.output %}',
};

describe('tracing on the local engine', () => {
  it('a run with an http node and a transform node is one trace: run → decision → node attempt → http', async () => {
    const tracing = await traced();
    expect(tracing.enabled).toBe(true);
    const engine = await open({ home: newHome(), store: 'memory' });
    const runId = await engine.control.start(HTTP_THEN_TRANSFORM, { url });
    const view = await engine.control.wait(runId);
    expect(view.status).toBe('completed');
    expect(view.output).toBe('hello!');
    await tracing.flush();

    // The trace context RunStarted records is the run's root span.
    const started = await runStarted(engine, runId);
    const root = parseTraceparent(started.traceparent);
    expect(root?.traceId).toMatch(hex(32));
    const spans = exporter.getFinishedSpans();
    const mine = spans.filter((s) => s.spanContext().traceId === root!.traceId);
    // Every span of the run is in its trace (a waiting span or two — wait spans — aside, none here).
    expect(mine.length).toBe(spans.length);
    const { parentOf, named, one } = shape(mine);

    const run = one('aob.run fetch-and-shape');
    expect(run.spanContext().spanId).toBe(root!.spanId);
    expect(run.parentSpanContext).toBeUndefined();
    expect(run.attributes).toMatchObject({
      'aob.run.id': runId,
      'aob.workflow.name': 'fetch-and-shape',
      'aob.workflow.version': '1',
    });

    // Decisions are children of the run, one per trigger, with the run id and the trigger's type.
    const decisions = mine.filter((s) => s.name.startsWith('aob.decide '));
    // start, then the http node's success: a node's start has no span (its attempt's covers it),
    // and the transform runs in the decision that schedules it (orchestrator/inline.ts).
    expect(decisions.length).toBe(2);
    expect(named('aob.decide nodeStarted')).toEqual([]);
    for (const d of decisions) {
      expect(parentOf(d), d.name).toBe(run);
      // The run's id is on its root span: the trace is the run.
      expect(d.attributes['aob.run.id']).toBeUndefined();
      expect(d.name).toBe(`aob.decide ${String(d.attributes['aob.trigger.type'])}`);
    }
    const start = one('aob.decide start');
    expect(String(start.attributes['aob.decide.events']).split(' ')).toEqual(
      expect.arrayContaining(['RunStarted', 'NodeScheduled']),
    );

    // The job: dispatched by the start decision, its attempt directly under that decision (a hop
    // on the in-process bus is a function call: no publish or process span), the http call under
    // the attempt.
    expect(named('publish aob.node.jobs.medium')).toEqual([]);
    expect(named('process aob.node.jobs.medium')).toEqual([]);
    const fetch = one('aob.node fetch');
    expect(fetch.attributes).toMatchObject({
      'aob.node.id': 'fetch',
      'aob.node.type': 'http',
      'aob.node.attempt': 1,
      'aob.node.outcome': 'succeeded',
    });
    expect(parentOf(fetch)).toBe(start);

    const get = one('GET');
    expect(get.kind).toBe(SpanKind.CLIENT);
    expect(parentOf(get)).toBe(fetch);
    expect(get.attributes).toMatchObject({
      'http.request.method': 'GET',
      'http.response.status_code': 200,
      'server.address': '127.0.0.1',
    });
    // The server called joined the trace: its parent is the client span.
    expect(received).toEqual([`00-${root!.traceId}-${get.spanContext().spanId}-01`]);

    const shapeNode = one('aob.node shape');
    expect(shapeNode.attributes).toMatchObject({
      'aob.node.type': 'transform',
      'aob.node.outcome': 'succeeded',
    });
    // Results come back over the in-process bus with no span either; each result's decision
    // links to the span that sent the job (the decision that dispatched it).
    expect(named('publish aob.node.results')).toEqual([]);
    expect(named('process aob.node.results')).toEqual([]);
    const succeeded = mine.find(
      (s) => s.name === 'aob.decide nodeSucceeded' && s.attributes['aob.node.id'] === 'fetch',
    )!;
    expect(succeeded.links.map((l) => l.context.spanId)).toEqual([start.spanContext().spanId]);
    // The transform's attempt is under the decision that scheduled and ran it.
    expect(parentOf(shapeNode)).toBe(succeeded);
    // Spans per run on the local engine: the run, its decisions, the attempts, the http call.
    expect(mine.length).toBe(1 + decisions.length + 2 + 1);
  });

  it('a run that waits on an approval and is resumed by another engine keeps its trace; the wait is a span', async () => {
    const tracing = await traced();
    newHome();
    const definition = {
      name: 'gated',
      version: '1',
      nodes: [
        { id: 'ask', type: 'approval', with: { approvers: ['managers'] } },
        { id: 'after', type: 'transform', with: { value: 'done' } },
      ],
      edges: [{ from: 'ask', to: 'after', on: 'approved' }],
      output: '{% nodes.after.output %}',
    };
    const first = await open();
    const runId = await first.control.start(definition, {});
    await first.control.wait(runId, { untilSettled: true });
    await first.close();
    exporter.reset();

    // A new engine, nothing in memory: the trace context comes from the log.
    const second = await open();
    const traceId = parseTraceparent((await runStarted(second, runId)).traceparent)!.traceId;
    const [ticket] = await second.control.approvals();
    await second.control.approve(ticket!.ticketId, 'approved', 'ada');
    expect((await second.control.wait(runId)).status).toBe('completed');
    await tracing.flush();

    const spans = exporter.getFinishedSpans();
    expect(spans.length).toBeGreaterThan(3);
    expect(new Set(spans.map((s) => s.spanContext().traceId))).toEqual(new Set([traceId]));
    const events = await second.control.events(runId);
    const requested = events.find((e) => e.type === 'ApprovalRequested')!;
    const decided = events.find((e) => e.type === 'ApprovalDecided')!;
    const wait = spans.find((s) => s.name === 'aob.wait approval')!;
    expect(wait.attributes).toMatchObject({
      'aob.run.id': runId,
      'aob.node.id': 'ask',
      'aob.ticket.id': ticket!.ticketId,
      'aob.approval.decision': 'approved',
      'aob.approval.decided_by': 'ada',
    });
    // From the request's time to the decision's, made once it ended.
    expect(wait.startTime[0] * 1000 + wait.startTime[1] / 1e6).toBeCloseTo(requested.at, -1);
    expect(wait.endTime[0] * 1000 + wait.endTime[1] / 1e6).toBeCloseTo(decided.at, -1);
    expect(spans.some((s) => s.name === 'aob.decide approve')).toBe(true);
    expect(spans.some((s) => s.name === 'aob.node after')).toBe(true);
  });

  it('a child run is in its parent run trace, under the subworkflow node; a replay links to its original', async () => {
    const tracing = await traced();
    const engine = await open({ home: newHome(), store: 'memory' });
    await engine.control.registerWorkflow({
      name: 'inner',
      version: '1',
      nodes: [{ id: 'hello', type: 'transform', with: { value: 'hi' } }],
      output: '{% nodes.hello.output %}',
    });
    const outer = {
      name: 'outer',
      version: '1',
      nodes: [
        { id: 'child', type: 'subworkflow', with: { workflow: 'inner@1' } },
        { id: 'after', type: 'transform', with: { value: '{% nodes.child.output %}' } },
      ],
      edges: [{ from: 'child', to: 'after' }],
      output: '{% nodes.after.output %}',
    };
    const runId = await engine.control.start(outer, {});
    expect((await engine.control.wait(runId)).output).toBe('hi');
    const parentTrace = parseTraceparent((await runStarted(engine, runId)).traceparent)!;
    const childRunId = await childOf(engine, runId);
    const childTrace = parseTraceparent((await runStarted(engine, childRunId)).traceparent)!;
    expect(childTrace.traceId).toBe(parentTrace.traceId);
    await tracing.flush();
    let spans = exporter.getFinishedSpans();
    const { parentOf } = shape(spans);
    const childRun = spans.find((s) => s.spanContext().spanId === childTrace.spanId)!;
    expect(childRun.name).toBe('aob.run inner');
    const node = parentOf(childRun)!;
    expect(node.name).toBe('aob.node child');
    expect(node.attributes).toMatchObject({ 'aob.node.type': 'subworkflow' });
    expect(spans.find((s) => s.name === 'aob.wait child')?.attributes).toMatchObject({
      'aob.child_run.id': childRunId,
    });

    exporter.reset();
    const replayId = await engine.control.replay(runId, 'after', 'live');
    expect((await engine.control.wait(replayId)).status).toBe('completed');
    await tracing.flush();
    spans = exporter.getFinishedSpans();
    const replayRoot = spans.find((s) => s.name === 'aob.run outer')!;
    expect(replayRoot.parentSpanContext).toBeUndefined();
    expect(replayRoot.spanContext().traceId).not.toBe(parentTrace.traceId);
    expect(replayRoot.attributes['aob.run.replay_of']).toBe(runId);
    expect(replayRoot.links.map((l) => l.context.traceId)).toEqual([parentTrace.traceId]);
  });

  it('a question to people is a wait span, from the question to its answer', async () => {
    const tracing = await traced();
    const engine = await open({ home: newHome(), store: 'memory' });
    const runId = await engine.control.start(
      {
        name: 'asking',
        version: '1',
        nodes: [{ id: 'size', type: 'ask', with: { question: 'How many?', choices: [2, 4] } }],
        output: '{% nodes.size.output.answer %}',
      },
      {},
    );
    await engine.control.wait(runId, { untilSettled: true });
    const [question] = await engine.control.questions({ runId });
    await engine.control.answer(question!.questionId, 4, 'ada');
    expect((await engine.control.wait(runId)).output).toBe(4);
    await tracing.flush();
    const wait = exporter.getFinishedSpans().find((s) => s.name === 'aob.wait question')!;
    expect(wait.attributes).toMatchObject({
      'aob.run.id': runId,
      'aob.node.id': 'size',
      'aob.question.id': question!.questionId,
      'aob.question.answered_by': 'ada',
      'aob.wait.timed_out': false,
    });
    const traceId = parseTraceparent((await runStarted(engine, runId)).traceparent)!.traceId;
    expect(wait.spanContext().traceId).toBe(traceId);
  });

  it('a retry backoff and a timer node are wait spans; a failed attempt carries its error code', async () => {
    const tracing = await traced();
    let calls = 0;
    const engine = await open({
      home: newHome(),
      store: 'memory',
      handlers: {
        flaky: async () => {
          calls++;
          if (calls === 1) throw Object.assign(new Error('the first try fails'), { code: 'FLAKY' });
          return calls;
        },
      },
    });
    const runId = await engine.control.start(
      {
        name: 'waits',
        version: '1',
        defaults: { retry: { maxAttempts: 2, initialMs: 30, multiplier: 1, maxMs: 30 } },
        nodes: [
          { id: 'flaky', type: 'task', with: { handler: 'flaky' } },
          { id: 'pause', type: 'timer', with: { durationMs: 40 } },
        ],
        edges: [{ from: 'flaky', to: 'pause' }],
      },
      {},
    );
    expect((await engine.control.wait(runId)).status).toBe('completed');
    await tracing.flush();
    const spans = exporter.getFinishedSpans();
    const attempts = spans.filter((s) => s.name === 'aob.node flaky');
    expect(
      attempts.map((s) => [s.attributes['aob.node.attempt'], s.attributes['aob.node.outcome']]),
    ).toEqual([
      [1, 'failed'],
      [2, 'succeeded'],
    ]);
    expect(attempts[0]!.attributes).toMatchObject({
      'aob.error.code': 'FLAKY',
      'error.type': 'FLAKY',
    });
    expect(attempts[0]!.status.code).toBe(SpanStatusCode.ERROR);
    const retry = spans.find((s) => s.name === 'aob.wait retry')!;
    expect(retry.attributes).toMatchObject({ 'aob.node.id': 'flaky', 'aob.node.attempt': 2 });
    const timer = spans.find((s) => s.name === 'aob.wait timer')!;
    expect(timer.attributes).toMatchObject({ 'aob.node.id': 'pause' });
    const ms = (t: [number, number]) => t[0] * 1000 + t[1] / 1e6;
    expect(ms(timer.endTime) - ms(timer.startTime)).toBeGreaterThanOrEqual(35);
    const traceIds = new Set(spans.map((s) => s.spanContext().traceId));
    expect(traceIds.size).toBe(1);
  });

  it('the run context (run, node, trace ids) is current inside an attempt where it is kept (services, aob dev)', async () => {
    const tracing = await traced();
    enableRunContext();
    let seen: ReturnType<typeof currentRunContext>;
    const engine = await open({
      home: newHome(),
      store: 'memory',
      handlers: {
        look: async () => {
          seen = currentRunContext();
          return 1;
        },
      },
    });
    const runId = await engine.control.start(
      { name: 'look', version: '1', nodes: [{ id: 'l', type: 'task', with: { handler: 'look' } }] },
      {},
    );
    await engine.control.wait(runId);
    await tracing.flush();
    const node = exporter.getFinishedSpans().find((s) => s.name === 'aob.node l')!;
    expect(seen).toEqual({
      runId,
      nodeId: 'l',
      nodeType: 'task',
      attempt: 1,
      traceId: node.spanContext().traceId,
      spanId: node.spanContext().spanId,
    });
  });

  it('with no exporter configured nothing is started, and a run still records a trace context (not sampled)', async () => {
    exporter = new InMemorySpanExporter();
    for (const env of [{}, { OTEL_TRACES_EXPORTER: 'none' }, { OTEL_TRACES_EXPORTER: '' }]) {
      expect((await startTracing(env)).enabled).toBe(false);
    }
    const probe = trace.getTracer('probe').startSpan('probe');
    expect(probe.isRecording()).toBe(false);
    probe.end();
    const engine = await open({ home: newHome(), store: 'memory' });
    const runId = await engine.control.start(HTTP_THEN_TRANSFORM, { url });
    expect((await engine.control.wait(runId)).status).toBe('completed');
    const root = parseTraceparent((await runStarted(engine, runId)).traceparent);
    expect(root?.traceId).toMatch(hex(32));
    expect(root?.traceFlags).toBe(0);
    // No SDK, no propagator: the server called gets no header.
    expect(received).toEqual([undefined]);
    expect(exporter.getFinishedSpans()).toEqual([]);
  });
});

async function childOf(engine: LocalEngine, runId: string): Promise<string> {
  const events = await engine.control.events(runId);
  const e = events.find((x) => x.type === 'ChildRunStarted');
  return (e as { data: { childRunId: string } }).data.childRunId;
}

describe('exporters from the variables', () => {
  it.each(['http/json', 'http/protobuf'])(
    'otlp over %s posts the spans to <OTEL_EXPORTER_OTLP_ENDPOINT>/v1/traces',
    async (protocol) => {
      const posts: { path: string; type: string; body: Buffer }[] = [];
      const collector = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          posts.push({
            path: req.url ?? '',
            type: String(req.headers['content-type']),
            body: Buffer.concat(chunks),
          });
          res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        });
      });
      await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
      try {
        tracing = await startTracing(
          {
            OTEL_TRACES_EXPORTER: 'otlp',
            OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(collector.address() as AddressInfo).port}`,
            OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
            OTEL_SERVICE_NAME: 'aob-otlp-test',
          },
          { serviceName: 'unused' },
        );
        trace.getTracer('probe').startSpan('probe span').end();
        await tracing.flush();
        expect(posts.map((p) => p.path)).toEqual(['/v1/traces']);
        const body = posts[0]!.body;
        if (protocol === 'http/json') {
          expect(posts[0]!.type).toContain('application/json');
          const doc = JSON.parse(body.toString('utf8')) as {
            resourceSpans: {
              resource: { attributes: { key: string; value: { stringValue?: string } }[] };
              scopeSpans: { spans: { name: string }[] }[];
            }[];
          };
          const [rs] = doc.resourceSpans;
          expect(rs!.scopeSpans[0]!.spans.map((x) => x.name)).toEqual(['probe span']);
          expect(rs!.resource.attributes).toContainEqual({
            key: 'service.name',
            value: { stringValue: 'aob-otlp-test' },
          });
        } else {
          expect(posts[0]!.type).toContain('application/x-protobuf');
          expect(body.includes(Buffer.from('probe span'))).toBe(true);
          expect(body.includes(Buffer.from('aob-otlp-test'))).toBe(true);
        }
      } finally {
        await tracing?.shutdown();
        tracing = undefined;
        await new Promise((r) => collector.close(r));
      }
    },
  );
});

describe('the OpenTelemetry variables', () => {
  it('are read with their defaults', () => {
    const problems: never[] = [];
    expect(telemetryConfig({}, problems)).toEqual({
      exporters: [],
      otlp: { tracesUrl: 'http://localhost:4318/v1/traces', protocol: 'http/protobuf' },
      zipkin: { url: 'http://localhost:9411/api/v2/spans' },
      sampler: { name: 'parentbased_always_on', ratio: 1 },
    });
    expect(
      telemetryConfigOrThrow({
        OTEL_TRACES_EXPORTER: 'otlp,zipkin',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_EXPORTER_ZIPKIN_ENDPOINT: 'http://zipkin:9411/api/v2/spans',
        OTEL_SERVICE_NAME: 'aob-runner',
        OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '0.25',
      }),
    ).toEqual({
      exporters: ['otlp', 'zipkin'],
      serviceName: 'aob-runner',
      otlp: { tracesUrl: 'http://collector:4318/v1/traces', protocol: 'http/json' },
      zipkin: { url: 'http://zipkin:9411/api/v2/spans' },
      sampler: { name: 'parentbased_traceidratio', ratio: 0.25 },
    });
  });

  it('refuses bad values with BAD_CONFIG, naming every variable', async () => {
    const env = {
      OTEL_TRACES_EXPORTER: 'jaeger',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_EXPORTER_ZIPKIN_ENDPOINT: 'ftp://zipkin',
      OTEL_TRACES_SAMPLER: 'sometimes',
      OTEL_TRACES_SAMPLER_ARG: '2',
    };
    let thrown: unknown;
    try {
      telemetryConfigOrThrow(env);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toMatchObject({ code: 'BAD_CONFIG' });
    const problems = (thrown as { details: { problems: { path: string }[] } }).details.problems;
    expect(problems.map((p) => p.path)).toEqual(Object.keys(env).map((name) => `/env/${name}`));
    await expect(startTracing(env)).rejects.toMatchObject({ code: 'BAD_CONFIG' });
    expect(() => telemetryConfigOrThrow({ OTEL_TRACES_EXPORTER: 'none,otlp' })).toThrow(
      /OTEL_TRACES_EXPORTER cannot name none/,
    );
  });
});
