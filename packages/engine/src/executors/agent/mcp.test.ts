// Agents with MCP servers (`with.mcp`): the servers of the runner's settings reached over
// Streamable HTTP (a real SDK server, testing/mcp-fixture.ts) through the SSRF gate, their tools
// offered as `<server>__<tool>` on both frameworks, each call recorded in the transcript, the
// sessions closed as the attempt ends; unknown names refused before a local run starts.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { validateDefinition } from '@aob/core';
import type { CasRef, NodeJob, Problem } from '@aob/core';
import { MemoryContentStore } from '@aob/store';
import { mcpFromEnv } from '../../env-settings.js';
import { LocalEngine } from '../../local/local-engine.js';
import { startMcpFixture } from '../../testing/mcp-fixture.js';
import type { McpFixture } from '../../testing/mcp-fixture.js';
import { startOpenAIFake } from '../../testing/openai-fake.js';
import type { OpenAIFake } from '../../testing/openai-fake.js';
import { runExecutor } from '../registry.js';
import type { AgentHost, ExecutorContext, McpServerSettings } from '../types.js';
import type { TranscriptEntry } from './adapter.js';
import type { AgentFramework } from './config.js';
import type { AgentOutput } from './executor.js';
import { NodeSuspension } from '../suspension.js';

const silent = { info() {}, warn() {}, error() {} };
const FRAMEWORKS: AgentFramework[] = ['openai-agents', 'langgraph'];

/** The agent never reads its run here. */
const host: AgentHost = {
  graph: () => Promise.reject(new Error('not in this test')),
  nodeOutput: () => Promise.reject(new Error('not in this test')),
  proposePatch: () => Promise.reject(new Error('not in this test')),
};

function job(config: Record<string, unknown>): NodeJob {
  return {
    runId: 'run-1',
    nodeId: 'forecaster',
    attempt: 1,
    irHash: 'h',
    type: 'agent',
    config,
    input: null,
    inputRef: { $cas: 'sha256:00', size: 0 },
    timeoutMs: 30_000,
    priority: 'medium',
    idempotencyKey: 'run-1:forecaster',
  };
}

const rejection = (p: Promise<unknown>) =>
  p.then(
    () => expect.fail('expected a rejection'),
    (err: unknown) => err as { code: string; message: string; retryable: boolean },
  );

/** The tool messages of the n-th chat request, parsed. */
const toolMessages = (fake: OpenAIFake, n: number) =>
  ((fake.requests[n]?.messages ?? []) as Array<Record<string, unknown>>)
    .filter((m) => m['role'] === 'tool')
    .map((m) => JSON.parse(String(m['content'])) as unknown);
const offered = (fake: OpenAIFake, n: number) =>
  (
    (fake.requests[n]?.body?.['tools'] ?? []) as Array<{
      function: { name: string; parameters: Record<string, unknown> };
    }>
  ).map((t) => t.function);

/** An address nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

let fake: OpenAIFake;
let mcp: McpFixture;
beforeEach(async () => {
  fake = await startOpenAIFake();
  mcp = await startMcpFixture();
});
afterEach(async () => {
  await fake.close();
  await mcp.close();
});

function ctx(
  servers: Record<string, McpServerSettings>,
  over: Partial<ExecutorContext['options']> = {},
): ExecutorContext {
  return {
    runId: 'run-1',
    nodeId: 'forecaster',
    attempt: 1,
    idempotencyKey: 'run-1:forecaster',
    signal: new AbortController().signal,
    log: silent,
    options: {
      handlers: {},
      // The fixture listens on 127.0.0.1: tests allow the private network, as for http nodes.
      allowPrivateNetwork: true,
      llm: { baseUrl: fake.baseURL, apiKey: 'sk-test' },
      agentHost: () => host,
      mcp: servers,
      ...over,
    },
    content: new MemoryContentStore(),
  };
}

describe.each(FRAMEWORKS)('an agent with MCP servers on %s', (framework) => {
  const run = (config: Record<string, unknown>, c: ExecutorContext) =>
    runExecutor(
      job({
        framework,
        model: 'gpt-test',
        prompt: 'How warm is it in Paris?',
        mcp: ['weather'],
        ...config,
      }),
      c,
    ) as Promise<AgentOutput>;

  it('calls the server’s tool as weather__lookup: the server gets the arguments, the model the result, the transcript both', async () => {
    fake.script(
      { toolCalls: [{ id: 'c1', name: 'weather__lookup', arguments: { city: 'Paris' } }] },
      { content: '{"city":"Paris","temperature":21}' },
    );
    const c = ctx({ weather: { url: mcp.url } });
    const out = await run(
      {
        schema: {
          type: 'object',
          required: ['temperature'],
          properties: { temperature: { type: 'number' } },
        },
      },
      c,
    );

    // The server ran the call with the model's arguments.
    expect(mcp.calls).toEqual([{ tool: 'lookup', args: { city: 'Paris' } }]);
    // Offered under the server's name, with the server's JSON Schema as parameters.
    const tools = offered(fake, 0);
    expect(tools.map((t) => t.name).sort()).toEqual([
      'get_graph',
      'get_node_output',
      'propose_patch',
      'weather__alert',
      'weather__forecast',
      'weather__lookup',
    ]);
    const lookup = tools.find((t) => t.name === 'weather__lookup')!;
    expect(lookup.parameters).toMatchObject({
      type: 'object',
      properties: { city: { type: 'string', description: 'The city.' } },
      required: ['city'],
    });
    expect(lookup.parameters['$schema']).toBeUndefined();
    // The result (its structured content) reached the model.
    expect(toolMessages(fake, 1)).toEqual([{ temperature: 21 }]);
    // The node's output is the answer built on it.
    expect(out.parsed).toEqual({ city: 'Paris', temperature: 21 });
    const transcript = (await c.content!.get!(out.transcript as CasRef)) as TranscriptEntry[];
    expect(transcript).toContainEqual({
      type: 'tool_call',
      id: 'c1',
      name: 'weather__lookup',
      args: { city: 'Paris' },
      result: { temperature: 21 },
    });
    // One session for the attempt, ended with it.
    expect(mcp.sessionsOpened).toBe(1);
    expect(mcp.openSessions).toBe(0);
    expect(mcp.requests.some((r) => r.method === 'DELETE')).toBe(true);
  });

  it('answers text results joined, and an isError result as an error the model reads', async () => {
    fake.script(
      {
        toolCalls: [
          { id: 'f', name: 'weather__forecast', arguments: { city: 'Oslo' } },
          { id: 'a', name: 'weather__alert', arguments: {} },
          { id: 'l', name: 'weather__lookup', arguments: { city: 'Atlantis' } },
        ],
      },
      { content: 'Sunny, no alert, no Atlantis.' },
    );
    const c = ctx({ weather: { url: mcp.url } });
    const out = await run({}, c);
    expect(out.output).toBe('Sunny, no alert, no Atlantis.');
    expect(toolMessages(fake, 1)).toEqual([
      'Sunny in Oslo.\nLight wind.',
      { error: { code: 'TOOL_FAILED', message: 'the alert service is down' } },
      { error: { code: 'TOOL_FAILED', message: 'unknown city Atlantis' } },
    ]);
    const transcript = (await c.content!.get!(out.transcript as CasRef)) as TranscriptEntry[];
    const calls = transcript.filter((e) => e.type === 'tool_call');
    expect(calls.map((e) => [e.name, e.result])).toEqual([
      ['weather__forecast', 'Sunny in Oslo.\nLight wind.'],
      ['weather__alert', { error: { code: 'TOOL_FAILED', message: 'the alert service is down' } }],
      ['weather__lookup', { error: { code: 'TOOL_FAILED', message: 'unknown city Atlantis' } }],
    ]);
    expect(mcp.calls.map((call) => call.tool)).toEqual(['forecast', 'alert', 'lookup']);
  });

  it('closes the session when the agent asks, and connects again when it goes on', async () => {
    fake.script(
      { toolCalls: [{ id: 'l', name: 'weather__lookup', arguments: { city: 'Paris' } }] },
      { toolCalls: [{ id: 'q', name: 'ask_user', arguments: { question: 'Celsius?' } }] },
      { content: 'It is 21 °C.' },
    );
    const c = ctx({ weather: { url: mcp.url } });
    const asking = job({
      framework,
      model: 'gpt-test',
      prompt: 'How warm is it in Paris?',
      mcp: ['weather'],
      ask: {},
    });
    const suspended = await runExecutor(asking, c).then(
      () => expect.fail('expected the agent to ask'),
      (err: unknown) => err as NodeSuspension,
    );
    expect(suspended).toBeInstanceOf(NodeSuspension);
    expect(mcp.sessionsOpened).toBe(1);
    expect(mcp.openSessions).toBe(0);

    const resumed: NodeJob = {
      ...asking,
      resume: { questionId: 'qst_1', state: suspended.state, answer: 'yes', by: 'user:ann' },
    };
    const out = (await runExecutor(resumed, c)) as AgentOutput;
    expect(out.output).toBe('It is 21 °C.');
    // The tool ran once, in the first job; the resumed one had its own session, closed too.
    expect(mcp.calls).toHaveLength(1);
    expect(mcp.sessionsOpened).toBe(2);
    expect(mcp.openSessions).toBe(0);
    expect(toolMessages(fake, 2)).toEqual([{ temperature: 21 }, 'yes']);
  });

  it('closes the session when the attempt fails', async () => {
    fake.script(
      { toolCalls: [{ name: 'weather__lookup', arguments: { city: 'Oslo' } }] },
      { status: 400, message: 'bad model' },
    );
    const err = await rejection(run({}, ctx({ weather: { url: mcp.url } })));
    expect(err).toMatchObject({ code: 'LLM_REQUEST_REJECTED' });
    expect(mcp.calls).toHaveLength(1);
    expect(mcp.sessionsOpened).toBe(1);
    expect(mcp.openSessions).toBe(0);
  });
});

describe('MCP connections of an agent', () => {
  const run = (c: ExecutorContext, mcpNames: string[] = ['weather']) =>
    runExecutor(
      job({ framework: 'openai-agents', model: 'gpt-test', prompt: 'Weather?', mcp: mcpNames }),
      c,
    ) as Promise<AgentOutput>;

  it('sends the configured token as a bearer token, and its headers (aob’s own /mcp takes one)', async () => {
    const guarded = await startMcpFixture({ token: 'aob_secret' });
    try {
      fake.script(
        { toolCalls: [{ name: 'tools__lookup', arguments: { city: 'Oslo' } }] },
        { content: '4 degrees' },
      );
      const out = await run(
        ctx({ tools: { url: guarded.url, token: 'aob_secret', headers: { 'x-team': 'ops' } } }),
        ['tools'],
      );
      expect(out.output).toBe('4 degrees');
      expect(guarded.calls).toEqual([{ tool: 'lookup', args: { city: 'Oslo' } }]);
      expect(guarded.requests.every((r) => r.headers.authorization === 'Bearer aob_secret')).toBe(
        true,
      );
      expect(guarded.requests[0]!.headers['x-team']).toBe('ops');

      // Without the token the server refuses: the attempt fails, and trying again will not help.
      const err = await rejection(run(ctx({ tools: { url: guarded.url } }), ['tools']));
      expect(err).toMatchObject({ code: 'MCP_UNAVAILABLE', retryable: false });
      expect(err.message).toMatch(/MCP server "tools" \(http:\/\/127\.0\.0\.1:\d+\/mcp\)/);
      expect(err.message).not.toContain('aob_secret');
    } finally {
      await guarded.close();
    }
  });

  it('keeps its token out of the error when a server echoes it', async () => {
    const echo = createServer((req, res) => {
      res.writeHead(401, { 'content-type': 'text/plain' });
      res.end(`refused ${req.headers.authorization ?? ''} and ${String(req.headers['x-key'])}`);
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = echo.address() as AddressInfo;
      const url = `http://127.0.0.1:${port}/mcp`;
      const err = await rejection(
        run(
          ctx({ echo: { url, token: 'aob_secret_token', headers: { 'x-key': 'key-12345678' } } }),
          ['echo'],
        ),
      );
      expect(err).toMatchObject({ code: 'MCP_UNAVAILABLE', retryable: false });
      expect(err.message).toContain('refused Bearer [redacted] and [redacted]');
      expect(err.message).not.toMatch(/aob_secret_token|key-12345678/);
    } finally {
      await new Promise<void>((resolve) => echo.close(() => resolve()));
    }
  });

  it('fails the attempt with MCP_UNAVAILABLE when a server cannot be reached, before any model call', async () => {
    const url = `http://127.0.0.1:${await closedPort()}/mcp`;
    const err = await rejection(
      run(ctx({ weather: { url: mcp.url }, down: { url } }), ['weather', 'down']),
    );
    expect(err).toMatchObject({ code: 'MCP_UNAVAILABLE', retryable: true });
    expect(err.message).toContain('MCP server "down"');
    expect(fake.calls).toBe(0);
    // The server that did answer was let go.
    expect(mcp.sessionsOpened).toBe(1);
    expect(mcp.openSessions).toBe(0);
  });

  it('refuses a private address unless the private network is allowed (the SSRF gate)', async () => {
    const err = await rejection(
      run(ctx({ weather: { url: mcp.url } }, { allowPrivateNetwork: false })),
    );
    expect(err).toMatchObject({ code: 'SSRF', retryable: false });
    expect(err.message).toContain('MCP server "weather"');
    expect(mcp.requests).toEqual([]);
    expect(fake.calls).toBe(0);
  });

  it('fails with MCP_NOT_CONFIGURED for a server the runner’s settings lack', async () => {
    const err = await rejection(run(ctx({ weather: { url: mcp.url } }), ['weather', 'nowhere']));
    expect(err).toMatchObject({ code: 'MCP_NOT_CONFIGURED', retryable: false });
    expect(err.message).toContain('nowhere');
    expect(mcp.requests).toEqual([]);
  });

  it('checks with.mcp: names, no repeats', async () => {
    const err = await rejection(
      run(ctx({}), ['weather', 'weather', 'Bad_Name', 3 as unknown as string]),
    );
    expect(err).toMatchObject({ code: 'BAD_CONFIG' });
    expect(err.message).toContain('with.mcp[1] repeats weather');
    expect(err.message).toContain('with.mcp[2] must be an MCP server name');
    expect(err.message).toContain('with.mcp[3] must be an MCP server name');
  });
});

describe('with.mcp in a definition', () => {
  const def = (mcpNames: unknown) => ({
    name: 'weather',
    version: '1',
    nodes: [
      {
        id: 'forecaster',
        type: 'agent',
        with: { framework: 'langgraph', model: 'fast', prompt: 'Weather in Paris?', mcp: mcpNames },
      },
    ],
  });

  it('is an array of unique server names (the schema)', () => {
    const codes = (d: unknown) => validateDefinition(d).map((p: Problem) => p.path);
    expect(codes(def(['weather', 'search-2']))).toEqual([]);
    expect(codes(def(['weather', 'weather']))).toContain('/nodes/0/with/mcp');
    expect(codes(def(['https://evil.example/mcp']))).toContain('/nodes/0/with/mcp/0');
  });

  it('names only servers of the settings: a local run naming another is refused before it starts', async () => {
    const engine = await LocalEngine.open({
      store: 'memory',
      llm: { baseUrl: fake.baseURL },
      mcp: { weather: { url: mcp.url } },
      allowPrivateNetwork: true,
    });
    try {
      const err = (await engine.control
        .start(def(['weather', 'search', 'maps']), {})
        .catch((e: unknown) => e)) as { code: string; problems: Problem[] };
      expect(err.code).toBe('VALIDATION');
      expect(err.problems).toEqual([
        expect.objectContaining({ code: 'MCP_NOT_CONFIGURED', path: '/nodes/0/with/mcp/1' }),
        expect.objectContaining({ code: 'MCP_NOT_CONFIGURED', path: '/nodes/0/with/mcp/2' }),
      ]);
      expect(err.problems[0]!.message).toMatch(/"search", which AOB_MCP_SERVERS does not name/);
      // Nothing was started.
      expect(await engine.control.list()).toEqual([]);
      expect(mcp.requests).toEqual([]);
      expect(fake.calls).toBe(0);

      // A configured one runs: the local engine gives the agent the server's tools.
      fake.script(
        { toolCalls: [{ name: 'weather__lookup', arguments: { city: 'Paris' } }] },
        { content: '21 degrees in Paris' },
      );
      const runId = await engine.control.start(def(['weather']), {});
      const view = await engine.control.wait(runId);
      expect(view.status).toBe('completed');
      expect(mcp.calls).toEqual([{ tool: 'lookup', args: { city: 'Paris' } }]);
      expect(mcp.openSessions).toBe(0);
    } finally {
      await engine.close();
    }
  });
});

describe('AOB_MCP_SERVERS', () => {
  it('maps names to { url, token?, headers? }', () => {
    const problems: Problem[] = [];
    const servers = mcpFromEnv(
      {
        AOB_MCP_SERVERS: JSON.stringify({
          weather: { url: 'https://weather.example/mcp' },
          aob: { url: 'http://aob:8080/mcp', token: 'aob_x', headers: { 'x-a': 'b' } },
        }),
      },
      problems,
    );
    expect(problems).toEqual([]);
    expect(servers).toEqual({
      weather: { url: 'https://weather.example/mcp' },
      aob: { url: 'http://aob:8080/mcp', token: 'aob_x', headers: { 'x-a': 'b' } },
    });
    expect(mcpFromEnv({}, problems)).toBeUndefined();
    expect(problems).toEqual([]);
  });

  it('names every problem', () => {
    const problems: Problem[] = [];
    mcpFromEnv({ AOB_MCP_SERVERS: '[1]' }, problems);
    mcpFromEnv({ AOB_MCP_SERVERS: 'not json' }, problems);
    mcpFromEnv(
      {
        AOB_MCP_SERVERS: JSON.stringify({
          Bad_Name: { url: 'https://x.example/mcp' },
          ftp: { url: 'ftp://x.example/mcp' },
          extra: { url: 'https://x.example/mcp', command: 'rm' },
          ok: { url: 'https://x.example/mcp' },
        }),
      },
      problems,
    );
    expect(problems.map((p) => p.path)).toEqual([
      '/env/AOB_MCP_SERVERS',
      '/env/AOB_MCP_SERVERS',
      '/env/AOB_MCP_SERVERS',
    ]);
    expect(problems[2]!.message).toMatch(
      /"Bad_Name" is not a server name.*"ftp" must be.*"extra" must be/,
    );
    expect(problems.every((p) => p.code === 'BAD_CONFIG')).toBe(true);
  });
});
