// An agent node that drives another workflow through aob's own MCP server: `aob dev` serves /mcp;
// a run of examples/delegate on another store names it in AOB_MCP_SERVERS (with an operator's
// token) and its scripted model calls aob__run_start and aob__run_wait there. The doubler run is
// on the server, started by the token's subject, and its result is the agent's answer. A run
// naming a server the settings lack is refused before it starts.
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dev } from './helpers.js';
import { aob, example, json, startDev, startScriptedLlm, tempHome } from './helpers.js';

let server: { home: string; cleanup: () => void };
let client: { home: string; cleanup: () => void };
let dev: Dev;
let llm: ChildProcess;
let baseUrl: string;
let operator: string;

beforeAll(async () => {
  server = tempHome();
  client = tempHome();
  [dev, { baseUrl, child: llm }] = await Promise.all([
    startDev({ AOB_HOME: server.home }),
    startScriptedLlm('delegate/scripted-llm.mjs'),
  ]);
  const asRoot = { AOB_SERVER: dev.url, AOB_TOKEN: dev.token };
  const registered = await aob(['workflow', 'register', example('delegate/doubler.json')], asRoot);
  expect(registered.code, registered.stderr).toBe(0);
  const made = await aob(
    ['token', 'create', '--role', 'operator', '--subject', 'delegate-bot', '--json'],
    asRoot,
  );
  expect(made.code, made.stderr).toBe(0);
  operator = json<{ token: string }>(made).token;
}, 60_000);

afterAll(async () => {
  llm?.kill('SIGTERM');
  await dev?.stop();
  server?.cleanup();
  client?.cleanup();
});

describe('an agent with aob’s own MCP server', () => {
  it('starts and waits for a run of another workflow on the server, and answers with its result', async () => {
    const env = {
      AOB_HOME: client.home,
      AOB_LLM_BASE_URL: baseUrl,
      AOB_LLM_API_KEY: 'sk-e2e',
      AOB_MCP_SERVERS: JSON.stringify({ aob: { url: `${dev.url}/mcp`, token: operator } }),
    };
    const ran = await aob(
      [
        'run',
        'start',
        example('delegate/workflow.json'),
        '--input',
        'n=21',
        '--allow-private-network',
        '--json',
      ],
      env,
    );
    expect(ran.code, ran.stderr).toBe(0);
    const run = json<{ runId: string; status: string; output: string }>(ran);
    expect(run.output).toMatch(/^Run run_\w+ of doubler is completed: 42\.$/);
    const childRunId = /Run (run_\w+)/.exec(run.output)![1]!;

    // The doubler run is on the server, started by the operator token's subject.
    const onServer = await aob(['run', 'get', childRunId, '--json'], {
      AOB_SERVER: dev.url,
      AOB_TOKEN: dev.token,
    });
    expect(onServer.code, onServer.stderr).toBe(0);
    expect(json(onServer)).toMatchObject({ status: 'completed', output: 42 });
    const events = (
      (await (
        await fetch(`${dev.url}/v1/runs/${childRunId}/events`, {
          headers: { authorization: `Bearer ${dev.token}` },
        })
      ).json()) as { items: { type: string; actor?: string }[] }
    ).items;
    expect(events.find((e) => e.type === 'RunStarted')?.actor).toBe('delegate-bot');

    // The model was called three times: the task, run_start's answer, run_wait's answer.
    const calls = (await (await fetch(baseUrl.replace(/\/v1$/, '/calls'))).json()) as {
      messages: { role: string; content: unknown }[];
    }[];
    const last = JSON.stringify(calls.at(-1)!.messages.filter((m) => m.role === 'tool'));
    expect(calls).toHaveLength(3);
    expect(last).toContain(childRunId);
    expect(last).toContain('completed');
  }, 90_000);

  it('refuses a run naming a server its settings lack, before it starts', async () => {
    const env = {
      AOB_HOME: client.home,
      AOB_LLM_BASE_URL: baseUrl,
      AOB_LLM_API_KEY: 'sk-e2e',
      AOB_MCP_SERVERS: JSON.stringify({ other: { url: `${dev.url}/mcp` } }),
    };
    const before = json<unknown[]>(await aob(['run', 'list', '--json'], env)).length;
    const refused = await aob(
      ['run', 'start', example('delegate/workflow.json'), '--input', 'n=1', '--json'],
      env,
    );
    expect(refused.code).toBe(2);
    expect(refused.stdout + refused.stderr).toContain('MCP_NOT_CONFIGURED');
    expect(refused.stdout + refused.stderr).toContain('/nodes/0/with/mcp/0');
    expect(json<unknown[]>(await aob(['run', 'list', '--json'], env))).toHaveLength(before);
  });
});
