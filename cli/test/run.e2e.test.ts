import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aob, example, json, tempHome } from './helpers.js';

interface RunJson {
  runId: string;
  status: string;
  output?: unknown;
  error?: { code: string; message: string };
  nodes: Record<string, { status: string; attempts: number }>;
  replayOf?: string;
  fromNode?: string;
}

let home: string;
let cleanup: () => void;
let env: Record<string, string>;
beforeAll(() => {
  ({ home, cleanup } = tempHome());
  env = { AOB_HOME: home };
});
afterAll(() => cleanup());

describe('aob run start', () => {
  it('runs the fan-out example and prints the --json contract, nothing else', async () => {
    const r = await aob(
      [
        'run',
        'start',
        example('fanout/workflow.json'),
        '--inputs',
        example('fanout/inputs.json'),
        '--handlers',
        example('fanout/handlers.mjs'),
        '--json',
      ],
      env,
    );
    expect(r.code, r.stderr).toBe(0);
    const run = json<RunJson>(r);
    expect(run.status).toBe('completed');
    expect(run.output).toEqual({ words: ['ALPHA', 'BETA', 'GAMMA', 'DELTA', 'EPSILON'], count: 5 });
    expect(run.nodes).toEqual({
      shout: { status: 'succeeded', attempts: 1 },
      count: { status: 'succeeded', attempts: 1 },
      both: { status: 'succeeded', attempts: 1 },
      summary: { status: 'succeeded', attempts: 1 },
    });
    expect(run.runId).toMatch(/^run_/);
  });

  it('retries a flaky node: three attempts', async () => {
    const r = await aob(['run', 'start', example('retry/workflow.json'), '--json'], {
      ...env,
      AOB_HANDLERS: example('retry/handlers.mjs'),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(json<RunJson>(r).nodes.flaky).toEqual({ status: 'succeeded', attempts: 3 });
  });

  it('exits 1 when the run fails, with the error', async () => {
    const wf = join(home, 'fails.json');
    const handlers = join(home, 'fails.mjs');
    writeFileSync(
      handlers,
      "export const boom = () => { throw Object.assign(new Error('no seats'), { code: 'NO_SEATS', retryable: false }); };\n",
    );
    writeFileSync(
      wf,
      JSON.stringify({
        name: 'fails',
        version: '1',
        nodes: [{ id: 'x', type: 'task', with: { handler: 'boom' } }],
      }),
    );
    const r = await aob(['run', 'start', wf, '--handlers', handlers, '--json'], env);
    expect(r.code).toBe(1);
    const run = json<RunJson>(r);
    expect(run.status).toBe('failed');
    expect(run.error?.code).toBe('NO_SEATS');
  });

  it('exits 2 before starting a run whose handler is missing, storing nothing', async () => {
    const wf = join(home, 'unhandled.json');
    writeFileSync(
      wf,
      JSON.stringify({
        name: 'unhandled',
        version: '1',
        nodes: [{ id: 'x', type: 'task', with: { handler: 'missing' } }],
      }),
    );
    const before = json<unknown[]>(await aob(['run', 'list', '--json'], env)).length;
    const r = await aob(['run', 'start', wf, '--json'], env);
    expect(r.code).toBe(2);
    expect(json(r)).toMatchObject({
      error: {
        code: 'VALIDATION',
        problems: [{ code: 'UNKNOWN_HANDLER', path: '/nodes/0/with/handler' }],
      },
    });
    expect(json<unknown[]>(await aob(['run', 'list', '--json'], env))).toHaveLength(before);
  });

  it('exits 2 and lists every problem of bad inputs, persisting nothing', async () => {
    const before = json<unknown[]>(await aob(['run', 'list', '--json'], env)).length;
    const r = await aob(
      [
        'run',
        'start',
        example('approval/workflow.json'),
        '--input',
        'amount="lots"',
        '--input',
        'timeoutMs=1.5',
        '--json',
      ],
      env,
    );
    expect(r.code).toBe(2);
    const out = json<{ error: { problems: { path: string }[] } }>(r);
    expect(out.error.problems.map((p) => p.path)).toEqual(
      expect.arrayContaining(['/amount', '/timeoutMs']),
    );
    expect(json<unknown[]>(await aob(['run', 'list', '--json'], env)).length).toBe(before);
  });

  it('exits 2 on an unknown workflow file', async () => {
    const r = await aob(['run', 'start', 'nope/none.json', '--json'], env);
    expect(r.code).toBe(2);
    expect(r.stdout + r.stderr).toContain('none.json');
  });

  it('names a missing argument, in --json too', async () => {
    const r = await aob(['run', 'get', '--json'], env);
    expect(r.code).toBe(2);
    expect(json(r)).toEqual({
      error: {
        code: 'MISSING_ARG',
        message: 'missing argument runId (see --help)',
        problems: [
          { code: 'MISSING_ARG', path: 'runId', message: 'is required: The run to show.' },
        ],
      },
    });
    const human = await aob(['run', 'get'], env);
    expect(human.stderr).toContain('missing argument runId');
  });

  it('in a pipe without --json prints a short summary', async () => {
    const r = await aob(
      [
        'run',
        'start',
        example('compensate/workflow.json'),
        '--handlers',
        example('compensate/handlers.mjs'),
      ],
      env,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('completed');
    expect(r.stdout.split('\n').length).toBeLessThan(10);
  });
});

describe('aob workflow', () => {
  it('validate --json names every problem and exits 2', async () => {
    const wf = join(home, 'bad.json');
    writeFileSync(
      wf,
      JSON.stringify({
        name: 'bad',
        version: '1',
        nodes: [
          { id: 'a', type: 'task', with: {} },
          { id: 'a', type: 'transform', with: { value: '{% $now() %}' } },
          { id: 'b', type: 'warp' },
        ],
        edges: [
          { from: 'a', to: 'ghost' },
          { from: 'b', to: 'b' },
        ],
      }),
    );
    const r = await aob(['workflow', 'validate', wf, '--json'], env);
    expect(r.code).toBe(2);
    const out = json<{ valid: boolean; errors: { code: string; path: string; message: string }[] }>(
      r,
    );
    expect(out.valid).toBe(false);
    const codes = out.errors.map((e) => e.code);
    expect(codes).toEqual(
      expect.arrayContaining(['SCHEMA', 'DUPLICATE_ID', 'UNKNOWN_NODE', 'NONDETERMINISTIC']),
    );
    for (const e of out.errors) expect(e.message.length).toBeGreaterThan(0);
  });

  it('register keeps a version to one graph: the same again is fine, another is exit 2', async () => {
    const def = (value: number) =>
      JSON.stringify({
        name: 'pinned',
        version: '1',
        nodes: [{ id: 'a', type: 'transform', with: { value } }],
      });
    const file = join(home, 'pinned.json');
    writeFileSync(file, def(1));
    expect((await aob(['workflow', 'register', file], env)).code).toBe(0);
    expect((await aob(['workflow', 'register', file], env)).code).toBe(0);
    writeFileSync(file, def(2));
    const changed = await aob(['workflow', 'register', file], env);
    expect(changed.code).toBe(2);
    expect(changed.stderr).toContain('pinned@1 is registered with another definition');
    const shown = await aob(['workflow', 'show', 'pinned@1', '--json'], env);
    expect(shown.stdout).toContain('"value": 1');
  });

  it('validate --json on a good definition', async () => {
    const r = await aob(['workflow', 'validate', example('fanout/workflow.json'), '--json'], env);
    expect(r.code).toBe(0);
    expect(json(r)).toEqual({ valid: true, errors: [] });
  });

  it('register, list and show; a subworkflow runs the registered child', async () => {
    expect(
      (await aob(['workflow', 'register', example('subworkflow/child.json'), '--json'], env)).code,
    ).toBe(0);
    const list = json<{ name: string; version: string }[]>(
      await aob(['workflow', 'list', '--json'], env),
    );
    expect(list).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'greet', version: '1' })]),
    );
    const show = await aob(['workflow', 'show', 'greet@1', '--json'], env);
    expect(show.code).toBe(0);
    expect(JSON.stringify(json(show))).toContain('"hello"');
    const r = await aob(
      [
        'run',
        'start',
        example('subworkflow/workflow.json'),
        '--input',
        'name=Ada',
        '--handlers',
        example('subworkflow/handlers.mjs'),
        '--json',
      ],
      env,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(json<RunJson>(r).output).toBe('*** hello, Ada ***');
  });
});

describe('aob logs, replay, list', () => {
  it('logs stream --json prints one envelope per line; replay --from records lineage', async () => {
    const started = json<RunJson>(
      await aob(
        [
          'run',
          'start',
          example('retry/workflow.json'),
          '--handlers',
          example('retry/handlers.mjs'),
          '--json',
        ],
        env,
      ),
    );
    const logs = await aob(['logs', 'stream', started.runId, '--json'], env);
    expect(logs.code).toBe(0);
    const lines = logs.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { seq: number; type: string; runId: string });
    expect(lines.map((e) => e.seq)).toEqual(lines.map((_, i) => i + 1));
    expect(lines[0]!.type).toBe('RunStarted');
    expect(lines.at(-1)!.type).toBe('RunCompleted');
    expect(lines.filter((e) => e.type === 'NodeRetryScheduled')).toHaveLength(2);

    const flakyOnly = await aob(
      ['logs', 'stream', started.runId, '--json', '--node', 'after'],
      env,
    );
    for (const l of flakyOnly.stdout.trim().split('\n'))
      expect(JSON.parse(l).data.nodeId).toBe('after');

    // For a person, the stream ends with how the run ended.
    const human = await aob(['logs', 'stream', started.runId], env);
    expect(human.stdout.trim().split('\n').at(-1)).toMatch(
      new RegExp(`^✔ run ${started.runId} completed in `),
    );

    const replay = await aob(
      [
        'replay',
        started.runId,
        '--from',
        'after',
        '--mode',
        'freeze',
        '--handlers',
        example('retry/handlers.mjs'),
        '--json',
      ],
      env,
    );
    expect(replay.code, replay.stderr).toBe(0);
    const child = json<RunJson>(replay);
    expect(child).toMatchObject({
      status: 'completed',
      replayOf: started.runId,
      fromNode: 'after',
      output: started.output,
    });
    // flaky is upstream of --from: reused, not run (its handler would fail twice again).
    expect(child.nodes.flaky!.attempts).toBe(0);

    const list = json<{ runId: string; workflow: string; status: string; startedAt: string }[]>(
      await aob(['run', 'list', '--json'], env),
    );
    expect(list.map((r) => r.runId)).toEqual(expect.arrayContaining([started.runId, child.runId]));
    expect(Object.keys(list[0]!).sort()).toEqual(['runId', 'startedAt', 'status', 'workflow']);
  });

  it('run get on an unknown run exits 2 naming it', async () => {
    const r = await aob(['run', 'get', 'run_nope', '--json'], env);
    expect(r.code).toBe(2);
    expect(r.stdout + r.stderr).toContain('run_nope');
  });
});

describe('aob run get --node', () => {
  it("shows a node's attempts with their errors, its input and output, cut unless --full", async () => {
    const flaky = await aob(['run', 'start', example('retry/workflow.json'), '--json'], {
      ...env,
      AOB_HANDLERS: example('retry/handlers.mjs'),
    });
    const { runId } = json<RunJson>(flaky);
    const node = await aob(['run', 'get', runId, '--node', 'flaky'], env);
    expect(node.code, node.stderr).toBe(0);
    expect(node.stdout).toMatch(/#1\s+retrying\s+\S+\s+FLAKY: flaky failure on attempt 1/);
    expect(node.stdout).toMatch(/#3\s+succeeded/);
    expect(node.stdout).toContain('"attempts": 3');

    const wide = join(home, 'wide.json');
    writeFileSync(
      wide,
      JSON.stringify({
        name: 'wide',
        version: '1',
        nodes: [
          {
            id: 'gen',
            type: 'transform',
            with: { value: "{% [1..500].('item ' & $string($)) %}" },
          },
        ],
      }),
    );
    // This test is about cutting a long value: the expression's time budget is lifted so a loaded
    // machine cannot fail the node instead (it once took over 100 ms for 1,280 steps in CI).
    const big = json<RunJson>(
      await aob(['run', 'start', wide, '--json'], { ...env, AOB_LIMIT_EXPRESSION_MS: '10000' }),
    );
    const cut = await aob(['run', 'get', big.runId, '--node', 'gen'], env);
    expect(cut.stdout).toMatch(
      /… [\d,]+ more characters \(sha256:[0-9a-f]{64}\); --full prints it whole/,
    );
    expect(cut.stdout).not.toContain('item 500');
    const whole = await aob(['run', 'get', big.runId, '--node', 'gen', '--full'], env);
    expect(whole.stdout).toContain('"item 500"');
    const asJson = json<{ output: string[] }>(
      await aob(['run', 'get', big.runId, '--node', 'gen', '--json'], env),
    );
    expect(asJson.output).toHaveLength(500);

    const missing = await aob(['run', 'get', big.runId, '--node', 'nope'], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('has no node "nope" (its nodes: gen)');
  });
});
