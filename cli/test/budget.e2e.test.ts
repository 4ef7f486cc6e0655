// `aob run start --budget` as a user runs it: the real binary, its local engine, the OpenAI client
// talking to the OpenAI-compatible fake. A token budget halts repeated llm calls (exit 1, the
// limit named in `run get`, both human and --json), and a looping agent mid-attempt; a bad
// --budget is refused naming every problem (exit 2) and stores no run.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startOpenAIFake } from '../../packages/engine/src/testing/openai-fake.js';
import type { OpenAIFake } from '../../packages/engine/src/testing/openai-fake.js';
import { aob, example, json, tempHome } from './helpers.js';

interface RunJson {
  runId: string;
  status: string;
  error?: { code: string };
  usage: { tokens: number; costUsd: number; nodes: number; wallMs: number };
  budget?: Record<string, unknown>;
  budgetExceeded?: { limit: string; budget: number; used: number };
}

let home: string;
let cleanup: () => void;
let fake: OpenAIFake;
let env: Record<string, string>;
/** Asks the model once per question, one at a time; its own budget: 20000 tokens, 10 minutes. */
const workflow = example('budget', 'workflow.json');
beforeEach(async () => {
  ({ home, cleanup } = tempHome());
  fake = await startOpenAIFake({
    respond: () => ({ content: 'ok', usage: { promptTokens: 30, completionTokens: 20 } }),
  });
  env = {
    AOB_HOME: home,
    AOB_LLM_BASE_URL: fake.baseURL,
    AOB_LLM_MODELS: '{"fast":"gpt-4o-mini"}',
    AOB_LLM_PRICES: '{"fast":{"input":0.15,"output":0.6}}',
  };
});
afterEach(async () => {
  await fake.close();
  cleanup();
});

describe('aob run start --budget', () => {
  it('halts a run that crosses its token budget, and run get shows usage against it', async () => {
    const questions = JSON.stringify(['a', 'b', 'c', 'd', 'e', 'f']);
    const r = await aob(
      [
        'run',
        'start',
        workflow,
        '--input',
        `questions=${questions}`,
        '--budget',
        'tokens=120,wall=10m',
        '--json',
      ],
      env,
    );
    expect(r.code, r.stderr).toBe(1);
    const run = json<RunJson>(r);
    expect(run.status).toBe('failed');
    expect(run.error?.code).toBe('BUDGET_EXCEEDED');
    expect(fake.calls).toBe(3);

    const got = json<RunJson>(await aob(['run', 'get', run.runId, '--json'], env));
    expect(got.usage).toMatchObject({ tokens: 150, nodes: 3 });
    expect(got.usage.costUsd).toBeCloseTo(3 * 16.5e-6, 12);
    expect(got.budget).toEqual({ tokens: 120, wallMs: 600_000 });
    expect(got.budgetExceeded).toEqual({ limit: 'tokens', budget: 120, used: 150 });

    const human = await aob(['run', 'get', run.runId], env);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(
      /^usage: +tokens 150\/120 · cost \$0\.000050 · nodes 3 · wall .+\/10m00s$/m,
    );
    expect(human.stdout).toContain('exceeded: tokens (150 over 120; fail)');

    const log = await aob(['logs', 'stream', run.runId, '--no-follow'], env);
    expect(log.stdout).toMatch(/BudgetExceeded +tokens 150 over 120 \(fail\)/);
    // Nothing after BudgetExceeded but the run's end.
    const lines = log.stdout.trim().split('\n');
    const at = lines.findIndex((l) => l.includes('BudgetExceeded'));
    expect(lines.slice(at + 1).map((l) => l.trim().split(/ +/)[2])).toEqual(['RunFailed']);
  });

  it('halts a looping agent with BudgetExceeded in the log; nothing after RunFailed', async () => {
    // The agent calls a tool forever: 100 tokens a model call, up to its maxTurns of 20.
    fake.script(
      ...Array.from({ length: 20 }, () => ({
        toolCalls: [{ name: 'get_graph', arguments: {} }],
        usage: { promptTokens: 80, completionTokens: 20 },
      })),
    );
    const r = await aob(
      [
        'run',
        'start',
        example('budget', 'agent-loop.json'),
        '--input',
        'task=Find out.',
        '--budget',
        'tokens=250',
        '--json',
      ],
      env,
    );
    expect(r.code, r.stderr).toBe(1);
    const run = json<RunJson>(r);
    expect(run.status).toBe('failed');
    expect(run.error?.code).toBe('BUDGET_EXCEEDED');
    // 100, 200, 300: stopped after the third call, far short of maxTurns.
    expect(fake.calls).toBe(3);
    expect(run.usage).toMatchObject({ tokens: 300, nodes: 1 });
    expect(run.budgetExceeded).toEqual({ limit: 'tokens', budget: 250, used: 300 });

    const log = await aob(['logs', 'stream', run.runId, '--no-follow'], env);
    expect(log.code, log.stderr).toBe(0);
    expect(log.stdout).toMatch(/NodeFailed .*BUDGET_EXCEEDED.* · 240\+60 tokens \(final\)/);
    expect(log.stdout).toMatch(/BudgetExceeded +tokens 300 over 250 \(fail\)/);
    const lines = log.stdout.trim().split('\n');
    const at = lines.findIndex((l) => l.includes('BudgetExceeded'));
    expect(lines.slice(at + 1).map((l) => l.trim().split(/ +/)[2])).toEqual(['RunFailed']);
    expect(fake.calls).toBe(3);
  });

  it('refuses a bad --budget naming every problem, and starts nothing', async () => {
    const r = await aob(
      [
        'run',
        'start',
        workflow,
        '--input',
        'questions=[]',
        '--budget',
        'tokens=lots,wall=10,colour=red',
        '--json',
      ],
      env,
    );
    expect(r.code).toBe(2);
    const err = json<{ error: { code: string; problems: { path: string }[] } }>(r);
    expect(err.error.code).toBe('BAD_BUDGET');
    expect(err.error.problems.map((p) => p.path).sort()).toEqual([
      '/budget/colour',
      '/budget/tokens',
      '/budget/wall',
    ]);
    expect(json<unknown[]>(await aob(['run', 'list', '--json'], env))).toEqual([]);
    expect(fake.calls).toBe(0);
  });

  it('aob budget set / show / clear: the namespace budget holds runs started while it is set', async () => {
    const bad = await aob(['budget', 'set', 'nodes=0,wall=soon', '--json'], env);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toContain('/budget/nodes');
    expect(bad.stdout).toContain('/budget/wall');
    expect((await aob(['budget', 'show', '--json'], env)).code).toBe(2);

    const set = await aob(['budget', 'set', 'tokens=60,onExceeded=cancel'], env);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toContain('budget:    tokens=60 · onExceeded=cancel');
    const shown = json<{ namespace: string; budget: unknown }>(
      await aob(['budget', 'show', '--json'], env),
    );
    expect(shown).toMatchObject({
      namespace: 'default',
      budget: { tokens: 60, onExceeded: 'cancel' },
    });

    const questions = JSON.stringify(['a', 'b', 'c']);
    const r = await aob(
      ['run', 'start', workflow, '--input', `questions=${questions}`, '--json'],
      env,
    );
    expect(r.code).toBe(1);
    expect(json<RunJson>(r)).toMatchObject({
      status: 'cancelled',
      budget: { tokens: 60, wallMs: 600_000, onExceeded: 'cancel' },
      budgetExceeded: { limit: 'tokens', budget: 60, used: 100 },
    });
    expect(fake.calls).toBe(2);

    expect((await aob(['budget', 'clear'], env)).code).toBe(0);
    const free = await aob(
      ['run', 'start', workflow, '--input', `questions=${questions}`, '--json'],
      env,
    );
    expect(free.code, free.stderr).toBe(0);
    expect(fake.calls).toBe(5);
  });
});
