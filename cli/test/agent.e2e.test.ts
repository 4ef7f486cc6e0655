// Agents changing running graphs, driven through the `aob` binary as a user would, with the
// example's scripted OpenAI-compatible server standing in for the model (the real @openai/agents
// and LangGraph clients talk to it over HTTP).
import type { ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { aob, example, json, startScriptedLlm, tempHome } from './helpers.js';

interface RunJson {
  runId: string;
  status: string;
  output: { brief: { topic: string; plan: string; checked?: string }; summary: string };
  nodes: Record<string, { status: string; attempts: number }>;
}
interface PatchJson {
  patchId: string;
  status: string;
  author: string;
  violations: { code: string; path: string; message: string }[];
}
interface EventJson {
  seq: number;
  type: string;
  data: { nodeId?: string; patchId?: string; reused?: string };
}

let llm: ChildProcess;
let baseUrl: string;
beforeAll(async () => {
  ({ baseUrl, child: llm } = await startScriptedLlm());
});
afterAll(() => {
  llm.kill('SIGTERM');
});

const modelCalls = async (): Promise<number> =>
  ((await (await fetch(baseUrl.replace(/\/v1$/, '/stats'))).json()) as { calls: number }).calls;

let home: string;
let cleanup: () => void;
let env: Record<string, string>;
beforeEach(() => {
  ({ home, cleanup } = tempHome());
  env = { AOB_HOME: home, AOB_LLM_BASE_URL: baseUrl, AOB_LLM_API_KEY: 'sk-e2e' };
});
afterEach(() => cleanup());

/** The example workflow, with its agent on another framework and any edits. */
function variant(
  framework: 'openai-agents' | 'langgraph',
  edit?: (def: Record<string, unknown>) => void,
) {
  const def = JSON.parse(readFileSync(example('agent-patch/workflow.json'), 'utf8')) as {
    nodes: { id: string; with: Record<string, unknown> }[];
  } & Record<string, unknown>;
  def.nodes.find((n) => n.id === 'planner')!.with.framework = framework;
  edit?.(def);
  const file = join(home, `workflow-${framework}.json`);
  writeFileSync(file, JSON.stringify(def));
  return file;
}

describe.each(['openai-agents', 'langgraph'] as const)('an agent on %s', (framework) => {
  it('adds a node mid-run and the run goes through it', async () => {
    const r = await aob(
      ['run', 'start', variant(framework), '--input', 'topic=ducks', '--json'],
      env,
    );
    expect(r.code, r.stderr).toBe(0);
    const run = json<RunJson>(r);
    expect(run.status).toBe('completed');
    expect(run.nodes.factcheck).toEqual({ status: 'succeeded', attempts: 1 });
    expect(run.output.brief).toEqual({
      topic: 'ducks',
      plan: 'Proposed 1 patch(es): applied.',
      checked: '2 claims checked',
    });

    const patches = json<PatchJson[]>(
      await aob(['patch', 'list', '--run', run.runId, '--json'], env),
    );
    expect(patches).toMatchObject([{ status: 'applied', author: 'agent:planner' }]);

    // Mid-run: the patch was applied while the agent node ran, and factcheck started after it.
    const events = (await aob(['logs', 'stream', run.runId, '--no-follow', '--json'], env)).stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as EventJson);
    const at = (pred: (e: EventJson) => boolean) => events.find(pred)!.seq;
    const plannerStarted = at((e) => e.type === 'NodeStarted' && e.data.nodeId === 'planner');
    const applied = at((e) => e.type === 'PatchApplied');
    const plannerDone = at((e) => e.type === 'NodeSucceeded' && e.data.nodeId === 'planner');
    const factcheck = at((e) => e.type === 'NodeScheduled' && e.data.nodeId === 'factcheck');
    expect(plannerStarted).toBeLessThan(applied);
    expect(applied).toBeLessThan(plannerDone);
    expect(applied).toBeLessThan(factcheck);
  });

  it('has a cycle, an SSRF URL and a change to a finished node rejected with their codes; the run goes on', async () => {
    const r = await aob(
      [
        'run',
        'start',
        variant(framework),
        '--input',
        'topic=ducks',
        '--input',
        'task=misbehave',
        '--json',
      ],
      env,
    );
    expect(r.code, r.stderr).toBe(0);
    const run = json<RunJson>(r);
    expect(run.status).toBe('completed');
    expect(run.output.brief.plan).toBe(
      'Proposed 3 patch(es): rejected (CYCLE); rejected (SSRF); rejected (IMMUTABLE_NODE).',
    );
    const patches = json<PatchJson[]>(
      await aob(['patch', 'list', '--run', run.runId, '--json'], env),
    );
    expect(patches.map((p) => p.status)).toEqual(['rejected', 'rejected', 'rejected']);
    const shown = await Promise.all(
      patches.map(async (p) =>
        json<PatchJson>(await aob(['patch', 'show', p.patchId, '--json'], env)),
      ),
    );
    expect(shown.map((p) => p.violations.map((v) => v.code))).toEqual([
      ['CYCLE'],
      ['SSRF'],
      ['IMMUTABLE_NODE'],
    ]);
    expect(shown[1]!.violations[0]!.path).toBe('/ops/0/value/with/url');
  });
});

describe('after an agent', () => {
  it('a person reverts its patch before the added node runs; the run completes without it', async () => {
    // A gate after the planner keeps the node it adds ("after gate") pending.
    const file = variant('openai-agents', (def) => {
      (def.nodes as unknown[]).push({
        id: 'gate',
        type: 'approval',
        with: { approvers: ['editors'] },
      });
      def.edges = [
        { from: 'gather', to: 'planner' },
        { from: 'planner', to: 'gate' },
        { from: 'gate', to: 'brief', on: 'approved' },
        { from: 'brief', to: 'summary' },
      ];
    });
    const started = json<{ runId: string; status: string }>(
      await aob(
        [
          'run',
          'start',
          file,
          '--input',
          'topic=ducks',
          '--input',
          'task=check after gate',
          '--detach',
          '--json',
        ],
        env,
      ),
    );
    expect(started.status).toBe('waiting');
    const [patch] = json<PatchJson[]>(
      await aob(['patch', 'list', '--run', started.runId, '--json'], env),
    );
    expect(patch).toMatchObject({ status: 'applied', author: 'agent:planner' });

    const reverted = await aob(['patch', 'revert', patch!.patchId, '--json'], env);
    expect(reverted.code, reverted.stdout + reverted.stderr).toBe(0);
    const [ticket] = json<{ ticketId: string }[]>(await aob(['approvals', 'list', '--json'], env));
    expect((await aob(['approve', ticket!.ticketId, 'approve', '--json'], env)).code).toBe(0);
    const done = json<RunJson>(await aob(['run', 'get', started.runId, '--json'], env));
    expect(done.status).toBe('completed');
    expect(done.nodes.factcheck).toBeUndefined();
    expect(done.output.brief.checked).toBeUndefined();
  });

  it('a freeze replay reuses the recorded agent and llm outputs without calling the model', async () => {
    const original = json<RunJson>(
      await aob(['run', 'start', variant('langgraph'), '--input', 'topic=ducks', '--json'], env),
    );
    expect(original.status).toBe('completed');
    const before = await modelCalls();
    const r = await aob(
      ['replay', original.runId, '--from', 'brief', '--mode', 'freeze', '--json'],
      env,
    );
    expect(r.code, r.stderr).toBe(0);
    const replay = json<RunJson>(r);
    expect(replay.status).toBe('completed');
    expect(replay.output).toEqual(original.output);
    expect(await modelCalls()).toBe(before);
    const events = (
      await aob(['logs', 'stream', replay.runId, '--no-follow', '--json'], env)
    ).stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as EventJson);
    const reused = Object.fromEntries(
      events
        .filter((e) => e.type === 'NodeSucceeded')
        .map((e) => [e.data.nodeId, e.data.reused ?? 'ran']),
    );
    expect(reused).toMatchObject({ planner: 'recorded', summary: 'frozen', brief: 'ran' });
  });
});
