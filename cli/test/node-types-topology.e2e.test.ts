// Every client-side node type on the cluster topology, with the settings it has locally (issue
// 15): one workflow with `llm`, `search`, `http`, `fs`, `code` and an `agent` on each framework
// (openai-agents, then langgraph) runs on the local engine and on PostgreSQL + Kafka + S3 with the
// api, orchestrator, validator and runner as separate `aob server` processes, and both give the
// same per-node event sequences and the same output. The executor settings are one set of
// variables, read by the same builder on both sides (executorSettingsFromEnv here, serviceConfig
// in the runner); only the workspace directory differs.
//
// The agents on the runner reach their run through the api with the job token each job carries
// (the runner has no AOB_DATABASE_URL): they read the graph and a node's output, read a file with
// a granted tool, and propose patches — one applied (a node the next agent then reads), one
// rejected by the validator service — authored `agent:<nodeId>` as locally. The tokens, read back
// from the job topic as a runner reads them, are role `agent`, scoped to their run (another run is
// unknown to them, other operations forbidden), expire at the job's timeout plus the grace, and
// are in the database only as a hash: never in the outbox or the log.
//
// The doubles speak the real protocols and are reached over HTTP by the real clients: an
// OpenAI-compatible server (the repo's openai-fake) whose replies follow from each conversation
// alone, so the two runs may call it in any order; a SearXNG instance; a JSON endpoint for `http`.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import type { AnyRunEvent, NodeJob, Problem } from '@aob/core';
import { Topic } from '@aob/core';
import { KafkaBus } from '@aob/bus';
import { AobHttpClient } from '@aob/client';
import type { RunView } from '@aob/client';
import { LocalEngine, executorSettingsFromEnv } from '@aob/engine';
import { startOpenAIFake } from '../../packages/engine/src/testing/openai-fake.js';
import type {
  FakeReply,
  OpenAIFake,
  RecordedRequest,
} from '../../packages/engine/src/testing/openai-fake.js';
import { perNodeEvents } from '../../packages/engine/src/testing/per-node.js';
import { startSearxngFake } from '../../packages/engine/src/testing/searxng-fake.js';
import type { SearxngFake } from '../../packages/engine/src/testing/searxng-fake.js';
import { ServiceProcess, clusterBackends, freePorts } from './cluster-harness.js';
import type { ClusterBackends } from './cluster-harness.js';
import { aob, json, start } from './helpers.js';

const tag = `types${randomBytes(4).toString('hex')}`;
/** The job tokens' grace past the job's timeout (AOB_JOB_TOKEN_GRACE_MS), and planA's timeout. */
const GRACE_MS = 5_000;
const AGENT_TIMEOUT_MS = 60_000;

// ---- the model: its replies follow from the conversation, whoever asks and in whatever order ---

type Message = { role: string; content?: unknown };
const text = (m: Message): string =>
  typeof m.content === 'string'
    ? m.content
    : Array.isArray(m.content)
      ? (m.content as { text?: string }[]).map((p) => p.text ?? '').join('')
      : '';
const parsed = (s: string): Record<string, unknown> => {
  try {
    return JSON.parse(s) as Record<string, unknown>;
  } catch {
    return { unparsed: s };
  }
};

/** One agent's part: its tool calls in order, then its answer from what the tools returned. */
interface Part {
  calls: { name: string; arguments: unknown }[];
  answer(results: Record<string, unknown>[]): string;
}
const PARTS: Record<string, Part> = {
  'PLANNER-A': {
    calls: [
      { name: 'get_graph', arguments: {} },
      { name: 'get_node_output', arguments: { nodeId: 'find' } },
      { name: 'fs', arguments: { op: 'read', path: 'notes/sources.txt' } },
      {
        name: 'propose_patch',
        arguments: {
          rationale: 'the sources are checked before planB writes',
          ops: [
            {
              op: 'add',
              path: '/nodes/-',
              value: {
                id: 'factcheck',
                type: 'transform',
                with: {
                  value: "{% $string($count(nodes.find.output.results)) & ' sources checked' %}",
                },
              },
            },
            { op: 'add', path: '/edges/-', value: { from: 'find', to: 'factcheck' } },
            { op: 'add', path: '/edges/-', value: { from: 'factcheck', to: 'planB' } },
          ],
        },
      },
    ],
    answer: ([graph, find, file, verdict]) =>
      `read ${Object.keys(graph!.nodes as object).length} nodes and ` +
      `${(find!.results as unknown[]).length} sources (${String((file!.content as string).split('\n').length)} lines); ` +
      `the fact check was ${String(verdict!.status)}`,
  },
  'PLANNER-B': {
    calls: [
      { name: 'get_graph', arguments: {} },
      { name: 'get_node_output', arguments: { nodeId: 'factcheck' } },
      {
        name: 'propose_patch',
        arguments: {
          rationale: 'ask again',
          ops: [{ op: 'add', path: '/edges/-', value: { from: 'planB', to: 'ask' } }],
        },
      },
    ],
    answer: ([graph, factcheck, verdict]) =>
      `nodes ${Object.keys(graph!.nodes as object).join(',')}; factcheck said ` +
      `${JSON.stringify(factcheck)}; the loop was ${String(verdict!.status)} ` +
      `(${(verdict!.violations as Problem[]).map((v) => v.code).join(',')})`,
  },
};

function reply(req: RecordedRequest): FakeReply {
  const messages = (req.messages ?? []) as Message[];
  const tools = (req.body?.['tools'] as unknown[] | undefined) ?? [];
  if (tools.length === 0) {
    // An llm node; one that asks for it slowly gets its words a tenth of a second apart.
    const asked = messages
      .filter((m) => m.role === 'user')
      .map(text)
      .join(' ');
    if (asked.includes('slowly')) return { content: SLOW_WORDS, chunkDelayMs: 100 };
    return { content: `Three facts, as asked: ${asked}` };
  }
  const system = messages
    .filter((m) => m.role === 'system')
    .map(text)
    .join('\n');
  const name = Object.keys(PARTS).find((p) => system.includes(p));
  if (!name) return { status: 400, message: `no part for the instructions ${system}` };
  const part = PARTS[name]!;
  const results = messages.filter((m) => m.role === 'tool').map((m) => parsed(text(m)));
  const step = results.length;
  if (step < part.calls.length) {
    // Ids from the conversation, not a counter: the transcripts of the two runs are the same.
    return { toolCalls: [{ id: `${name}-${step}`, ...part.calls[step]! }] };
  }
  return { content: part.answer(results) };
}

/** What the slow llm node says, a word at a time. */
const SLOW_WORDS = Array.from({ length: 20 }, (_, i) => `word${i + 1}`).join(' ');

// ---- the workflow ----------------------------------------------------------------------------

const agent = (framework: string, part: string, prompt: string) => ({
  framework,
  model: 'fast',
  instructions: `${part}: read the run, check its sources, propose what is missing.`,
  prompt,
  maxTurns: 8,
});
const WORKFLOW = {
  name: 'every-node-type',
  version: '1',
  inputs: {
    type: 'object',
    required: ['topic', 'url'],
    properties: { topic: { type: 'string' }, url: { type: 'string' } },
  },
  nodes: [
    { id: 'ask', type: 'llm', with: { model: 'fast', prompt: "{% 'Facts on ' & inputs.topic %}" } },
    { id: 'find', type: 'search', with: { query: '{% inputs.topic %}', limit: 2 } },
    { id: 'fetch', type: 'http', with: { method: 'GET', url: '{% inputs.url %}' } },
    {
      id: 'save',
      type: 'fs',
      with: {
        op: 'write',
        path: 'notes/sources.txt',
        content: "{% $join(nodes.find.output.results.url, '\\n') %}",
      },
    },
    {
      id: 'count',
      type: 'code',
      input: '{% nodes.find.output %}',
      with: { language: 'javascript', source: 'return input.results.map((r) => r.url.length);' },
    },
    {
      id: 'planA',
      type: 'agent',
      timeoutMs: AGENT_TIMEOUT_MS,
      with: {
        ...agent('openai-agents', 'PLANNER-A', "{% 'Plan research on ' & inputs.topic %}"),
        tools: ['fs'],
      },
    },
    {
      id: 'planB',
      type: 'agent',
      with: agent(
        'langgraph',
        'PLANNER-B',
        "{% 'Review the plan: ' & nodes.planA.output.output %}",
      ),
    },
  ],
  edges: [
    { from: 'find', to: 'save' },
    { from: 'save', to: 'count' },
    { from: 'ask', to: 'planA' },
    { from: 'count', to: 'planA' },
    { from: 'fetch', to: 'planA' },
    { from: 'planA', to: 'planB' },
  ],
  output:
    "{% { 'ask': nodes.ask.output.content, 'lengths': nodes.count.output.result, 'fetched': nodes.fetch.output.body, 'status': nodes.fetch.output.status, 'saved': nodes.save.output, 'planA': nodes.planA.output.output, 'patchesA': nodes.planA.output.patches.status, 'planB': nodes.planB.output.output, 'patchesB': nodes.planB.output.patches.status } %}",
};

/** One llm node whose reply streams for about two seconds. */
const SLOW = {
  name: 'slow-words',
  version: '1',
  nodes: [{ id: 'say', type: 'llm', with: { model: 'fast', prompt: 'Say twenty words, slowly' } }],
  edges: [],
};

/** A run waiting on a person: another run of the cluster, for the job tokens to be kept out of. */
const GATE = {
  name: 'just-a-gate',
  version: '1',
  nodes: [{ id: 'gate', type: 'approval', with: { approvers: ['role:admin'] } }],
  edges: [],
};

// ---- the topology ----------------------------------------------------------------------------

let dir: string;
let backends: ClusterBackends | undefined;
const services: ServiceProcess[] = [];
let llm: OpenAIFake | undefined;
let searxng: SearxngFake | undefined;
let endpoint: Server | undefined;
let endpointUrl: string;
let local: LocalEngine | undefined;
let apiUrl: string;
let operator: AobHttpClient;
let operatorToken: string;
let admin: AobHttpClient;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'aob-node-types-'));
  llm = await startOpenAIFake({ respond: reply });
  searxng = await startSearxngFake();
  endpoint = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ hello: 'topology', path: req.url }));
  });
  await new Promise<void>((r) => endpoint!.listen(0, '127.0.0.1', r));
  endpointUrl = `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}/facts`;
  backends = await clusterBackends(tag);

  // The executors' settings: one set of variables for both topologies.
  const settings = {
    AOB_LLM_BASE_URL: llm.baseURL,
    AOB_LLM_API_KEY: 'sk-topology',
    AOB_LLM_MODELS: '{"fast":"gpt-fake-1"}',
    AOB_SEARCH_URL: searxng.baseUrl,
    // The endpoints here are on loopback: http nodes and the search pass the same address gate.
    AOB_ALLOW_PRIVATE_NETWORK: 'true',
  };
  const problems: Problem[] = [];
  const localWorkspace = mkdtempSync(join(dir, 'local-ws-'));
  const read = executorSettingsFromEnv(
    { ...settings, AOB_WORKSPACE: localWorkspace },
    process.cwd(),
    problems,
  );
  expect(problems).toEqual([]);
  local = await LocalEngine.open({
    store: 'memory',
    allowPrivateNetwork: true,
    ...(read.llm ? { llm: read.llm } : {}),
    ...(read.search ? { search: read.search } : {}),
    ...(read.workspaceRoot ? { workspaceRoot: read.workspaceRoot } : {}),
  });

  const [apiPort, grpcPort, validatorPort] = await freePorts(3);
  apiUrl = `http://127.0.0.1:${apiPort}`;
  const { AOB_DATABASE_URL: _db, ...withoutDatabase } = backends.env;
  services.push(
    new ServiceProcess(
      'api',
      { ...backends.env, AOB_API_PORT: String(apiPort), AOB_GRPC_PORT: String(grpcPort) },
      join(dir, 'api.log'),
    ),
    new ServiceProcess(
      'validator',
      { ...backends.env, AOB_VALIDATOR_PORT: String(validatorPort) },
      join(dir, 'validator.log'),
    ),
    new ServiceProcess(
      'orchestrator',
      {
        ...backends.env,
        AOB_VALIDATOR_URL: `127.0.0.1:${validatorPort}`,
        AOB_JOB_TOKEN_GRACE_MS: String(GRACE_MS),
      },
      join(dir, 'orchestrator.log'),
    ),
    // No AOB_DATABASE_URL: the runner reaches runs through the api only.
    new ServiceProcess(
      'runner',
      {
        ...withoutDatabase,
        ...settings,
        AOB_WORKSPACE: mkdtempSync(join(dir, 'cluster-ws-')),
        AOB_API_URL: apiUrl,
      },
      join(dir, 'runner.log'),
    ),
  );
  await Promise.all(services.map((s) => s.start()));

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
  admin = new AobHttpClient({ baseUrl: apiUrl, token: json<{ token: string }>(root).token });
  operatorToken = (await admin.createToken({ subject: 'ops', role: 'operator' })).token;
  operator = new AobHttpClient({ baseUrl: apiUrl, token: operatorToken });
}, 180_000);

afterAll(async () => {
  await local?.close();
  await Promise.all(services.map((s) => s.close()));
  await backends?.stop();
  await llm?.close();
  await searxng?.close();
  await new Promise((r) => (endpoint ? endpoint.close(r) : r(undefined)));
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 120_000);

/** The cluster run once it is over (a start answered `pending` is not in the log yet). */
async function clusterRunOver(runId: string): Promise<RunView> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const view = await operator.waitRun(runId, { timeoutMs: 30_000 }).catch((err: unknown) => {
      if ((err as { code?: string }).code !== 'RUN_NOT_FOUND') throw err;
      return undefined;
    });
    if (view && !['running', 'waiting'].includes(view.status)) return view;
    if (Date.now() > deadline) throw new Error(`run ${runId} still ${view?.status ?? 'unknown'}`);
    if (!view) await new Promise((r) => setTimeout(r, 100));
  }
}

/** The agent jobs published on the medium job topic, as a runner reads them (a group of its own). */
async function agentJobs(): Promise<NodeJob[]> {
  const bus = new KafkaBus({
    brokers: backends!.env.AOB_KAFKA_BROKERS!.split(','),
    prefix: backends!.env.AOB_KAFKA_PREFIX!,
  });
  try {
    const jobs: NodeJob[] = [];
    // Until the two agent jobs are in, then one more read for any that should not be there (a
    // new group joins first, which may take reads that come back empty).
    await bus.ensureGroup(`spy-${tag}`, [Topic.jobsMedium]);
    const deadline = Date.now() + 30_000;
    for (let seen = false; !seen && Date.now() < deadline;) {
      seen = jobs.length >= 2;
      const batch = await bus.read({
        group: `spy-${tag}`,
        consumer: 'spy',
        topics: [Topic.jobsMedium],
        count: 100,
        blockMs: 1_000,
      });
      for (const m of batch)
        if ((m.value as NodeJob).type === 'agent') jobs.push(m.value as NodeJob);
    }
    return jobs;
  } finally {
    await bus.close();
  }
}

describe('every node type runs on the cluster as on the local engine', () => {
  let clusterRun: string;
  let startedAt: number;

  it('gives the same per-node events and output, the agents patching their run as locally', async () => {
    const inputs = { topic: 'event sourcing', url: endpointUrl };
    startedAt = Date.now();
    const localRun = await local!.control.start(WORKFLOW, inputs);
    clusterRun = (await operator.startRun({ definition: WORKFLOW, inputs })).runId;
    const [a, b] = await Promise.all([
      local!.control.wait(localRun, { timeoutMs: 90_000 }),
      clusterRunOver(clusterRun),
    ]);
    const clusterEvents: AnyRunEvent[] = (await operator.runEvents(clusterRun, { limit: 5_000 }))
      .items;
    const failures = clusterEvents.filter((e) => e.type === 'NodeFailed').map((e) => e.data);
    expect(b.status, JSON.stringify(failures)).toBe('completed');
    expect(a.status).toBe('completed');
    expect(b.output).toEqual(a.output);
    expect(perNodeEvents(clusterEvents)).toEqual(
      perNodeEvents(await local!.control.events(localRun)),
    );

    // What the nodes did, so the two cannot agree on nothing.
    const sources = [0, 1].map((i) => `https://example.org/event%20sourcing/${i}`);
    expect(b.output).toEqual({
      ask: 'Three facts, as asked: Facts on event sourcing',
      lengths: sources.map((s) => s.length),
      fetched: { hello: 'topology', path: '/facts' },
      status: 200,
      saved: { path: 'notes/sources.txt', size: sources.join('\n').length },
      planA: 'read 7 nodes and 2 sources (2 lines); the fact check was applied',
      patchesA: 'applied',
      planB:
        'nodes ask,find,fetch,save,count,planA,planB,factcheck; factcheck said ' +
        '"2 sources checked"; the loop was rejected (IMMUTABLE_NODE,CYCLE)',
      patchesB: 'rejected',
    });
    expect(Object.keys(perNodeEvents(clusterEvents))).toContain('factcheck');

    // Both topologies asked the one endpoint with the one key, for the provider's model id.
    expect(llm!.requests.length).toBeGreaterThanOrEqual(2 * (1 + 5 + 4));
    expect(new Set(llm!.requests.map((r) => r.headers.authorization))).toEqual(
      new Set(['Bearer sk-topology']),
    );
    expect(new Set(llm!.requests.map((r) => r.model))).toEqual(new Set(['gpt-fake-1']));
    expect(searxng!.queries).toEqual(['event sourcing', 'event sourcing']);

    // The proposals, as the log has them on both sides: authored by the agent node.
    const authored = async (list: { author: string; status: string }[]) =>
      list.map((p) => [p.author, p.status]);
    const expected = [
      ['agent:planA', 'applied'],
      ['agent:planB', 'rejected'],
    ];
    expect(await authored((await operator.listPatches({ run: clusterRun })).items)).toEqual(
      expected,
    );
    expect(await authored(await local!.control.patches({ runId: localRun }))).toEqual(expected);
  }, 150_000);

  it("gave each agent job a token of its run's own, in the database as a hash only", async () => {
    const other = (await operator.startRun({ definition: GATE })).runId;
    const jobs = await agentJobs();
    expect(jobs.map((j) => [j.runId, j.nodeId])).toEqual([
      [clusterRun, 'planA'],
      [clusterRun, 'planB'],
    ]);
    const db = new pg.Client({ connectionString: backends!.databaseUrl });
    await db.connect();
    try {
      for (const job of jobs) {
        const { token, expiresAt } = job.jobToken!;
        const timeout = job.nodeId === 'planA' ? AGENT_TIMEOUT_MS : 30_000;
        expect(expiresAt).toBeGreaterThanOrEqual(startedAt + timeout + GRACE_MS);
        expect(expiresAt).toBeLessThanOrEqual(Date.now() + timeout + GRACE_MS);

        const agentClient = new AobHttpClient({ baseUrl: apiUrl, token });
        expect(await agentClient.whoami()).toMatchObject({
          subject: `agent:${job.nodeId}`,
          role: 'agent',
          runId: clusterRun,
          expiresAt,
        });
        expect((await agentClient.getRun(clusterRun)).status).toBe('completed');
        // Another run of the same namespace is as unknown as one that does not exist.
        await expect(agentClient.getRun(other)).rejects.toMatchObject({
          status: 404,
          code: 'RUN_NOT_FOUND',
        });
        await expect(
          agentClient.proposePatch({ target: other, ops: [{ op: 'remove', path: '/nodes/0' }] }),
        ).rejects.toMatchObject({ status: 404, code: 'RUN_NOT_FOUND' });
        await expect(agentClient.listRuns()).rejects.toMatchObject({
          status: 403,
          code: 'FORBIDDEN',
        });

        const hash = createHash('sha256').update(token).digest('hex');
        const stored = await db.query(
          'SELECT subject, role, run_id, expires_at FROM api_tokens WHERE hash = $1',
          [hash],
        );
        expect(stored.rows).toEqual([
          {
            subject: `agent:${job.nodeId}`,
            role: 'agent',
            run_id: clusterRun,
            expires_at: String(expiresAt),
          },
        ]);
        for (const table of ['outbox', 'events', 'api_tokens']) {
          const found = await db.query(
            `SELECT count(*)::int AS n FROM ${table} WHERE ${table}::text LIKE $1`,
            [`%${token}%`],
          );
          expect(found.rows[0].n, table).toBe(0);
        }
      }
    } finally {
      await db.end();
    }
    // The runner's log holds no token either.
    const runnerLog = readFileSync(join(dir, 'runner.log'), 'utf8');
    for (const job of jobs) expect(runnerLog).not.toContain(job.jobToken!.token);
  }, 60_000);

  it("streams an llm node's text from the runner to the api's timeline and `aob logs stream`, never into the log", async () => {
    const { runId } = await operator.startRun({ definition: SLOW });
    // Followed from its start (a start answered `pending` is not in the log yet; a feed of an
    // unknown run is refused): the first word comes a tenth of a second after the model call.
    for (let found = false; !found;) {
      found = await operator.getRun(runId).then(
        () => true,
        (err: { code?: string }) => {
          if (err.code !== 'RUN_NOT_FOUND') throw err;
          return false;
        },
      );
    }
    // A client of the api's SSE timeline, and the CLI against the server (AOB_SERVER).
    const cli = start(['logs', 'stream', runId, '--json'], {
      AOB_SERVER: apiUrl,
      AOB_TOKEN: operatorToken,
    });
    const deltas: string[] = [];
    const events: string[] = [];
    for await (const m of operator.runTimeline(runId, { after: 0 })) {
      if (m.kind === 'delta') deltas.push(m.delta.delta);
      else if (m.kind === 'event') events.push(m.event.type);
      else if (m.type === 'end') break;
    }
    expect(deltas.join('')).toBe(SLOW_WORDS);
    expect(deltas.length).toBe(20);
    expect(events.at(-1)).toBe('RunCompleted');

    const printed = await cli.done;
    expect(printed.code, printed.stderr).toBe(0);
    const lines = printed.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; ephemeral?: boolean; delta?: string });
    const seen = lines.filter((l) => l.type === 'NodeOutputDelta');
    // The CLI starts a moment after the run: it shows the text from when it joined, in order.
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((l) => l.ephemeral === true)).toBe(true);
    expect(SLOW_WORDS.endsWith(seen.map((l) => l.delta).join(''))).toBe(true);
    expect(lines.at(-1)?.type).toBe('RunCompleted');

    // The log has the whole reply in the node's output, and no delta.
    const log = (await operator.runEvents(runId, { limit: 5_000 })).items;
    expect(log.map((e) => e.type)).not.toContain('NodeOutputDelta');
    expect((await operator.getRunNode(runId, 'say')).output).toMatchObject({ content: SLOW_WORDS });
  }, 60_000);
});
