import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { initialState, irHashOf, validatePatch } from '@aob/core';
import type { CasRef, NodeJob, WorkflowDefinition } from '@aob/core';
import { MemoryContentStore } from '@aob/store';
import { startOpenAIFake } from '../../testing/openai-fake.js';
import type { FakeReply, OpenAIFake } from '../../testing/openai-fake.js';
import { executorFor, runExecutor } from '../registry.js';
import type { AgentHost, ExecutorContext, GraphView, ModelPrice, PatchOutcome } from '../types.js';
import type { TranscriptEntry } from './adapter.js';
import type { AgentFramework } from './config.js';
import { agentExecutor } from './executor.js';
import { AttemptSpending } from '../../runner/usage.js';
import type { AgentOutput } from './executor.js';

const silent = { info() {}, warn() {}, error() {} };
const FRAMEWORKS: AgentFramework[] = ['openai-agents', 'langgraph'];

// a → b; a has finished, b is pending. The agent is node `planner`, outside the graph.
const BASE: WorkflowDefinition = {
  name: 'triage',
  version: '1',
  nodes: [
    { id: 'a', type: 'task', with: { handler: 'fetch' } },
    { id: 'b', type: 'task', with: { handler: 'reply' } },
  ],
  edges: [{ from: 'a', to: 'b' }],
};

/** An AgentHost over one in-memory run, judging proposals with the real validator. */
class TestHost implements AgentHost {
  definition = BASE;
  irHash: string = irHashOf(BASE);
  readonly proposals: Array<{ author: string; baseIrHash?: string; rationale?: string }> = [];
  private readonly state = initialState('run-1');

  constructor() {
    this.state.nodes['a'] = { status: 'succeeded', attempt: 1 };
  }

  async graph(): Promise<GraphView> {
    const nodes: GraphView['nodes'] = {};
    for (const n of this.definition.nodes) {
      nodes[n.id] = { status: this.state.nodes[n.id]?.status ?? 'pending' };
    }
    return { runId: 'run-1', irHash: this.irHash, definition: this.definition, nodes };
  }

  async nodeOutput(nodeId: string): Promise<unknown> {
    if (nodeId !== 'a')
      throw Object.assign(new Error(`no output for ${nodeId}`), { code: 'UNKNOWN_NODE' });
    return { ticket: 42 };
  }

  async proposePatch(p: {
    ops: unknown[];
    author: string;
    rationale?: string;
    baseIrHash?: string;
  }): Promise<PatchOutcome> {
    const patchId = `p${this.proposals.length + 1}`;
    this.proposals.push(p);
    const verdict = validatePatch({
      patch: {
        patchId,
        scope: 'run',
        target: 'run-1',
        baseIrHash: p.baseIrHash ?? this.irHash,
        ops: p.ops,
        author: p.author,
        ...(p.rationale === undefined ? {} : { rationale: p.rationale }),
      },
      base: this.definition,
      baseIrHash: this.irHash,
      state: this.state,
      appliedPatches: 0,
    });
    if (!verdict.ok || !verdict.materialized || !verdict.irHash) {
      return { patchId, status: 'rejected', violations: verdict.violations };
    }
    this.definition = verdict.materialized;
    this.irHash = verdict.irHash;
    return { patchId, status: 'applied', violations: [], irHash: verdict.irHash };
  }
}

function job(config: Record<string, unknown>): NodeJob {
  return {
    runId: 'run-1',
    nodeId: 'planner',
    attempt: 1,
    irHash: 'h',
    type: 'agent',
    config,
    input: null,
    inputRef: { $cas: 'sha256:00', size: 0 },
    timeoutMs: 30_000,
    priority: 'medium',
    idempotencyKey: 'run-1:planner',
  };
}

const CYCLE_OPS = [{ op: 'add', path: '/edges/-', value: { from: 'b', to: 'a' } }];
const SSRF_OPS = [
  {
    op: 'add',
    path: '/nodes/-',
    value: { id: 'steal', type: 'http', with: { url: 'http://169.254.169.254/latest' } },
  },
];
const GOOD_OPS = [
  { op: 'add', path: '/nodes/-', value: { id: 'c', type: 'task', with: { handler: 'notify' } } },
  { op: 'add', path: '/edges/-', value: { from: 'b', to: 'c' } },
];

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(check()).toBe(true);
}

const rejection = (p: Promise<unknown>) =>
  p.then(
    () => expect.fail('expected a rejection'),
    (err: unknown) => err as { code: string; message: string; retryable: boolean },
  );

/** The messages of the n-th chat request the fake received. */
function messagesOf(fake: OpenAIFake, n: number): Array<Record<string, unknown>> {
  return (fake.requests[n]?.messages ?? []) as Array<Record<string, unknown>>;
}
const toolMessages = (fake: OpenAIFake, n: number) =>
  messagesOf(fake, n)
    .filter((m) => m['role'] === 'tool')
    .map((m) => JSON.parse(String(m['content'])) as Record<string, unknown>);
const offered = (fake: OpenAIFake, n: number) =>
  ((fake.requests[n]?.body?.['tools'] ?? []) as Array<{ function: { name: string } }>).map(
    (t) => t.function.name,
  );

it('is the executor of agent nodes', () => {
  expect(executorFor('agent')).toBe(agentExecutor);
});

describe.each(FRAMEWORKS)('agent node on %s', (framework) => {
  let fake: OpenAIFake;
  let host: TestHost;
  let content: MemoryContentStore;
  let deltas: string[];

  beforeEach(async () => {
    fake = await startOpenAIFake();
    host = new TestHost();
    content = new MemoryContentStore();
    deltas = [];
  });
  afterEach(() => fake.close());

  function ctx(over: Partial<ExecutorContext['options']> = {}): ExecutorContext {
    return {
      runId: 'run-1',
      nodeId: 'planner',
      attempt: 1,
      idempotencyKey: 'run-1:planner',
      signal: new AbortController().signal,
      log: silent,
      options: {
        handlers: {},
        allowPrivateNetwork: false,
        llm: { baseUrl: fake.baseURL, apiKey: 'sk-test' },
        agentHost: () => host,
        ...over,
      },
      stream: (d) => deltas.push(d),
      content,
    };
  }
  const run = (config: Record<string, unknown>, c = ctx()) =>
    runExecutor(
      job({ framework, model: 'gpt-test', prompt: 'Add a notify step.', ...config }),
      c,
    ) as Promise<AgentOutput>;

  it('reads the graph, proposes a patch, and answers; tool results reach the model', async () => {
    fake.script(
      {
        toolCalls: [{ name: 'get_graph', arguments: {} }],
        usage: { promptTokens: 10, completionTokens: 2 },
      },
      {
        toolCalls: [{ name: 'propose_patch', arguments: { ops: GOOD_OPS, rationale: 'notify' } }],
        usage: { promptTokens: 20, completionTokens: 5 },
      },
      { content: 'Added c after b.', usage: { promptTokens: 30, completionTokens: 4 } },
    );
    const out = await run({ instructions: 'You plan.' });

    expect(out).toMatchObject({
      output: 'Added c after b.',
      turns: 3,
      framework,
      model: 'gpt-test',
      patches: [{ patchId: 'p1', status: 'applied' }],
      usage: { promptTokens: 60, completionTokens: 11, totalTokens: 71 },
    });
    expect(fake.calls).toBe(3);
    // The second request carries get_graph's answer; the third, the patch outcome.
    const [graph] = toolMessages(fake, 1);
    expect(graph).toMatchObject({
      runId: 'run-1',
      irHash: irHashOf(BASE),
      nodes: { a: { status: 'succeeded' } },
    });
    const outcomes = toolMessages(fake, 2);
    expect(outcomes[1]).toMatchObject({ patchId: 'p1', status: 'applied', violations: [] });
    expect(messagesOf(fake, 0)[0]).toMatchObject({ role: 'system', content: 'You plan.' });
    // Authored as the agent, against the IR it read.
    expect(host.proposals[0]).toMatchObject({
      author: 'agent:planner',
      baseIrHash: irHashOf(BASE),
      rationale: 'notify',
    });
    expect(host.definition.nodes.map((n) => n.id)).toEqual(['a', 'b', 'c']);
    // Streamed: the final answer arrives in pieces.
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe('Added c after b.');
    expect(fake.requests.every((r) => r.stream)).toBe(true);
  });

  it('shows a rejected proposal to the model, which tries again', async () => {
    fake.script(
      { toolCalls: [{ name: 'propose_patch', arguments: { ops: CYCLE_OPS } }] },
      { toolCalls: [{ name: 'propose_patch', arguments: { ops: SSRF_OPS } }] },
      { toolCalls: [{ name: 'propose_patch', arguments: { ops: GOOD_OPS } }] },
      { content: 'done' },
    );
    const out = await run({});

    expect(out.patches).toEqual([
      { patchId: 'p1', status: 'rejected' },
      { patchId: 'p2', status: 'rejected' },
      { patchId: 'p3', status: 'applied' },
    ]);
    const codes = (n: number) =>
      (toolMessages(fake, n).at(-1)?.['violations'] as Array<{ code: string }>).map((v) => v.code);
    expect(toolMessages(fake, 1).at(-1)).toMatchObject({ status: 'rejected' });
    expect(codes(1)).toContain('CYCLE');
    expect(codes(2)).toContain('SSRF');
    expect(toolMessages(fake, 3).at(-1)).toMatchObject({ status: 'applied' });
    // No get_graph first: the proposal names no base, the run takes its current IR.
    expect(host.proposals[0]?.baseIrHash).toBeUndefined();
  });

  it('stores the transcript in the content store, in order', async () => {
    fake.script(
      { toolCalls: [{ id: 'c1', name: 'get_node_output', arguments: { nodeId: 'a' } }] },
      { toolCalls: [{ id: 'c2', name: 'get_node_output', arguments: { nodeId: 'zz' } }] },
      { content: 'ticket 42' },
    );
    const out = await run({ instructions: 'Be brief.' });
    const transcript = (await content.get(out.transcript as CasRef)) as TranscriptEntry[];
    expect(transcript).toEqual([
      { type: 'message', role: 'system', content: 'Be brief.' },
      { type: 'message', role: 'user', content: 'Add a notify step.' },
      {
        type: 'tool_call',
        id: 'c1',
        name: 'get_node_output',
        args: { nodeId: 'a' },
        result: { ticket: 42 },
      },
      {
        type: 'tool_call',
        id: 'c2',
        name: 'get_node_output',
        args: { nodeId: 'zz' },
        result: { error: { code: 'UNKNOWN_NODE', message: 'no output for zz' } },
      },
      { type: 'message', role: 'assistant', content: 'ticket 42' },
    ]);
  });

  it('keeps the transcript inline when the runner has no content store', async () => {
    fake.script({ content: 'nothing to do' });
    const c = ctx();
    delete c.content;
    const out = await run({}, c);
    expect(out.transcript).toEqual([
      { type: 'message', role: 'user', content: 'Add a notify step.' },
      { type: 'message', role: 'assistant', content: 'nothing to do' },
    ]);
  });

  it('fails with AGENT_MAX_TURNS after maxTurns model calls', async () => {
    const call: FakeReply = { toolCalls: [{ name: 'get_graph', arguments: {} }] };
    fake.script(call, call, call, { content: 'too late' });
    const err = await rejection(run({ maxTurns: 2 }));
    expect(err).toMatchObject({ code: 'AGENT_MAX_TURNS', retryable: false });
    expect(fake.calls).toBe(2);
  });

  describe('held to what its run has left (job.budgetLeft)', () => {
    // A model that calls a tool forever, 100 tokens a call.
    const loop: FakeReply = {
      toolCalls: [{ name: 'get_graph', arguments: {} }],
      usage: { promptTokens: 80, completionTokens: 20 },
    };
    const budgeted = (budgetLeft: NodeJob['budgetLeft'], prices?: Record<string, ModelPrice>) => {
      const j: NodeJob = {
        ...job({ framework, model: 'gpt-test', prompt: 'Loop.', maxTurns: 10 }),
        budgetLeft,
      };
      const spending = new AttemptSpending(j, prices);
      let graphReads = 0;
      const read = host.graph.bind(host);
      host.graph = () => {
        graphReads += 1;
        return read();
      };
      const c: ExecutorContext = { ...ctx(), spend: (call) => spending.add(call) };
      return { run: () => runExecutor(j, c), spending, graphReads: () => graphReads };
    };

    it('is stopped after the model call that crosses it, before that call’s tools', async () => {
      fake.script(...Array.from({ length: 10 }, () => loop));
      const b = budgeted({ tokens: 250 });
      const err = await rejection(b.run());
      expect(err).toMatchObject({ code: 'BUDGET_EXCEEDED', retryable: false });
      expect(err.message).toContain('stopped after 3 model call(s)');
      // 100, 200, 300 > 250: the third call crossed it, and nothing ran after it.
      expect(fake.calls).toBe(3);
      expect(b.graphReads()).toBe(2);
      expect(b.spending.usage).toEqual({ promptTokens: 240, completionTokens: 60 });
      await new Promise((r) => setTimeout(r, 50));
      expect(fake.calls).toBe(3);
    });

    it('by dollars too, priced as the runner prices them', async () => {
      fake.script(...Array.from({ length: 10 }, () => loop));
      // $1000 per million tokens: $0.10 a call.
      const prices = { 'gpt-test': { input: 1000, output: 1000 } };
      const b = budgeted({ costUsd: 0.15 }, prices);
      const err = await rejection(b.run());
      expect(err).toMatchObject({ code: 'BUDGET_EXCEEDED' });
      expect(fake.calls).toBe(2);
      expect(b.spending.usage).toMatchObject({ costUsd: 0.2 });
    });

    it('keeps a final answer that crosses it (the run’s own check sees the tokens)', async () => {
      fake.script(loop, { content: 'done', usage: { promptTokens: 90, completionTokens: 10 } });
      const b = budgeted({ tokens: 150 });
      const out = (await b.run()) as AgentOutput;
      expect(out).toMatchObject({
        output: 'done',
        usage: { promptTokens: 170, completionTokens: 30 },
      });
      expect(fake.calls).toBe(2);
    });
  });

  it('offers the graph tools, and node-type tools only when granted', async () => {
    fake.script({ content: 'a' }, { content: 'b' });
    await run({});
    await run({ tools: ['http', 'code'] });
    expect(offered(fake, 0).sort()).toEqual(['get_graph', 'get_node_output', 'propose_patch']);
    expect(offered(fake, 1).sort()).toEqual([
      'code',
      'get_graph',
      'get_node_output',
      'http',
      'propose_patch',
    ]);
  });

  it('runs a granted http tool through the SSRF gate', async () => {
    const target = `${fake.baseURL}/models`;
    const script = () =>
      fake.script({ toolCalls: [{ name: 'http', arguments: { url: target } }] }, { content: 'ok' });
    script();
    await run({ tools: ['http'] });
    const refused = toolMessages(fake, 1)[0] as { error: { code: string } };
    expect(refused.error.code).toBe('SSRF');
    expect(fake.requests.some((r) => r.path === '/v1/models')).toBe(false);
    const before = fake.requests.length;

    script();
    await run({ tools: ['http'] }, ctx({ allowPrivateNetwork: true }));
    // The tool's own request reached the fake (which has no GET /v1/models: 404), and the
    // http node's error for it went back to the model.
    expect(fake.requests.slice(before).some((r) => r.path === '/v1/models')).toBe(true);
    expect(toolMessages(fake, fake.requests.length - 1)[0]).toMatchObject({
      error: { code: 'HTTP_STATUS' },
    });
  });

  it('returns structured output valid against with.schema', async () => {
    const schema = {
      type: 'object',
      required: ['steps'],
      properties: { steps: { type: 'integer' } },
    };
    fake.script(
      { content: '{"steps": 3}' },
      { content: '{"steps": "three"}' },
      { content: 'three steps' },
    );
    const out = await run({ schema });
    expect(out.parsed).toEqual({ steps: 3 });
    expect(fake.requests[0]?.responseFormat).toMatchObject({
      type: 'json_schema',
      json_schema: { schema },
    });
    for (const problem of [/does not match with\.schema/, /not JSON/]) {
      const err = await rejection(run({ schema }));
      expect(err).toMatchObject({ code: 'AGENT_BAD_OUTPUT', retryable: false });
      expect(err.message).toMatch(problem);
    }
  });

  it('classifies endpoint errors like llm nodes, without retrying', async () => {
    fake.script({ status: 503 }, { status: 400, message: 'bad model' });
    expect(await rejection(run({}))).toMatchObject({ code: 'LLM_UNAVAILABLE', retryable: true });
    expect(await rejection(run({}))).toMatchObject({
      code: 'LLM_REQUEST_REJECTED',
      retryable: false,
    });
    expect(fake.calls).toBe(2);
  });

  it('needs an LLM endpoint and an agent host', async () => {
    const noLlm = ctx();
    delete noLlm.options.llm;
    expect(await rejection(run({}, noLlm))).toMatchObject({
      code: 'LLM_NOT_CONFIGURED',
      retryable: false,
    });
    const noHost = ctx();
    delete noHost.options.agentHost;
    expect(await rejection(run({}, noHost))).toMatchObject({
      code: 'AGENT_NOT_CONFIGURED',
      retryable: false,
    });
    expect(fake.calls).toBe(0);
  });

  it('sends the configured key, and no Authorization header without one', async () => {
    fake.script({ content: 'a' }, { content: 'b' });
    const saved = { ...process.env };
    // Never read: the endpoint and key come from the options alone.
    Object.assign(process.env, {
      OPENAI_API_KEY: 'sk-from-env',
      OPENAI_BASE_URL: 'http://127.0.0.1:9/v1',
      OPENAI_ORG_ID: 'org-env',
      OPENAI_ORGANIZATION: 'org-env',
    });
    try {
      await run({});
      await run(
        {},
        ctx({ llm: { baseUrl: fake.baseURL, models: { 'gpt-test': 'provider-model' } } }),
      );
    } finally {
      process.env = saved;
    }
    expect(fake.requests.some((r) => r.headers['openai-organization'] !== undefined)).toBe(false);
    expect(fake.requests[0]?.headers.authorization).toBe('Bearer sk-test');
    expect(fake.requests[1]?.headers.authorization).toBeUndefined();
    expect(fake.requests[1]?.model).toBe('provider-model');
  });

  it('runs a granted fs tool in the workspace, and no system message without instructions', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'aob-agent-'));
    try {
      fake.script(
        { toolCalls: [{ name: 'fs', arguments: { op: 'write', path: 'n.txt', content: 'hi' } }] },
        { toolCalls: [{ name: 'fs', arguments: { op: 'read', path: '../escape' } }] },
        { content: 'written' },
      );
      const out = await run({ tools: ['fs'] }, ctx({ workspaceRoot: root }));
      expect(out.output).toBe('written');
      expect(await readFile(path.join(root, 'n.txt'), 'utf8')).toBe('hi');
      expect(toolMessages(fake, 2)[1]).toMatchObject({ error: { code: 'FS_FORBIDDEN_PATH' } });
      expect(messagesOf(fake, 0).map((m) => m['role'])).toEqual(['user']);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('aborting ctx.signal stops the request', async () => {
    fake.script({ hang: true });
    const controller = new AbortController();
    const c = { ...ctx(), signal: controller.signal };
    const pending = rejection(
      agentExecutor(job({ framework, model: 'm', prompt: 'x' }), c) as Promise<unknown>,
    );
    await until(() => fake.requests.length === 1);
    controller.abort();
    expect(await pending).toMatchObject({ code: 'CANCELLED', retryable: false });
    await until(() => fake.requests[0]?.abortedByClient === true);
  });

  it('answers parallel tool calls, and a malformed call with an error the model can read', async () => {
    fake.script(
      {
        toolCalls: [
          { name: 'get_graph', arguments: {} },
          { name: 'get_node_output', arguments: { nodeId: 'a' } },
        ],
      },
      { toolCalls: [{ name: 'propose_patch', arguments: { rationale: 'no ops' } }] },
      { content: 'gave up' },
    );
    const out = await run({});
    expect(out.output).toBe('gave up');
    expect(out.patches).toEqual([]);
    expect(host.proposals).toEqual([]);
    const [graph, output] = toolMessages(fake, 1);
    expect(graph).toMatchObject({ irHash: irHashOf(BASE) });
    expect(output).toEqual({ ticket: 42 });
    // openai-agents lets the tool's own check answer; LangChain checks against the schema first.
    const malformed = messagesOf(fake, 2).filter((m) => m['role'] === 'tool');
    expect(String(malformed.at(-1)?.['content'])).toMatch(
      framework === 'langgraph' ? /required property "ops"/ : /"code":"BAD_ARGUMENTS".*ops must be/,
    );
  });
});
