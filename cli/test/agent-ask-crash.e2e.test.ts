// Issue 15, item 4 — an agent that asks survives the loss of every runner: on PostgreSQL, Kafka
// and S3 with the api, the orchestrator and two runners as `aob server` processes, one run holds
// an agent on each framework (openai-agents, langgraph) that reads its run (get_graph) and then
// asks a person (ask_user). Once both questions are open, both runner processes are kill -9ed;
// the questions are answered through the CLI (`aob answer` against the api, with an approver's
// token); a new runner process takes the resumed
// jobs and finishes the run. The model is the repo's OpenAI-compatible fake, in this process so
// it outlives the runners; its call log shows every model call made before a question exactly
// once — none was made again after the crash — and one call after each answer. The counts are
// printed on one line.
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnyRunEvent } from '@aob/core';
import { AobHttpClient } from '@aob/client';
import type { QuestionView } from '@aob/client';
import { startOpenAIFake } from '../../packages/engine/src/testing/openai-fake.js';
import type {
  FakeReply,
  OpenAIFake,
  RecordedRequest,
} from '../../packages/engine/src/testing/openai-fake.js';
import { ServiceProcess, clusterBackends, freePorts, sleep } from './cluster-harness.js';
import type { ClusterBackends } from './cluster-harness.js';
import { aob, json } from './helpers.js';

const tag = `ask${randomBytes(4).toString('hex')}`;
const FRAMEWORKS = ['openai-agents', 'langgraph'] as const;

// ---- the model: replies follow from the conversation (a runner may call it in any order) ------

type Message = { role: string; content?: unknown; tool_call_id?: string };
const textOf = (m: Message): string =>
  typeof m.content === 'string'
    ? m.content
    : Array.isArray(m.content)
      ? (m.content as { text?: string }[]).map((p) => p.text ?? '').join('')
      : '';

/** Which agent a call is for: the framework named in its task. */
const agentOf = (r: RecordedRequest): string => {
  const task = ((r.messages ?? []) as Message[]).find((m) => m.role === 'user');
  return /for (\S+)\.$/.exec(task ? textOf(task) : '')?.[1] ?? '?';
};

/** First the graph, then the question, then an answer built on the person's reply. */
function reply(r: RecordedRequest): FakeReply {
  const messages = (r.messages ?? []) as Message[];
  const results = messages.filter((m) => m.role === 'tool');
  const agent = agentOf(r);
  const usage = { promptTokens: 10, completionTokens: 5 };
  if (results.length === 0) {
    return { toolCalls: [{ id: `graph-${agent}`, name: 'get_graph', arguments: {} }], usage };
  }
  if (results.length === 1) {
    return {
      toolCalls: [
        {
          id: `ask-${agent}`,
          name: 'ask_user',
          arguments: { question: `How many people (${agent})?`, choices: ['2', '4', '6'] },
        },
      ],
      usage,
    };
  }
  const answer = JSON.parse(textOf(results[results.length - 1]!)) as unknown;
  return { content: `A table for ${String(answer)} is booked by ${agent}.`, usage };
}

const agentNode = (framework: string) => ({
  id: framework === 'langgraph' ? 'lg' : 'oa',
  type: 'agent',
  with: {
    framework,
    model: 'fast',
    prompt: `Book a table for ${framework}.`,
    ask: { askees: ['ann'] },
  },
});

const WORKFLOW = {
  name: 'ask-crash',
  version: '1',
  nodes: FRAMEWORKS.map(agentNode),
  edges: [],
  output: "{% { 'oa': nodes.oa.output.output, 'lg': nodes.lg.output.output } %}",
};

// ---- the topology ----------------------------------------------------------------------------

let dir: string;
let backends: ClusterBackends | undefined;
let llm: OpenAIFake | undefined;
let api: ServiceProcess | undefined;
let orchestrator: ServiceProcess | undefined;
const runners: ServiceProcess[] = [];
let runnerEnv: Record<string, string>;
let ann: AobHttpClient;
let annEnv: Record<string, string>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'aob-ask-crash-'));
  llm = await startOpenAIFake({ respond: reply });
  backends = await clusterBackends(tag);
  const [apiPort, grpcPort] = await freePorts(2);
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  api = new ServiceProcess(
    'api',
    { ...backends.env, AOB_API_PORT: String(apiPort), AOB_GRPC_PORT: String(grpcPort) },
    join(dir, 'api.log'),
  );
  orchestrator = new ServiceProcess('orchestrator', backends.env, join(dir, 'orchestrator.log'));
  // No AOB_DATABASE_URL: runners reach runs through the api only.
  const { AOB_DATABASE_URL: _db, ...withoutDatabase } = backends.env;
  runnerEnv = {
    ...withoutDatabase,
    AOB_LLM_BASE_URL: llm.baseURL,
    AOB_LLM_MODELS: '{"fast":"gpt-fake-1"}',
    AOB_API_URL: apiUrl,
  };
  for (const i of [1, 2]) {
    runners.push(new ServiceProcess('runner', runnerEnv, join(dir, `runner-${i}.log`)));
  }
  // One at a time: each takes a free health port, which a start alongside could take too.
  for (const s of [api, orchestrator, ...runners]) await s.start();

  const root = await aob(
    [
      'token',
      'create',
      ...['--role', 'admin', '--subject', 'root'],
      ...['--database-url', backends.databaseUrl, '--json'],
    ],
    { NO_COLOR: '1' },
  );
  expect(root.code, root.stderr).toBe(0);
  const admin = new AobHttpClient({ baseUrl: apiUrl, token: json<{ token: string }>(root).token });
  const token = (await admin.createToken({ subject: 'ann', role: 'approver' })).token;
  ann = new AobHttpClient({ baseUrl: apiUrl, token });
  annEnv = { AOB_SERVER: apiUrl, AOB_TOKEN: token, NO_COLOR: '1' };
}, 180_000);

afterAll(async () => {
  await Promise.all([...runners, orchestrator, api].map((s) => s?.close()));
  await backends?.stop();
  await llm?.close();
  if (process.env.AOB_KEEP_CRASH_DIR) process.stderr.write(`[ask-crash] logs kept in ${dir}\n`);
  else if (dir) rmSync(dir, { recursive: true, force: true });
}, 120_000);

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 90_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

describe('an agent that asks, on the cluster, when every runner is killed', () => {
  it('goes on from its saved state on a new runner once answered, repeating no model call', async () => {
    const { runId } = await ann.startRun({ definition: WORKFLOW });
    const open = await until('both questions', async () => {
      const page = await ann.questions({ run: runId });
      return page.items.length === 2 ? page.items : undefined;
    });
    const before = llm!.requests.length;
    expect(before).toBe(4); // two calls per agent: get_graph, then ask_user

    // Every runner dies at once, hard: nothing in their memory survives.
    await Promise.all(runners.map((r) => r.kill('SIGKILL')));
    expect(runners.every((r) => !r.alive)).toBe(true);

    const answers: Record<string, string> = { oa: '4', lg: '6' };
    for (const q of open as QuestionView[]) {
      expect(q).toMatchObject({ kind: 'agent', status: 'open', askees: ['ann'], attempt: 1 });
      const r = await aob(['answer', q.questionId, answers[q.nodeId]!, '--json'], annEnv);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.stringify(json(r))).toContain(`"answer":"${answers[q.nodeId]}"`);
      const answered = await ann.question(q.questionId);
      expect(answered.answered).toMatchObject({ answer: answers[q.nodeId], by: 'ann' });
    }
    // Nothing can call the model now: no runner is alive.
    await sleep(500);
    expect(llm!.requests.length).toBe(before);

    const fresh = new ServiceProcess('runner', runnerEnv, join(dir, 'runner-3.log'));
    runners.push(fresh);
    await fresh.start();
    const view = await ann.waitRun(runId, { timeoutMs: 60_000 });
    expect(view.status, JSON.stringify(view.error)).toBe('completed');

    const after = llm!.requests.length - before;
    // Each call is a distinct conversation: a call made again would show twice.
    const conversations = llm!.requests.map((r) => JSON.stringify(r.messages));
    const repeated = conversations.length - new Set(conversations).size;
    const perAgent = Object.fromEntries(
      FRAMEWORKS.map((f) => [f, llm!.requests.filter((r) => agentOf(r) === f).length]),
    );
    process.stdout.write(
      `[ask-crash] runners killed: 2 (SIGKILL), answered with aob answer, finished by a new runner; ` +
        `model calls before the questions: ${before}, after: ${after}, repeated: ${repeated} ` +
        `(per agent: ${JSON.stringify(perAgent)})\n`,
    );
    expect(after).toBe(2); // one per agent: the answer, then the final reply
    expect(repeated).toBe(0);
    expect(perAgent).toEqual({ 'openai-agents': 3, langgraph: 3 });

    // The resumed agents saw the answers as ask_user's results, after the whole conversation.
    for (const f of FRAMEWORKS) {
      const last = llm!.requests.filter((r) => agentOf(r) === f).at(-1)!;
      const tools = ((last.messages ?? []) as Message[]).filter((m) => m.role === 'tool');
      expect(tools.map((m) => m.tool_call_id)).toEqual([`graph-${f}`, `ask-${f}`]);
    }
    const output = (await ann.getRun(runId)).output as Record<string, string> | undefined;
    expect(output).toEqual({
      oa: 'A table for 4 is booked by openai-agents.',
      lg: 'A table for 6 is booked by langgraph.',
    });
    const events: AnyRunEvent[] = (await ann.runEvents(runId, { limit: 1_000 })).items;
    const count = (type: string) => events.filter((e) => e.type === type).length;
    expect([count('NodeScheduled'), count('QuestionAsked'), count('QuestionAnswered')]).toEqual([
      2, 2, 2,
    ]);
  }, 240_000);
});
