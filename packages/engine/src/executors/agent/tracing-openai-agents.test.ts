// The OpenAI Agents SDK's spans as the bridge turns them into OTel spans, for what aob's own agent
// never does (the agent runs end to end in telemetry/genai.test.ts): a handoff between agents, a
// model call that fails, and an SDK trace started without aob's scope, which is none of aob's.
import { SpanStatusCode, context, trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type * as Sdk from '@openai/agents';
import { keepContextAcrossAwaits } from '../../telemetry/context-manager.js';
import { startTracing } from '../../telemetry/setup.js';
import type { Tracing } from '../../telemetry/setup.js';
import { tracer } from '../../telemetry/trace.js';
import { withoutNewProcessListeners } from './quiet-tracing.js';
import { OtelTracingProcessor, withAgentScope } from './tracing-openai-agents.js';
import type { AgentTraceScope } from './tracing-openai-agents.js';

let exporter: InMemorySpanExporter;
let tracing: Tracing;
let sdk: typeof Sdk;
const bridge = new OtelTracingProcessor();

beforeAll(async () => {
  exporter = new InMemorySpanExporter();
  tracing = await startTracing({}, { exporter });
  // As the agent executor does: the SDK's spans find their parent in the active context.
  keepContextAcrossAwaits();
  sdk = await withoutNewProcessListeners(() => import('@openai/agents'));
  sdk.setTraceProcessors([bridge]);
  sdk.setTracingDisabled(false);
});
afterAll(async () => {
  sdk.setTraceProcessors([]);
  await tracing.shutdown();
});

const scope = (): AgentTraceScope => ({
  agentName: 'planner',
  sdkAgentName: 'aob-agent',
  model: 'gpt-test',
  server: { address: 'llm.example', port: 443 },
  capture: false,
});

it('maps agents, a handoff and a failed model call under the span the run began in', async () => {
  exporter.reset();
  const node = tracer().startSpan('aob.node planner');
  const ctx = withAgentScope(trace.setSpan(context.active(), node), scope());
  await context.with(ctx, () =>
    sdk.withTrace('aob agent planner', () =>
      sdk.withAgentSpan(
        async (agent) => {
          await sdk.withHandoffSpan(async () => undefined, {
            data: { from_agent: 'aob-agent', to_agent: 'billing' },
          });
          await sdk.withAgentSpan(
            async () => {
              await sdk
                .withGenerationSpan(
                  async () => {
                    throw new Error('connection reset');
                  },
                  { data: { model: 'gpt-test' } },
                )
                .catch(() => undefined);
            },
            { data: { name: 'billing' } },
            agent,
          );
        },
        { data: { name: 'aob-agent' } },
      ),
    ),
  );
  node.end();
  await tracing.flush();
  const spans = exporter.getFinishedSpans();
  const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
  const parent = (name: string) =>
    byId.get(spans.find((s) => s.name === name)?.parentSpanContext?.spanId ?? '')?.name;

  expect(spans.map((s) => s.name).sort()).toEqual(
    [
      'aob.node planner',
      'invoke_agent planner',
      'handoff billing',
      'invoke_agent billing',
      'chat gpt-test',
    ].sort(),
  );
  expect(parent('invoke_agent planner')).toBe('aob.node planner');
  expect(parent('handoff billing')).toBe('invoke_agent planner');
  expect(parent('invoke_agent billing')).toBe('invoke_agent planner');
  expect(parent('chat gpt-test')).toBe('invoke_agent billing');
  const handoff = spans.find((s) => s.name === 'handoff billing')!;
  expect(handoff.attributes).toEqual({
    'aob.agent.handoff.from': 'aob-agent',
    'aob.agent.handoff.to': 'billing',
  });
  const billing = spans.find((s) => s.name === 'invoke_agent billing')!;
  expect(billing.attributes['gen_ai.agent.name']).toBe('billing');
  const chat = spans.find((s) => s.name === 'chat gpt-test')!;
  expect(chat.attributes).toMatchObject({
    'gen_ai.operation.name': 'chat',
    'server.address': 'llm.example',
    'error.type': '_OTHER',
  });
  expect(chat.status).toEqual({ code: SpanStatusCode.ERROR, message: 'connection reset' });
});

it('makes no span for an SDK trace that was not started in an agent run’s scope', async () => {
  exporter.reset();
  await sdk.withTrace('elsewhere', () =>
    sdk.withAgentSpan(async () => undefined, { data: { name: 'other' } }),
  );
  await tracing.flush();
  expect(exporter.getFinishedSpans()).toEqual([]);
});
