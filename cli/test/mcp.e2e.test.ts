// `aob mcp` through a real MCP client: the SDK's Client over StdioClientTransport spawning the
// binary. Locally: the tools with their schemas and annotations; a run started, waited on and its
// node read; a run of examples/ask waiting on a question, question_list showing it, a wrong
// answer refused as an isError result (BAD_ANSWER and the problem), a right one answered and the
// run carried on by the MCP server's process; --role agent proposing but never deciding. Against
// `aob dev` (stdio relayed to its /mcp): a question named for ann is refused to another token
// (FORBIDDEN) and answered by ann's; a revoked token is refused at once.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { MCP_TOOLS } from '@aob/control';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Dev } from './helpers.js';
import { aob, bin, example, json, repo, startDev, tempHome, until } from './helpers.js';

interface QuestionJson {
  questionId: string;
  runId: string;
  nodeId: string;
  status: string;
  question: string;
  choices?: unknown[];
  answered?: { answer: unknown; by: string };
}

/** An MCP client talking to `aob mcp` spawned with `env`; its stderr kept for failures. */
async function connect(
  env: Record<string, string>,
  flags: string[] = [],
): Promise<{ client: Client; stderr: () => string }> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [bin, 'mcp', ...flags],
    cwd: repo,
    env: { ...(process.env as Record<string, string>), NO_COLOR: '1', ...env },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const client = new Client({ name: 'aob-mcp-e2e', version: '0.0.0' });
  await client.connect(transport);
  return { client, stderr: () => stderr };
}

async function call(client: Client, name: string, args: Record<string, unknown>) {
  return (await client.callTool({ name, arguments: args })) as CallToolResult;
}

function texts(r: CallToolResult): string[] {
  return r.content.flatMap((c) => (c.type === 'text' ? [c.text] : []));
}

/** The error document an isError result carries (its second text). */
function errorOf(r: CallToolResult): {
  code: string;
  message: string;
  problems?: { path: string; message: string }[];
} {
  expect(r.isError, texts(r).join('\n')).toBe(true);
  return (JSON.parse(texts(r)[1]!) as { error: ReturnType<typeof errorOf> }).error;
}

const open: Client[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

describe('aob mcp, locally', () => {
  let home: string;
  let cleanup: () => void;
  let env: Record<string, string>;
  beforeAll(() => {
    ({ home, cleanup } = tempHome());
    env = { AOB_HOME: home, USER: 'ann' };
  });
  afterAll(() => cleanup());

  it('lists its tools with input and output schemas and annotations', async () => {
    const { client } = await connect(env);
    open.push(client);
    const { tools } = await client.listTools();
    const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
    // The binary serves exactly the server's tools (their list is checked against the issue's
    // in packages/control/src/mcp/mcp-http.int.test.ts).
    expect(Object.keys(byName)).toEqual(MCP_TOOLS.map((t) => t.name));
    for (const t of tools) {
      expect(t.inputSchema.type).toBe('object');
      expect(t.outputSchema?.type, t.name).toBe('object');
      expect(t.description, t.name).toBeTruthy();
    }
    expect(byName.question_list!.inputSchema.properties).toHaveProperty('run');
    expect(byName.question_list!.inputSchema.properties).toHaveProperty('status');
    expect(byName.question_answer!.inputSchema.required).toEqual(['questionId', 'answer']);
    expect(byName.question_show!.inputSchema.required).toEqual(['questionId']);
    expect(byName.run_get!.inputSchema.required).toEqual(['runId']);
    expect(byName.question_list!.outputSchema!.required).toEqual(['items']);
    expect(byName.run_get!.outputSchema!.required).toEqual(
      expect.arrayContaining(['runId', 'status', 'nodes']),
    );
    for (const name of ['question_list', 'question_show', 'run_get']) {
      expect(byName[name]!.annotations, name).toMatchObject({
        readOnlyHint: true,
        idempotentHint: true,
      });
    }
    expect(byName.question_answer!.annotations).toMatchObject({
      readOnlyHint: false,
      destructiveHint: false,
      idempotentHint: false,
    });
  });

  it('starts a run, waits for it and reads its node, as the local user', async () => {
    const { client } = await connect(env);
    open.push(client);
    const definition = {
      name: 'greet',
      version: '1',
      nodes: [{ id: 'hello', type: 'transform', with: { value: "{% 'hello ' & inputs.who %}" } }],
      output: '{% nodes.hello.output %}',
    };
    const started = await call(client, 'run_start', { definition, inputs: { who: 'ann' } });
    expect(started.isError, texts(started).join('\n')).toBeFalsy();
    const { runId } = started.structuredContent as { runId: string };
    const waited = await call(client, 'run_wait', { runId, timeoutMs: 20_000 });
    expect(waited.structuredContent).toMatchObject({
      run: { runId, status: 'completed', output: 'hello ann' },
      timedOut: false,
    });
    const node = await call(client, 'node_output', { runId, nodeId: 'hello' });
    expect(node.structuredContent).toMatchObject({ status: 'succeeded', output: 'hello ann' });
    // The run is in the store for every other command.
    const got = json<{ status: string }>(await aob(['run', 'get', runId, '--json'], env));
    expect(got.status).toBe('completed');
  });

  it('with --role agent, proposes but never decides', async () => {
    const file = join(home, 'gate.json');
    writeFileSync(file, JSON.stringify(GATE));
    const started = await aob(['run', 'start', file, '--detach', '--json'], env);
    expect(started.code, started.stderr).toBe(4);
    const runId = json<{ runId: string }>(started).runId;
    const { client } = await connect(env, ['--role', 'agent', '--by', 'claude']);
    open.push(client);
    const tickets = await until('the approval ticket', async () => {
      const r = await call(client, 'approval_list', {});
      const items = (r.structuredContent as { items: { ticketId: string; runId: string }[] }).items;
      return items.find((t) => t.runId === runId);
    });
    const decided = await call(client, 'approval_decide', {
      ticketId: tickets.ticketId,
      decision: 'approve',
    });
    expect(errorOf(decided)).toMatchObject({ code: 'FORBIDDEN' });
    expect(errorOf(decided).message).toContain('claude is agent');
  });

  it('lists the question of a waiting run, refuses a wrong answer, answers it and carries the run on', async () => {
    const started = await aob(
      [
        'run',
        'start',
        example('ask/workflow.json'),
        '--input',
        'restaurant=Noma',
        '--detach',
        '--json',
      ],
      env,
    );
    expect(started.code, started.stderr).toBe(4);
    const runId = json<{ runId: string }>(started).runId;

    const { client, stderr } = await connect(env);
    open.push(client);
    const listed = await call(client, 'question_list', {});
    expect(listed.isError, texts(listed).join('\n')).toBeFalsy();
    const questions = (listed.structuredContent as { items: QuestionJson[] }).items;
    expect(questions).toMatchObject([
      {
        runId,
        nodeId: 'guests',
        status: 'open',
        question: 'How many guests for Noma?',
        choices: [2, 4, 6, 8],
      },
    ]);
    const questionId = questions[0]!.questionId;
    expect(texts(listed)[0]).toContain(questionId);
    const ofRun = await call(client, 'question_list', { run: runId });
    expect(ofRun.structuredContent).toEqual({ items: questions });
    const ofNone = await call(client, 'question_list', { run: 'run_none' });
    expect(errorOf(ofNone)).toMatchObject({ code: 'RUN_NOT_FOUND', message: 'no run run_none' });

    const shown = await call(client, 'question_show', { questionId });
    expect(shown.structuredContent).toMatchObject({ questionId, status: 'open' });
    const unknown = await call(client, 'question_show', { questionId: 'qst_nope' });
    expect(errorOf(unknown).code).toBe('QUESTION_NOT_FOUND');

    const wrong = await call(client, 'question_answer', { questionId, answer: 5 });
    const bad = errorOf(wrong);
    expect(bad.code).toBe('BAD_ANSWER');
    expect(bad.problems).toEqual([
      expect.objectContaining({ path: '/answer', message: 'must be one of 2, 4, 6, 8 (got 5)' }),
    ]);
    expect(texts(wrong)[0]).toContain('/answer: must be one of 2, 4, 6, 8 (got 5)');
    // A call without the answer is refused by the input schema, as a tool result too.
    const missing = await call(client, 'question_answer', { questionId });
    expect(missing.isError).toBe(true);

    const right = await call(client, 'question_answer', { questionId, answer: 4 });
    expect(right.isError, texts(right).join('\n')).toBeFalsy();
    expect(right.structuredContent).toMatchObject({
      questionId,
      runId,
      status: 'answered',
      answered: { answer: 4, by: 'ann' },
    });
    expect(texts(right)[0]).toContain(`run ${runId} goes on`);
    const again = await call(client, 'question_answer', { questionId, answer: 4 });
    expect(errorOf(again).code).toBe('QUESTION_CLOSED');

    // The MCP server's process carried the run on, to its next question.
    const next = await until('the run to ask its next question', async () => {
      const r = await call(client, 'run_get', { runId });
      const run = r.structuredContent as { status: string; questions?: string[] };
      return run.status === 'waiting' && run.questions?.length ? run : undefined;
    });
    expect(next.questions).toHaveLength(1);
    const details = await call(client, 'question_answer', {
      questionId: next.questions![0],
      answer: { time: '19:30', notes: 'one vegan' },
    });
    expect(details.isError, texts(details).join('\n')).toBeFalsy();
    const done = await until('the run to complete', async () => {
      const got = json<{ status: string; output?: unknown }>(
        await aob(['run', 'get', runId, '--json'], env),
      );
      return got.status === 'completed' ? got : undefined;
    });
    expect(done.output).toEqual({
      guests: 4,
      time: '19:30',
      notes: 'one vegan',
      bookedWith: 'ann',
    });
    expect(stderr()).toContain('aob mcp: serving on stdio');
  });

  it('returns an unknown run as an isError result', async () => {
    const { client } = await connect(env);
    open.push(client);
    const r = await call(client, 'run_get', { runId: 'run_nope' });
    expect(errorOf(r).code).toBe('RUN_NOT_FOUND');
  });
});

const GATE = {
  name: 'gate',
  version: '1',
  nodes: [
    { id: 'a', type: 'transform', with: { value: 1 } },
    { id: 'approve', type: 'approval', with: { approvers: ['user:ann'] } },
  ],
  edges: [{ from: 'a', to: 'approve' }],
};

const ASK_ANN = {
  name: 'ask-ann',
  version: '1',
  nodes: [
    {
      id: 'ask',
      type: 'ask',
      with: { question: 'Ship it?', choices: ['yes', 'no'], askees: ['user:ann'] },
    },
  ],
  edges: [],
  output: '{% nodes.ask.output %}',
};

describe('aob mcp against aob dev', () => {
  let home: string;
  let cleanup: () => void;
  let dev: Dev;
  let as: (token: string) => Record<string, string>;
  let root: string;

  beforeAll(async () => {
    ({ home, cleanup } = tempHome());
    dev = await startDev({ AOB_HOME: home });
    root = dev.token;
    as = (token) => ({
      AOB_HOME: join(home, 'must-stay-unused'),
      AOB_SERVER: dev.url,
      AOB_TOKEN: token,
    });
  }, 60_000);

  afterAll(async () => {
    await dev?.stop();
    cleanup();
  });

  it('FORBIDDEN for a token that is not an askee; the askee answers and the run completes', async () => {
    const token = async (subject: string) => {
      const r = await aob(
        ['token', 'create', '--role', 'approver', '--subject', subject, '--json'],
        as(root),
      );
      expect(r.code, r.stderr).toBe(0);
      return json<{ token: string }>(r).token;
    };
    const ann = await token('ann');
    const bob = await token('bob');
    const file = join(home, 'ask.json');
    writeFileSync(file, JSON.stringify(ASK_ANN));
    const started = await aob(['run', 'start', file, '--detach', '--json'], as(root));
    expect(started.code, started.stderr).toBe(4);
    const runId = json<{ runId: string }>(started).runId;

    const asBob = await connect(as(bob));
    open.push(asBob.client);
    const listed = await call(asBob.client, 'question_list', { run: runId });
    const [q] = (listed.structuredContent as { items: QuestionJson[] }).items;
    expect(q).toMatchObject({ runId, nodeId: 'ask', status: 'open', eligible: false });
    const refused = await call(asBob.client, 'question_answer', {
      questionId: q!.questionId,
      answer: 'yes',
    });
    expect(errorOf(refused).code).toBe('FORBIDDEN');

    const asAnn = await connect(as(ann));
    open.push(asAnn.client);
    const answered = await call(asAnn.client, 'question_answer', {
      questionId: q!.questionId,
      answer: 'no',
    });
    expect(answered.isError, texts(answered).join('\n')).toBeFalsy();
    expect(answered.structuredContent).toMatchObject({
      runId,
      status: 'answered',
      answered: { answer: 'no', by: 'ann' },
    });
    const done = await until('the run to complete', async () => {
      const r = await call(asAnn.client, 'run_get', { runId });
      const run = r.structuredContent as { status: string; output?: unknown };
      return run.status === 'completed' ? run : undefined;
    });
    expect(done.output).toEqual({ answer: 'no', by: 'ann' });
  }, 60_000);

  it('refuses a revoked token at once, through the relay', async () => {
    const created = await aob(
      ['token', 'create', '--role', 'viewer', '--subject', 'temp', '--json'],
      as(root),
    );
    const { token, tokenId } = json<{ token: string; tokenId: string }>(created);
    const { client, stderr } = await connect(as(token));
    open.push(client);
    expect((await call(client, 'run_list', {})).isError).toBeFalsy();
    const revoked = await aob(['token', 'revoke', tokenId, '--json'], as(root));
    expect(revoked.code, revoked.stderr).toBe(0);
    await expect(call(client, 'run_list', {})).rejects.toThrow(/401|UNAUTHENTICATED|Unauthorized/);
    expect(stderr()).toContain(`relaying stdio to ${dev.url}/mcp`);
  });
});
