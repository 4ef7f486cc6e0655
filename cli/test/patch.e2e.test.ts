import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { aob, example, json, tempHome } from './helpers.js';

interface PatchJson {
  patchId: string;
  runId: string;
  status: string;
  violations: { code: string; path: string; message: string }[];
  diff?: { nodesAdded: string[]; edgesAdded: string[] };
}

let home: string;
let cleanup: () => void;
let env: Record<string, string>;
beforeEach(() => {
  ({ home, cleanup } = tempHome());
  env = { AOB_HOME: home, AOB_HANDLERS: example('approval/handlers.mjs') };
});
afterEach(() => cleanup());

const file = (name: string, ops: unknown[]) => {
  const f = join(home, name);
  writeFileSync(f, JSON.stringify(ops));
  return f;
};

describe('aob patch', () => {
  it('applies a patch mid-run, rejects a bad one with its codes (exit 1), shows, lists and reverts', async () => {
    const started = json<{ runId: string; status: string }>(
      await aob(
        [
          'run',
          'start',
          example('approval/workflow.json'),
          '--input',
          'amount=5',
          '--detach',
          '--json',
        ],
        env,
      ),
    );
    expect(started.status).toBe('waiting');

    const audit = file('audit.json', [
      {
        op: 'add',
        path: '/nodes/-',
        value: { id: 'audit', type: 'transform', with: { value: 'seen' } },
      },
      { op: 'add', path: '/edges/-', value: { from: 'check', to: 'audit' } },
    ]);
    const applied = await aob(
      [
        'patch',
        'propose',
        started.runId,
        audit,
        '--rationale',
        'audit trail',
        '--author',
        'agent:x',
        '--json',
      ],
      env,
    );
    expect(applied.code, applied.stderr).toBe(0);
    const p1 = json<PatchJson>(applied);
    expect(p1).toMatchObject({
      status: 'applied',
      violations: [],
      diff: { nodesAdded: ['audit'], edgesAdded: ['check → audit'] },
    });

    const bad = file('bad.json', [
      { op: 'add', path: '/edges/-', value: { from: 'pay', to: 'check' } },
      {
        op: 'add',
        path: '/nodes/-',
        value: { id: 'leak', type: 'http', with: { method: 'GET', url: 'http://0x7f.1/' } },
      },
      { op: 'add', path: '/nodes/-/__proto__', value: {} },
    ]);
    const rejected = await aob(['patch', 'propose', started.runId, bad, '--json'], env);
    expect(rejected.code).toBe(1);
    const codes = json<PatchJson>(rejected).violations.map((v) => v.code);
    expect(codes).toEqual(expect.arrayContaining(['FORBIDDEN_PATH']));

    const show = json<PatchJson>(await aob(['patch', 'show', p1.patchId, '--json'], env));
    expect(show.diff?.nodesAdded).toEqual(['audit']);
    const list = json<{ patchId: string; status: string }[]>(
      await aob(['patch', 'list', '--run', started.runId, '--json'], env),
    );
    expect(list.map((p) => p.status)).toEqual(['applied', 'rejected']);

    // audit has run already (its predecessor had finished): the past is fixed, the revert is refused.
    const revert = await aob(['patch', 'revert', p1.patchId, '--json'], env);
    expect(revert.code).toBe(1);
    expect(JSON.stringify(json(revert))).toContain('IMMUTABLE_NODE');

    const [ticket] = json<{ ticketId: string }[]>(await aob(['approvals', 'list', '--json'], env));
    expect((await aob(['approve', ticket!.ticketId, 'approve', '--json'], env)).code).toBe(0);
    const done = json<{ status: string; nodes: Record<string, { status: string }> }>(
      await aob(['run', 'get', started.runId, '--json'], env),
    );
    expect(done.status).toBe('completed');
    expect(done.nodes.audit?.status).toBe('succeeded');
  });

  it('exits 2 for an unknown patch or run', async () => {
    expect((await aob(['patch', 'show', 'pch_nope'], env)).code).toBe(2);
    expect((await aob(['patch', 'propose', 'run_nope', file('x.json', [])], env)).code).toBe(2);
  });

  it('holds a code node for a reviewer (exit 4); its author cannot approve it (exit 2); a person approves it (exit 0)', async () => {
    const started = json<{ runId: string }>(
      await aob(
        [
          'run',
          'start',
          example('approval/workflow.json'),
          '--input',
          'amount=5',
          '--detach',
          '--json',
        ],
        env,
      ),
    );
    const calc = file('calc.json', [
      {
        op: 'add',
        path: '/nodes/-',
        value: {
          id: 'calc',
          type: 'code',
          with: { language: 'javascript', source: 'return 6 * 7' },
        },
      },
      { op: 'add', path: '/edges/-', value: { from: 'check', to: 'calc' } },
    ]);
    const held = await aob(
      ['patch', 'propose', started.runId, calc, '--author', 'agent:planner', '--json'],
      env,
    );
    expect(held.code, held.stderr).toBe(4);
    const p = json<PatchJson & { reasons: { code: string }[] }>(held);
    expect(p.status).toBe('held');
    expect(p.reasons.map((r) => r.code)).toEqual(['FORBIDDEN_TYPE']);
    const text = await aob(['patch', 'show', p.patchId], env);
    expect(text.stdout).toContain(`aob patch approve|reject ${p.patchId}`);

    const self = await aob(['patch', 'approve', p.patchId, '--by', 'agent:planner', '--json'], env);
    expect(self.code).toBe(2);
    expect(self.stdout).toContain('NOT_A_REVIEWER');
    const ok = await aob(
      ['patch', 'approve', p.patchId, '--by', 'ada', '--reason', 'read it', '--json'],
      env,
    );
    expect(ok.code, ok.stderr).toBe(0);
    expect(json<PatchJson>(ok)).toMatchObject({
      status: 'applied',
      reviewedBy: 'ada',
      diff: { nodesAdded: ['calc'] },
    });
    const held2 = json<PatchJson>(
      await aob(['patch', 'list', '--status', 'applied', '--json'], env),
    );
    expect(held2).toHaveLength(1);
  });

  it('patches a registered workflow into 1.p1, starts a run on it, and rolls it back', async () => {
    const register = await aob(
      ['workflow', 'register', example('approval/workflow.json'), '--json'],
      env,
    );
    expect(register.code, register.stderr).toBe(0);
    const audit = file('audit.json', [
      {
        op: 'add',
        path: '/nodes/-',
        value: { id: 'audit', type: 'transform', with: { value: 1 } },
      },
      { op: 'add', path: '/edges/-', value: { from: 'check', to: 'audit' } },
    ]);
    const proposed = await aob(['patch', 'propose', 'expense-approval', audit, '--json'], env);
    expect(proposed.code, proposed.stderr).toBe(0);
    const p = json<PatchJson & { version: string; scope: string }>(proposed);
    expect(p).toMatchObject({ scope: 'workflow', version: '1.p1', status: 'applied' });

    const shown = json<{ definition: { version: string; nodes: { id: string }[] } }>(
      await aob(['workflow', 'show', 'expense-approval', '--json'], env),
    );
    expect(shown.definition.version).toBe('1.p1');
    const compared = json<{ definition: { nodes: { id: string }[] } }>(
      await aob(
        [
          'workflow',
          'show',
          'expense-approval@1',
          '--materialized',
          '--patches',
          p.patchId,
          '--json',
        ],
        env,
      ),
    );
    expect(compared.definition.nodes.map((n) => n.id)).toContain('audit');

    const run = json<{ runId: string; status: string }>(
      await aob(
        ['run', 'start', 'expense-approval@1.p1', '--input', 'amount=5', '--detach', '--json'],
        env,
      ),
    );
    const got = json<{ nodes: Record<string, { status: string }> }>(
      await aob(['run', 'get', run.runId, '--json'], env),
    );
    expect(got.nodes.audit?.status).toBe('succeeded');
    const listed = json<{ runId: string; workflow: string }[]>(
      await aob(['run', 'list', '--json'], env),
    );
    expect(listed.find((r) => r.runId === run.runId)?.workflow).toBe('expense-approval@1.p1');

    const reverted = await aob(['patch', 'revert', p.patchId, '--json'], env);
    expect(reverted.code, reverted.stderr).toBe(0);
    const back = json<{ definition: { version: string } }>(
      await aob(['workflow', 'show', 'expense-approval', '--json'], env),
    );
    expect(back.definition.version).toBe('1');
  });
});
