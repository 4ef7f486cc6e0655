// An outside agent's trace goes on into aob: a tools/call carrying `_meta.traceparent` gets a
// server span `tools/call <tool>` in that trace, under the caller's span; a refusal marks it as an
// error with the refusal's code. The SDK is set up here as a composition root would.
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ApiHarness } from '../http/test-support.js';
import { startApiHarness } from '../http/test-support.js';

const exporter = new InMemorySpanExporter();
let api: ApiHarness;
let client: Client;

beforeAll(async () => {
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  api = await startApiHarness();
  client = new Client({ name: 'traced-agent', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${api.url}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${await api.token('viewer')}` } },
    }),
  );
});

afterAll(async () => {
  await client.close();
  await api.close();
  trace.disable();
  context.disable();
  propagation.disable();
});

it('continues the caller’s trace from _meta.traceparent', async () => {
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const callerSpan = '00f067aa0ba902b7';
  await client.callTool({
    name: 'run_list',
    arguments: {},
    _meta: { traceparent: `00-${traceId}-${callerSpan}-01` },
  });
  await client.callTool({
    name: 'run_get',
    arguments: { runId: 'run_nope' },
    _meta: { traceparent: `00-${traceId}-${callerSpan}-01` },
  });
  const spans = exporter.getFinishedSpans().filter((s) => s.name.startsWith('tools/call'));
  expect(spans.map((s) => s.name)).toEqual(['tools/call run_list', 'tools/call run_get']);
  for (const s of spans) {
    expect(s.spanContext().traceId).toBe(traceId);
    expect(s.parentSpanContext?.spanId).toBe(callerSpan);
    expect(s.attributes).toMatchObject({
      'mcp.method.name': 'tools/call',
      'gen_ai.operation.name': 'execute_tool',
    });
    expect(s.attributes['mcp.session.id']).toBeTruthy();
  }
  expect(spans[0]!.status.code).toBe(0);
  expect(spans[1]!.status).toMatchObject({ code: 2, message: 'RUN_NOT_FOUND' });
});

it('puts a run an outside agent starts in the agent’s trace', async () => {
  const operator = new Client({ name: 'traced-operator', version: '1.0.0' });
  await operator.connect(
    new StreamableHTTPClientTransport(new URL(`${api.url}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${await api.token('operator')}` } },
    }),
  );
  const traceId = '0af7651916cd43dd8448eb211c80319c';
  const started = await operator.callTool({
    name: 'run_start',
    arguments: {
      definition: {
        name: 'traced',
        version: '1',
        nodes: [{ id: 'a', type: 'transform', with: { value: 1 } }],
      },
    },
    _meta: { traceparent: `00-${traceId}-b7ad6b7169203331-01` },
  });
  const { runId } = started.structuredContent as { runId: string };
  const events = await api.engine.control.events(runId);
  expect(events[0]!.type).toBe('RunStarted');
  expect(events[0]!.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
  await operator.close();
});

it('starts a trace of its own when the caller sends none', async () => {
  exporter.reset();
  await client.callTool({ name: 'run_list', arguments: {} });
  const [span] = exporter.getFinishedSpans().filter((s) => s.name === 'tools/call run_list');
  expect(span!.parentSpanContext).toBeUndefined();
  expect(span!.spanContext().traceId).toMatch(/^[0-9a-f]{32}$/);
});
