// LLM and agent spans from the real `aob` binary to an OTLP receiver: `aob run start` of a
// workflow with an llm node and an agent node on each framework (the OpenAI-compatible fake as the
// model), with OTEL_TRACES_EXPORTER=otlp, OTEL_EXPORTER_OTLP_ENDPOINT at the receiver and
// OTEL_EXPORTER_OTLP_PROTOCOL http/protobuf, then http/json. The receiver
// (packages/engine/src/testing/otlp-receiver.ts) decodes what the process's exporters send — the
// protobuf with the official protos — and gets the run's one trace: the llm node's chat span and
// each agent's invoke_agent, chat and execute_tool spans with their GenAI attributes; with
// OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true, the messages and tool arguments too.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GENAI_REPLIES, GENAI_WORKFLOW } from '../../packages/engine/src/testing/genai-workflow.js';
import { startOpenAIFake } from '../../packages/engine/src/testing/openai-fake.js';
import type { OpenAIFake } from '../../packages/engine/src/testing/openai-fake.js';
import {
  OtlpSpanKind,
  startOtlpReceiver,
} from '../../packages/engine/src/testing/otlp-receiver.js';
import type {
  OtlpReceiver,
  ReceivedSpan,
} from '../../packages/engine/src/testing/otlp-receiver.js';
import { aob, json, tempHome } from './helpers.js';

let home: string;
let cleanup: () => void;
let fake: OpenAIFake;
let receiver: OtlpReceiver;

beforeEach(async () => {
  ({ home, cleanup } = tempHome());
  fake = await startOpenAIFake();
  receiver = await startOtlpReceiver();
});
afterEach(async () => {
  await receiver.close();
  await fake.close();
  cleanup();
});

/** A Langfuse project's `public key:secret key`, base64-encoded. */
const LANGFUSE_AUTH = Buffer.from('pk-lf-test:sk-lf-test').toString('base64');

describe.each([
  ['http/protobuf', false],
  ['http/json', true],
] as const)('aob run start exporting over OTLP %s (content capture %s)', (protocol, capture) => {
  it('sends the llm and agent spans with their GenAI attributes to the receiver', async () => {
    fake.script(...GENAI_REPLIES);
    const file = join(home, 'workflow.json');
    writeFileSync(file, JSON.stringify(GENAI_WORKFLOW));
    const r = await aob(['run', 'start', file, '--json'], {
      AOB_HOME: home,
      AOB_LLM_BASE_URL: fake.baseURL,
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
      OTEL_SERVICE_NAME: 'aob-e2e-genai',
      // As Langfuse's OTLP endpoint wants it (README, "LLM and agent spans").
      OTEL_EXPORTER_OTLP_HEADERS: `Authorization=Basic ${LANGFUSE_AUTH}`,
      ...(capture ? { OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'true' } : {}),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(json<{ status: string }>(r).status).toBe('completed');

    // The process exported its last spans before it ended.
    const spans = await receiver.waitFor((all) =>
      all.some((s) => s.name === 'invoke_agent with_graph'),
    );
    expect(receiver.rejected).toEqual([]);
    expect(receiver.exports.map((e) => e.protocol)).toEqual(receiver.exports.map(() => protocol));
    for (const e of receiver.exports) {
      expect(e.headers.authorization).toBe(`Basic ${LANGFUSE_AUTH}`);
    }
    expect(new Set(spans.map((s) => s.traceId)).size).toBe(1);
    expect(new Set(spans.map((s) => s.resource['service.name']))).toEqual(
      new Set(['aob-e2e-genai']),
    );
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const parentOf = (s: ReceivedSpan) => byId.get(s.parentSpanId ?? '');

    const chats = spans
      .filter((s) => s.name === 'chat gpt-test')
      .sort((a, b) =>
        String(a.attributes['gen_ai.response.id']).localeCompare(
          String(b.attributes['gen_ai.response.id']),
        ),
      );
    expect(
      chats.map((c) => [
        parentOf(c)?.name,
        c.kind,
        c.attributes['gen_ai.operation.name'],
        c.attributes['gen_ai.provider.name'],
        c.attributes['gen_ai.request.model'],
        c.attributes['gen_ai.usage.input_tokens'],
        c.attributes['gen_ai.usage.output_tokens'],
        c.attributes['gen_ai.response.finish_reasons'],
      ]),
    ).toEqual([
      ['aob.node summarise', OtlpSpanKind.CLIENT, 'chat', 'openai', 'gpt-test', 7, 2, ['stop']],
      [
        'invoke_agent with_sdk',
        OtlpSpanKind.CLIENT,
        'chat',
        'openai',
        'gpt-test',
        11,
        3,
        ['tool_calls'],
      ],
      ['invoke_agent with_sdk', OtlpSpanKind.CLIENT, 'chat', 'openai', 'gpt-test', 13, 1, ['stop']],
      [
        'invoke_agent with_graph',
        OtlpSpanKind.CLIENT,
        'chat',
        'openai',
        'gpt-test',
        17,
        3,
        ['tool_calls'],
      ],
      [
        'invoke_agent with_graph',
        OtlpSpanKind.CLIENT,
        'chat',
        'openai',
        'gpt-test',
        19,
        2,
        ['stop'],
      ],
    ]);

    const tools = spans.filter((s) => s.name === 'execute_tool get_graph');
    expect(
      tools
        .map((t) => [
          parentOf(t)?.name,
          t.attributes['gen_ai.tool.name'],
          t.attributes['gen_ai.tool.type'],
          t.attributes['gen_ai.tool.call.id'],
        ])
        .sort(),
    ).toEqual([
      ['invoke_agent with_graph', 'get_graph', 'function', 'call_graph'],
      ['invoke_agent with_sdk', 'get_graph', 'function', 'call_sdk'],
    ]);
    for (const node of ['with_sdk', 'with_graph']) {
      const invoke = spans.find((s) => s.name === `invoke_agent ${node}`)!;
      expect(parentOf(invoke)?.name).toBe(`aob.node ${node}`);
    }

    if (capture) {
      const summary = JSON.parse(String(chats[0]!.attributes['gen_ai.output.messages'])) as unknown;
      expect(summary).toEqual([
        {
          role: 'assistant',
          parts: [{ type: 'text', content: 'A summary.' }],
          finish_reason: 'stop',
        },
      ]);
      for (const c of chats) expect(typeof c.attributes['gen_ai.input.messages']).toBe('string');
      for (const t of tools) expect(t.attributes['gen_ai.tool.call.arguments']).toBe('{}');
      for (const t of tools) {
        expect(JSON.parse(String(t.attributes['gen_ai.tool.call.result']))).toMatchObject({
          nodes: { summarise: { status: 'succeeded' } },
        });
      }
    } else {
      for (const s of spans) {
        expect(s.attributes['gen_ai.input.messages']).toBeUndefined();
        expect(s.attributes['gen_ai.output.messages']).toBeUndefined();
        expect(s.attributes['gen_ai.tool.call.arguments']).toBeUndefined();
        expect(s.attributes['gen_ai.tool.call.result']).toBeUndefined();
      }
    }
  });
});
