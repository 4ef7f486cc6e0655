// LLM and agent spans (ARCHITECTURE §10) on the local engine, with the SDK set up as a composition
// root sets it up (startTracing) and an in-memory exporter, against the OpenAI-compatible fake:
// an llm node's `chat <model>` span, and an agent's `invoke_agent` → `chat` / `execute_tool`
// spans on both frameworks (their own tracing bridged under the node's span), with the GenAI
// attributes and tokens; the spans a tool makes nest under its `execute_tool`; patch proposals
// and verdicts are span events where they happen; prompts, completions, tool arguments and
// results are on the spans only with content capture on.
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WorkflowDefinition } from '@aob/core';
import { LocalEngine } from '../local/local-engine.js';
import { startOpenAIFake } from '../testing/openai-fake.js';
import type { OpenAIFake } from '../testing/openai-fake.js';
import type { Tracing } from './setup.js';
import { startTracing } from './setup.js';
import { llmFromEnv } from '../env-settings.js';

let exporter: InMemorySpanExporter;
let tracing: Tracing | undefined;
let fake: OpenAIFake;
let engine: LocalEngine | undefined;

beforeEach(async () => {
  exporter = new InMemorySpanExporter();
  tracing = await startTracing({}, { exporter, serviceName: 'aob-genai-test' });
  // The provider names a dated model: the response model differs from the one asked for.
  fake = await startOpenAIFake({ model: 'gpt-4o-mini-2024-07-18' });
});
afterEach(async () => {
  await engine?.close();
  engine = undefined;
  await tracing?.shutdown();
  tracing = undefined;
  await fake.close();
});

async function open(captureContent: boolean): Promise<LocalEngine> {
  engine = await LocalEngine.open({
    store: 'memory',
    // An agent's http tool calls the fake (on 127.0.0.1).
    allowPrivateNetwork: true,
    llm: {
      baseUrl: fake.baseURL,
      models: { fast: 'gpt-4o-mini' },
      ...(captureContent ? { captureContent: true } : {}),
    },
  });
  return engine;
}

async function finished(runId: string): Promise<ReadableSpan[]> {
  const view = await engine!.control.wait(runId);
  expect(view.status, JSON.stringify(view.error)).toBe('completed');
  await tracing!.flush();
  return exporter.getFinishedSpans();
}

/** The spans by name, and each one's parent. */
function shape(spans: readonly ReadableSpan[]) {
  const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
  const parentOf = (s: ReadableSpan) => byId.get(s.parentSpanContext?.spanId ?? '');
  const named = (name: string) => spans.filter((s) => s.name === name);
  const one = (name: string) => {
    const found = named(name);
    expect(
      found.map((s) => s.name),
      `one span ${name} among ${spans.map((s) => s.name).join(', ')}`,
    ).toEqual([name]);
    return found[0]!;
  };
  return { parentOf, named, one };
}

const CONTENT_ATTRIBUTES = [
  'gen_ai.input.messages',
  'gen_ai.output.messages',
  'gen_ai.system_instructions',
  'gen_ai.tool.call.arguments',
  'gen_ai.tool.call.result',
];
function expectNoContent(spans: readonly ReadableSpan[]): void {
  for (const s of spans) {
    for (const a of CONTENT_ATTRIBUTES) expect(s.attributes[a], `${s.name} ${a}`).toBeUndefined();
  }
}
const json = (s: ReadableSpan, attribute: string): unknown =>
  JSON.parse(String(s.attributes[attribute]));

const LLM: WorkflowDefinition = {
  name: 'summary',
  version: '1',
  nodes: [
    {
      id: 'summarise',
      type: 'llm',
      with: {
        model: 'fast',
        system: 'Be brief.',
        prompt: 'Summarise the ticket.',
        temperature: 0.2,
        maxTokens: 64,
      },
    },
  ],
  edges: [],
  output: '{% nodes.summarise.output.content %}',
} as WorkflowDefinition;

describe('an llm node', () => {
  it('is a chat span under its node span: model asked and answering, tokens, id, finish reason, server; no content', async () => {
    fake.script({ content: 'A short summary.', usage: { promptTokens: 12, completionTokens: 4 } });
    await open(false);
    const runId = await engine!.control.start(LLM, {});
    const spans = await finished(runId);
    const { parentOf, one } = shape(spans);

    const chat = one('chat gpt-4o-mini');
    expect(chat.kind).toBe(SpanKind.CLIENT);
    expect(parentOf(chat)?.name).toBe('aob.node summarise');
    const port = Number(new URL(fake.baseURL).port);
    expect(chat.attributes).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.system': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.request.temperature': 0.2,
      'gen_ai.request.max_tokens': 64,
      'gen_ai.request.stream': true,
      'gen_ai.output.type': 'text',
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'gen_ai.response.id': 'chatcmpl-fake-1',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 12,
      'gen_ai.usage.output_tokens': 4,
      'server.address': '127.0.0.1',
      'server.port': port,
    });
    expect(chat.status.code).not.toBe(SpanStatusCode.ERROR);
    expectNoContent(spans);
  });

  it('with content capture, carries the prompt and the completion as the conventions’ messages', async () => {
    fake.script({ content: 'A short summary.', usage: { promptTokens: 12, completionTokens: 4 } });
    await open(true);
    const runId = await engine!.control.start(LLM, {});
    const chat = shape(await finished(runId)).one('chat gpt-4o-mini');
    expect(json(chat, 'gen_ai.input.messages')).toEqual([
      { role: 'system', parts: [{ type: 'text', content: 'Be brief.' }] },
      { role: 'user', parts: [{ type: 'text', content: 'Summarise the ticket.' }] },
    ]);
    expect(json(chat, 'gen_ai.output.messages')).toEqual([
      {
        role: 'assistant',
        parts: [{ type: 'text', content: 'A short summary.' }],
        finish_reason: 'stop',
      },
    ]);
  });

  it('a call the endpoint refuses is a failed chat span with the error code', async () => {
    fake.script({ status: 400, message: 'bad model' });
    await open(false);
    const runId = await engine!.control.start(LLM, {});
    const view = await engine!.control.wait(runId);
    expect(view.status).toBe('failed');
    await tracing!.flush();
    const chat = shape(exporter.getFinishedSpans()).one('chat gpt-4o-mini');
    expect(chat.status.code).toBe(SpanStatusCode.ERROR);
    expect(chat.attributes['error.type']).toBe('LLM_REQUEST_REJECTED');
    expect(chat.attributes['gen_ai.usage.input_tokens']).toBeUndefined();
  });
});

// The agent runs before `b`; it reads the graph, calls the fake over its http tool, and adds `c`
// after `b`.
const agentWorkflow = (framework: string): WorkflowDefinition =>
  ({
    name: 'triage',
    version: '1',
    nodes: [
      {
        id: 'planner',
        type: 'agent',
        with: {
          framework,
          model: 'fast',
          instructions: 'You plan.',
          prompt: 'Add a notify step.',
          tools: ['http'],
        },
      },
      { id: 'b', type: 'transform', with: { value: 'b' } },
    ],
    edges: [{ from: 'planner', to: 'b' }],
    output: '{% nodes.b.output %}',
  }) as WorkflowDefinition;

const ADD_C = [
  { op: 'add', path: '/nodes/-', value: { id: 'c', type: 'transform', with: { value: 'c' } } },
  { op: 'add', path: '/edges/-', value: { from: 'b', to: 'c' } },
];

function scriptAgent(): void {
  fake.script(
    {
      toolCalls: [{ id: 'call_graph', name: 'get_graph', arguments: {} }],
      usage: { promptTokens: 10, completionTokens: 2 },
    },
    {
      toolCalls: [{ id: 'call_http', name: 'http', arguments: { url: `${fake.baseURL}/models` } }],
      usage: { promptTokens: 20, completionTokens: 3 },
    },
    {
      toolCalls: [
        {
          id: 'call_patch',
          name: 'propose_patch',
          arguments: { ops: ADD_C, rationale: 'notify' },
        },
      ],
      usage: { promptTokens: 30, completionTokens: 5 },
    },
    { content: 'Added c after b.', usage: { promptTokens: 40, completionTokens: 4 } },
  );
}

describe.each(['openai-agents', 'langgraph'])('an agent node on %s', (framework) => {
  it('is invoke_agent → chat per model call and execute_tool per tool call under its node span, with GenAI attributes, tokens and the patch events; no content', async () => {
    scriptAgent();
    await open(false);
    const runId = await engine!.control.start(agentWorkflow(framework), {});
    const spans = await finished(runId);
    const { parentOf, named, one } = shape(spans);
    const port = Number(new URL(fake.baseURL).port);

    // Every span of the run is in one trace.
    expect(new Set(spans.map((s) => s.spanContext().traceId)).size).toBe(1);

    const agent = one('invoke_agent planner');
    expect(parentOf(agent)?.name).toBe('aob.node planner');
    expect(agent.attributes).toMatchObject({
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.name': 'planner',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'aob.agent.framework': framework,
      'server.address': '127.0.0.1',
    });

    // One chat span per model call, in order, each with its tokens, id and finish reason.
    const chats = named('chat gpt-4o-mini').sort((x, y) =>
      String(x.attributes['gen_ai.response.id']).localeCompare(
        String(y.attributes['gen_ai.response.id']),
      ),
    );
    expect(chats.map((c) => c.attributes['gen_ai.response.id'])).toEqual([
      'chatcmpl-fake-1',
      'chatcmpl-fake-2',
      'chatcmpl-fake-3',
      'chatcmpl-fake-4',
    ]);
    expect(
      chats.map((c) => [
        c.attributes['gen_ai.usage.input_tokens'],
        c.attributes['gen_ai.usage.output_tokens'],
      ]),
    ).toEqual([
      [10, 2],
      [20, 3],
      [30, 5],
      [40, 4],
    ]);
    expect(chats.map((c) => c.attributes['gen_ai.response.finish_reasons'])).toEqual([
      ['tool_calls'],
      ['tool_calls'],
      ['tool_calls'],
      ['stop'],
    ]);
    for (const c of chats) {
      expect(c.kind).toBe(SpanKind.CLIENT);
      expect(parentOf(c)).toBe(agent);
      expect(c.attributes).toMatchObject({
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
        'server.address': '127.0.0.1',
        'server.port': port,
      });
    }

    // One execute_tool span per tool call, with the model's call id.
    const tools = ['get_graph', 'http', 'propose_patch'].map((t) => one(`execute_tool ${t}`));
    expect(tools.map((t) => t.attributes)).toEqual([
      expect.objectContaining({
        'gen_ai.operation.name': 'execute_tool',
        'gen_ai.tool.name': 'get_graph',
        'gen_ai.tool.type': 'function',
        'gen_ai.tool.call.id': 'call_graph',
      }),
      expect.objectContaining({ 'gen_ai.tool.name': 'http', 'gen_ai.tool.call.id': 'call_http' }),
      expect.objectContaining({
        'gen_ai.tool.name': 'propose_patch',
        'gen_ai.tool.call.id': 'call_patch',
      }),
    ]);
    for (const t of tools) expect(parentOf(t)).toBe(agent);
    // The http tool's request is a client span under its tool call, as an http node's is.
    const get = one('GET');
    expect(parentOf(get)).toBe(tools[1]);
    expect(get.attributes['http.response.status_code']).toBe(404);
    // A tool's failure is an answer the model reads, and a failed tool span.
    expect(tools[1]!.status.code).toBe(SpanStatusCode.ERROR);
    expect(tools[1]!.attributes['error.type']).toBe('HTTP_STATUS');
    expect(tools[0]!.status.code).not.toBe(SpanStatusCode.ERROR);

    // The proposal and its verdict: on the tool call, and on the decision that judged it.
    const patchEvents = (s: ReadableSpan) =>
      s.events.filter((e) => e.name.startsWith('aob.patch.')).map((e) => [e.name, e.attributes]);
    const patchId = tools[2]!.events[0]?.attributes?.['aob.patch.id'];
    expect(typeof patchId).toBe('string');
    expect(patchEvents(tools[2]!)).toEqual([
      ['aob.patch.proposed', { 'aob.patch.id': patchId, 'aob.patch.author': 'agent:planner' }],
      [
        'aob.patch.applied',
        expect.objectContaining({ 'aob.patch.id': patchId, 'aob.patch.author': 'agent:planner' }),
      ],
    ]);
    const decision = one('aob.decide proposePatch');
    expect(patchEvents(decision)).toEqual([
      ['aob.patch.proposed', { 'aob.patch.id': patchId, 'aob.patch.author': 'agent:planner' }],
      [
        'aob.patch.applied',
        expect.objectContaining({ 'aob.patch.id': patchId, 'aob.patch.author': 'agent:planner' }),
      ],
    ]);
    // The patch took: c ran after b.
    one('aob.node c');

    expectNoContent(spans);
  });

  it('with content capture, the chat spans carry the messages and the tool spans the arguments and results', async () => {
    scriptAgent();
    await open(true);
    const runId = await engine!.control.start(agentWorkflow(framework), {});
    const { named, one } = shape(await finished(runId));
    const chats = named('chat gpt-4o-mini').sort((x, y) =>
      String(x.attributes['gen_ai.response.id']).localeCompare(
        String(y.attributes['gen_ai.response.id']),
      ),
    );
    const first = json(chats[0]!, 'gen_ai.input.messages') as { role: string }[];
    expect(first).toEqual([
      { role: 'system', parts: [{ type: 'text', content: 'You plan.' }] },
      { role: 'user', parts: [{ type: 'text', content: 'Add a notify step.' }] },
    ]);
    expect(json(chats[0]!, 'gen_ai.output.messages')).toEqual([
      {
        role: 'assistant',
        parts: [{ type: 'tool_call', id: 'call_graph', name: 'get_graph', arguments: {} }],
        finish_reason: 'tool_calls',
      },
    ]);
    // The last call sees the whole conversation: the tool calls and their answers.
    const last = json(chats[3]!, 'gen_ai.input.messages') as {
      role: string;
      parts: { type: string; id?: string }[];
    }[];
    expect(last.map((m) => m.role)).toEqual([
      'system',
      'user',
      'assistant',
      'tool',
      'assistant',
      'tool',
      'assistant',
      'tool',
    ]);
    expect(last[7]!.parts[0]).toMatchObject({ type: 'tool_call_response', id: 'call_patch' });
    expect(json(chats[3]!, 'gen_ai.output.messages')).toEqual([
      {
        role: 'assistant',
        parts: [{ type: 'text', content: 'Added c after b.' }],
        finish_reason: 'stop',
      },
    ]);

    const patch = one('execute_tool propose_patch');
    expect(json(patch, 'gen_ai.tool.call.arguments')).toEqual({ ops: ADD_C, rationale: 'notify' });
    expect(json(patch, 'gen_ai.tool.call.result')).toMatchObject({ status: 'applied' });
    const http = one('execute_tool http');
    expect(json(http, 'gen_ai.tool.call.arguments')).toEqual({ url: `${fake.baseURL}/models` });
    expect(json(http, 'gen_ai.tool.call.result')).toEqual({
      error: { code: 'HTTP_STATUS', message: expect.stringContaining('answered 404') },
    });
  });
});

describe.each(['openai-agents', 'langgraph'])('an agent that asks, on %s', (framework) => {
  it('is one invoke_agent per job, each under its own node span, in the run’s trace: the resumed one makes only its own calls', async () => {
    fake.script(
      {
        toolCalls: [
          {
            id: 'call_ask',
            name: 'ask_user',
            arguments: { question: 'How many?', choices: ['2', '4'] },
          },
        ],
        usage: { promptTokens: 10, completionTokens: 3 },
      },
      { content: 'A table for 4.', usage: { promptTokens: 20, completionTokens: 4 } },
    );
    await open(false);
    const wf = {
      name: 'booking',
      version: '1',
      nodes: [
        {
          id: 'assistant',
          type: 'agent',
          with: {
            framework,
            model: 'fast',
            prompt: 'Book a table.',
            ask: { askees: ['user:ann'] },
          },
        },
      ],
      edges: [],
      output: '{% nodes.assistant.output.output %}',
    } as WorkflowDefinition;
    const runId = await engine!.control.start(wf, {});
    let questionId: string | undefined;
    for (let i = 0; i < 400 && questionId === undefined; i++) {
      const asked = (await engine!.control.events(runId)).find((e) => e.type === 'QuestionAsked');
      questionId = (asked?.data as { questionId?: string } | undefined)?.questionId;
      if (questionId === undefined) await new Promise((r) => setTimeout(r, 25));
    }
    expect(questionId).toBeDefined();
    await engine!.control.deliver(runId, {
      type: 'answer',
      questionId: questionId!,
      answer: '4',
      by: 'user:ann',
    });
    const spans = await finished(runId);
    const { parentOf, named } = shape(spans);
    expect(new Set(spans.map((s) => s.spanContext().traceId)).size).toBe(1);

    const agents = named('invoke_agent assistant').sort(
      (x, y) => x.startTime[0] - y.startTime[0] || x.startTime[1] - y.startTime[1],
    );
    expect(agents).toHaveLength(2);
    const nodes = agents.map((a) => parentOf(a)!);
    expect(nodes.map((n) => [n.name, n.attributes['aob.node.outcome']])).toEqual([
      ['aob.node assistant', 'suspended'],
      ['aob.node assistant', 'succeeded'],
    ]);
    const chatsUnder = (a: ReadableSpan) =>
      named('chat gpt-4o-mini')
        .filter((c) => parentOf(c) === a)
        .map((c) => c.attributes['gen_ai.usage.input_tokens']);
    expect(chatsUnder(agents[0]!)).toEqual([10]);
    expect(chatsUnder(agents[1]!)).toEqual([20]);
  });
});

describe('OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT', () => {
  it('is read with the LLM endpoint: true or false, anything else refused', () => {
    const read = (v: string | undefined) => {
      const problems: { message: string }[] = [];
      const llm = llmFromEnv(
        {
          AOB_LLM_BASE_URL: 'http://127.0.0.1:1/v1',
          OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: v,
        },
        problems as never,
      );
      return { capture: llm?.captureContent === true, problems: problems.map((p) => p.message) };
    };
    expect(read(undefined)).toEqual({ capture: false, problems: [] });
    expect(read('')).toEqual({ capture: false, problems: [] });
    expect(read('false')).toEqual({ capture: false, problems: [] });
    expect(read('TRUE')).toEqual({ capture: true, problems: [] });
    expect(read('yes').problems).toEqual([
      'OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT must be true or false, not "yes"',
    ]);
  });
});
