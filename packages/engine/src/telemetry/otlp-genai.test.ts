// LLM and agent spans over real OTLP/HTTP: tracing started from the OTEL_* variables as a
// composition root starts it (OTEL_TRACES_EXPORTER=otlp, the real exporters of
// OTEL_EXPORTER_OTLP_PROTOCOL), a local run with an llm node and an agent node on each framework
// against the OpenAI-compatible fake, and a receiver that decodes what the exporters send
// (testing/otlp-receiver.ts: protobuf with the official protos, or OTLP/JSON): the LLM spans and
// the agents' tool-call spans arrive with their GenAI attributes, in the run's one trace.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalEngine } from '../local/local-engine.js';
import { GENAI_REPLIES, GENAI_WORKFLOW } from '../testing/genai-workflow.js';
import { startOpenAIFake } from '../testing/openai-fake.js';
import type { OpenAIFake } from '../testing/openai-fake.js';
import { OtlpSpanKind, OtlpStatusCode, startOtlpReceiver } from '../testing/otlp-receiver.js';
import type { OtlpReceiver, ReceivedSpan } from '../testing/otlp-receiver.js';
import type { Tracing } from './setup.js';
import { startTracing } from './setup.js';

let receiver: OtlpReceiver;
let fake: OpenAIFake;
let tracing: Tracing | undefined;
let engine: LocalEngine | undefined;

beforeEach(async () => {
  receiver = await startOtlpReceiver();
  fake = await startOpenAIFake();
});
afterEach(async () => {
  await engine?.close();
  engine = undefined;
  await tracing?.shutdown();
  tracing = undefined;
  await fake.close();
  await receiver.close();
});

describe.each(['http/protobuf', 'http/json'] as const)('OTLP over %s', (protocol) => {
  it('the receiver decodes the llm node’s chat span and each agent’s chat and execute_tool spans, with their GenAI attributes', async () => {
    fake.script(...GENAI_REPLIES);
    tracing = await startTracing({
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
      OTEL_SERVICE_NAME: 'aob-genai-otlp',
    });
    engine = await LocalEngine.open({ store: 'memory', llm: { baseUrl: fake.baseURL } });
    const runId = await engine.control.start(GENAI_WORKFLOW, {});
    const view = await engine.control.wait(runId);
    expect(view.status, JSON.stringify(view.error)).toBe('completed');
    await tracing.flush();
    const spans = await receiver.waitFor((all) =>
      all.some((s) => s.name === 'aob.node with_graph'),
    );

    // Every request came in the configured encoding and decoded.
    expect(receiver.rejected).toEqual([]);
    expect(receiver.exports.length).toBeGreaterThan(0);
    for (const e of receiver.exports) {
      expect(e.protocol).toBe(protocol);
      expect(e.path).toBe('/v1/traces');
    }
    expect(new Set(spans.map((s) => s.traceId)).size).toBe(1);
    for (const s of spans) expect(s.resource['service.name']).toBe('aob-genai-otlp');
    expect(spans.every((s) => /^[0-9a-f]{32}$/.test(s.traceId))).toBe(true);

    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const parentOf = (s: ReceivedSpan) => byId.get(s.parentSpanId ?? '');
    const one = (name: string) => {
      const found = spans.filter((s) => s.name === name);
      expect(found.map((s) => s.name)).toEqual([name]);
      return found[0]!;
    };
    const port = Number(new URL(fake.baseURL).port);

    // The llm node: one chat span under its attempt.
    const chats = spans
      .filter((s) => s.name === 'chat gpt-test')
      .sort((a, b) =>
        String(a.attributes['gen_ai.response.id']).localeCompare(
          String(b.attributes['gen_ai.response.id']),
        ),
      );
    expect(chats.map((c) => parentOf(c)?.name)).toEqual([
      'aob.node summarise',
      'invoke_agent with_sdk',
      'invoke_agent with_sdk',
      'invoke_agent with_graph',
      'invoke_agent with_graph',
    ]);
    for (const c of chats) {
      expect(c.kind).toBe(OtlpSpanKind.CLIENT);
      expect(c.scope.name).toBe('aob');
      expect(c.attributes).toMatchObject({
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-test',
        'gen_ai.response.model': 'gpt-test',
        'server.address': '127.0.0.1',
        'server.port': port,
      });
      expect(c.attributes['gen_ai.input.messages']).toBeUndefined();
    }
    expect(
      chats.map((c) => [
        c.attributes['gen_ai.usage.input_tokens'],
        c.attributes['gen_ai.usage.output_tokens'],
        c.attributes['gen_ai.response.finish_reasons'],
      ]),
    ).toEqual([
      [7, 2, ['stop']],
      [11, 3, ['tool_calls']],
      [13, 1, ['stop']],
      [17, 3, ['tool_calls']],
      [19, 2, ['stop']],
    ]);

    // Each agent's tool call: an execute_tool span under its invoke_agent, under its attempt.
    for (const [node, callId] of [
      ['with_sdk', 'call_sdk'],
      ['with_graph', 'call_graph'],
    ] as const) {
      const invoke = one(`invoke_agent ${node}`);
      expect(parentOf(invoke)?.name).toBe(`aob.node ${node}`);
      expect(invoke.attributes).toMatchObject({
        'gen_ai.operation.name': 'invoke_agent',
        'gen_ai.agent.name': node,
      });
      const tool = spans.find((s) => s.name === 'execute_tool get_graph' && parentOf(s) === invoke);
      expect(tool?.attributes).toEqual({
        'gen_ai.operation.name': 'execute_tool',
        'gen_ai.tool.name': 'get_graph',
        'gen_ai.tool.type': 'function',
        'gen_ai.tool.call.id': callId,
      });
      expect(tool?.kind).toBe(OtlpSpanKind.INTERNAL);
      expect(tool?.status.code).not.toBe(OtlpStatusCode.ERROR);
    }
  });
});
