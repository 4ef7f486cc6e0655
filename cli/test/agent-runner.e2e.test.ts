// Agent runners outside the cluster (issue 15): two `aob agent-runner` processes given nothing of
// the cluster but AOB_SERVER and a runner token (and the LLM endpoint an agent needs) execute the
// agent node of a run on PostgreSQL, Kafka and S3, with the api and the orchestrator as `aob
// server` processes and no cluster runner at all. The model answers slowly, so the runner that
// claimed the job is killed (SIGKILL) mid-job; its lease runs out and the other runner takes the
// same attempt and finishes it: the run completes, the node's events are one attempt's, and the
// agent's tool call (get_graph) reached the run through the API with each claim's job token.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AobHttpClient } from '@aob/client';
import type { RunView } from '@aob/client';
import { startOpenAIFake } from '../../packages/engine/src/testing/openai-fake.js';
import type { OpenAIFake } from '../../packages/engine/src/testing/openai-fake.js';
import { ServiceProcess, clusterBackends, freePorts, sleep } from './cluster-harness.js';
import type { ClusterBackends } from './cluster-harness.js';
import { aob, bin, json, repo } from './helpers.js';

const tag = `outside${randomBytes(4).toString('hex')}`;
const LEASE_MS = 3_000;

let dir = '';
let backends: ClusterBackends | undefined;
let llm: OpenAIFake | undefined;
const services: ServiceProcess[] = [];
let apiUrl = '';
let admin: AobHttpClient;
let operator: AobHttpClient;
let runnerToken = '';

/** An `aob agent-runner --json` process and the JSON lines it printed so far. */
interface AgentRunner {
  name: string;
  child: ChildProcess;
  lines: Record<string, unknown>[];
  stderr: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}
const runners: AgentRunner[] = [];

/** Only what an outside machine has: the API's URL, a runner token, and the model's endpoint. */
function startAgentRunner(name: string): AgentRunner {
  const child = spawn(
    process.execPath,
    [bin, 'agent-runner', '--labels', 'edge,spare', '--lease-ms', String(LEASE_MS), '--json'],
    {
      cwd: repo,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: dir,
        NO_COLOR: '1',
        AOB_SERVER: apiUrl,
        AOB_TOKEN: runnerToken,
        AOB_LLM_BASE_URL: llm!.baseURL,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const runner: AgentRunner = {
    name,
    child,
    lines: [],
    stderr: [],
    // 'close': the output is all read by then.
    exited: new Promise((r) => child.once('close', (code, signal) => r({ code, signal }))),
  };
  let rest = '';
  child.stdout!.on('data', (d: Buffer) => {
    rest += d.toString();
    const parts = rest.split('\n');
    rest = parts.pop()!;
    for (const line of parts) if (line.trim()) runner.lines.push(JSON.parse(line) as never);
  });
  child.stderr!.on('data', (d: Buffer) => runner.stderr.push(d.toString()));
  const guard = () => child.kill('SIGKILL');
  process.once('exit', guard);
  child.once('exit', () => process.off('exit', guard));
  runners.push(runner);
  return runner;
}

async function waitFor<T>(what: string, check: () => T | undefined, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) {
      const said = runners.map((r) => `${r.name}: ${JSON.stringify(r.lines)} ${r.stderr.join('')}`);
      throw new Error(`${what}: not in time\n${said.join('\n')}`);
    }
    await sleep(50);
  }
}

const workflow = {
  name: 'outside-agent',
  version: '1',
  nodes: [
    {
      id: 'research',
      type: 'agent',
      with: {
        framework: 'openai-agents',
        model: 'gpt-fake-1',
        prompt: 'What do ducks eat?',
        runsOn: 'edge',
      },
    },
  ],
  output: '{% nodes.research.output.output %}',
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'aob-agent-runner-'));
  // Each attempt: a get_graph call (through the API, with the claim's job token), then the answer.
  // The first answer streams slowly: its runner is killed while it streams.
  llm = await startOpenAIFake({
    replies: [
      { toolCalls: [{ name: 'get_graph', arguments: {} }] },
      {
        content: 'Ducks eat plants and small animals, slowly.',
        chunks: Array.from({ length: 40 }, () => '.'),
        chunkDelayMs: 500,
      },
      {
        toolCalls: [{ name: 'get_graph', arguments: {} }],
        usage: { promptTokens: 4, completionTokens: 1 },
      },
      {
        content: 'Ducks eat plants and small animals.',
        usage: { promptTokens: 12, completionTokens: 7 },
      },
    ],
  });
  backends = await clusterBackends(tag);
  const [apiPort, grpcPort] = await freePorts(2);
  apiUrl = `http://127.0.0.1:${apiPort}`;
  services.push(
    new ServiceProcess(
      'api',
      { ...backends.env, AOB_API_PORT: String(apiPort), AOB_GRPC_PORT: String(grpcPort) },
      join(dir, 'api.log'),
    ),
    // No runner service: the agent job is taken by the agent runners only.
    new ServiceProcess('orchestrator', backends.env, join(dir, 'orchestrator.log')),
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
      '--namespace',
      'acme',
      '--database-url',
      backends.databaseUrl,
      '--json',
    ],
    { NO_COLOR: '1' },
  );
  expect(root.code, root.stderr).toBe(0);
  admin = new AobHttpClient({ baseUrl: apiUrl, token: json<{ token: string }>(root).token });
  operator = new AobHttpClient({
    baseUrl: apiUrl,
    token: (await admin.createToken({ subject: 'ops', role: 'operator' })).token,
  });
  const made = await aob(['token', 'create', '--role', 'runner', '--subject', 'edge-1', '--json'], {
    AOB_SERVER: apiUrl,
    AOB_TOKEN: json<{ token: string }>(root).token,
  });
  expect(made.code, made.stderr).toBe(0);
  runnerToken = json<{ token: string; role: string }>(made).token;
}, 180_000);

afterAll(async () => {
  for (const r of runners) r.child.kill('SIGKILL');
  await Promise.all(services.map((s) => s.close()));
  await backends?.stop();
  await llm?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 120_000);

describe('aob agent-runner', () => {
  it('refuses a token that is not a runner’s, and only a runner token may claim', async () => {
    await expect(operator.claimRunnerJob({ labels: ['edge'] })).rejects.toMatchObject({
      status: 403,
      code: 'FORBIDDEN',
    });
    const refused = await aob(['agent-runner', '--labels', 'edge', '--json'], {
      AOB_SERVER: apiUrl,
      AOB_TOKEN: (await admin.createToken({ subject: 'v', role: 'viewer' })).token,
    });
    expect(refused.code).toBe(2);
    expect(json<{ error: { code: string } }>(refused).error.code).toBe('FORBIDDEN');
  });

  it('executes a run’s agent node; killed mid-job, the other runner finishes it', async () => {
    const a = startAgentRunner('a');
    const b = startAgentRunner('b');
    for (const r of [a, b])
      await waitFor(`${r.name} ready`, () => r.lines.find((l) => l.type === 'ready'));
    expect(a.lines[0]).toMatchObject({
      subject: 'edge-1',
      namespace: 'acme',
      labels: ['edge', 'spare'],
    });

    const { runId } = await operator.startRun({ definition: workflow });
    // The runner that claimed the job is mid-answer (the model streams slowly): kill it.
    const holder = await waitFor('a claim', () =>
      [a, b].find((r) => r.lines.some((l) => l.type === 'claimed')),
    );
    const other = holder === a ? b : a;
    await waitFor('the slow answer', () => (llm!.calls >= 2 ? true : undefined));
    holder.child.kill('SIGKILL');
    expect((await holder.exited).signal).toBe('SIGKILL');

    // Its lease runs out; the other runner takes the same attempt and finishes it.
    const finished = await waitFor(
      'the other runner finishing',
      () => other.lines.find((l) => l.type === 'finished'),
      60_000,
    );
    expect(finished).toMatchObject({ outcome: 'succeeded', job: { runId, nodeId: 'research' } });
    expect(other.lines.find((l) => l.type === 'claimed')).toMatchObject({
      deliveries: 2,
      job: { runId, nodeId: 'research', attempt: 1 },
    });

    let view: RunView;
    for (;;) {
      view = await operator.waitRun(runId, { timeoutMs: 30_000 });
      if (view.status !== 'running' && view.status !== 'waiting') break;
    }
    expect(view.status).toBe('completed');
    expect(view.output).toBe('Ducks eat plants and small animals.');
    const events = (await operator.runEvents(runId)).items.filter(
      (e) => (e.data as { nodeId?: string }).nodeId === 'research',
    );
    expect(events.map((e) => e.type)).toEqual(['NodeScheduled', 'NodeStarted', 'NodeSucceeded']);
    expect(events[2]!.data).toMatchObject({
      attempt: 1,
      // The finishing attempt's two model calls, as the runner reported them.
      usage: { promptTokens: 16, completionTokens: 8 },
    });
    // Both attempts' agents read the run through the API (get_graph) with their claim's token.
    expect(llm!.calls).toBe(4);
    const node = await operator.getRunNode(runId, 'research');
    expect(node.output).toMatchObject({ framework: 'openai-agents', turns: 2 });

    // SIGTERM: the survivor stops taking jobs and exits 0.
    other.child.kill('SIGTERM');
    expect(await other.exited).toEqual({ code: 0, signal: null });
    expect(other.lines.at(-1), JSON.stringify(other.lines) + other.stderr.join('')).toMatchObject({
      type: 'stopped',
    });
  }, 180_000);

  it('an agent that asks suspends on one outside runner and goes on, answered, on the next', async () => {
    const asker = startAgentRunner('asker');
    await waitFor('asker ready', () => asker.lines.find((l) => l.type === 'ready'));
    const before = llm!.calls;
    llm!.script(
      {
        toolCalls: [
          { name: 'ask_user', arguments: { question: 'Which pond?', choices: ['mill', 'park'] } },
        ],
      },
      {
        content: 'Ducks of the mill pond eat bread.',
        usage: { promptTokens: 9, completionTokens: 6 },
      },
    );
    const asking = {
      ...workflow,
      name: 'outside-asker',
      nodes: [{ ...workflow.nodes[0]!, with: { ...workflow.nodes[0]!.with, ask: {} } }],
    };
    const { runId } = await operator.startRun({ definition: asking });
    // The run's timeline, as the canvas and `aob logs stream` follow it: the text the outside
    // runner's agent writes reaches it through the API.
    const streamed: string[] = [];
    const followed = (async () => {
      for await (const m of operator.runTimeline(runId, { after: 0 })) {
        if (m.kind === 'delta' && m.delta.nodeId === 'research') streamed.push(m.delta.delta);
      }
    })();
    const suspended = await waitFor('the suspension', () =>
      asker.lines.find((l) => l.type === 'finished' && l.outcome === 'suspended'),
    );
    expect(suspended).toMatchObject({ job: { runId, nodeId: 'research', attempt: 1 } });
    // The runner that asked is gone when the answer comes: the next one resumes the attempt.
    asker.child.kill('SIGKILL');
    await asker.exited;
    const next = startAgentRunner('next');
    await waitFor('next ready', () => next.lines.find((l) => l.type === 'ready'));

    const open = (await admin.questions({ run: runId })).items;
    expect(open).toMatchObject([{ nodeId: 'research', question: 'Which pond?', status: 'open' }]);
    const answered = await aob(['answer', open[0]!.questionId, 'mill', '--json'], {
      AOB_SERVER: apiUrl,
      AOB_TOKEN: (await admin.createToken({ subject: 'ann', role: 'approver' })).token,
    });
    expect(answered.code, answered.stderr).toBe(0);

    let view: RunView;
    for (;;) {
      view = await operator.waitRun(runId, { timeoutMs: 30_000 });
      if (view.status !== 'running' && view.status !== 'waiting') break;
    }
    expect(view.status, JSON.stringify(view.error)).toBe('completed');
    expect(view.output).toBe('Ducks of the mill pond eat bread.');
    await followed;
    expect(streamed.length).toBeGreaterThan(1);
    expect(streamed.join('')).toBe('Ducks of the mill pond eat bread.');
    // One model call before the question, one after: none made again.
    expect(llm!.calls - before).toBe(2);
    const types = (await operator.runEvents(runId)).items
      .filter((e) => (e.data as { nodeId?: string }).nodeId === 'research')
      .map((e) => e.type);
    expect(types).toEqual([
      'NodeScheduled',
      'NodeStarted',
      'QuestionAsked',
      'QuestionAnswered',
      'NodeStarted',
      'NodeSucceeded',
    ]);
    expect(next.lines.find((l) => l.type === 'finished')).toMatchObject({ outcome: 'succeeded' });
  }, 180_000);
});
