// Held patches (patchPolicy) and workflow-scope patches (versions <root>.p<n>) through the local
// engine, on the durable file store, two engines standing in for two aob processes.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WorkflowDefinition } from '@aob/core';
import { LocalEngine } from './local-engine.js';

const examples = fileURLToPath(new URL('../../../../examples/', import.meta.url));
const approvalDef = JSON.parse(
  readFileSync(join(examples, 'approval', 'workflow.json'), 'utf8'),
) as WorkflowDefinition;
const handlersFile = join(examples, 'approval', 'handlers.mjs');

let home: string;
const engines: LocalEngine[] = [];
async function open(): Promise<LocalEngine> {
  const e = await LocalEngine.open({ home, handlersFile });
  engines.push(e);
  return e;
}
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'aob-review-'));
});
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.close()));
  rmSync(home, { recursive: true, force: true });
});

const addNode = (id: string, type: 'transform' | 'code', from = 'check') => [
  {
    op: 'add',
    path: '/nodes/-',
    value:
      type === 'code'
        ? { id, type, with: { language: 'javascript', source: 'return 7' } }
        : { id, type, with: { value: `{% 'after ' & $string(nodes.${from}.output.amount) %}` } },
  },
  { op: 'add', path: '/edges/-', value: { from, to: id } },
];

describe('held run patches', () => {
  it("holds an agent's code node; its author may not approve it; a person does and it runs", async () => {
    const driver = await open();
    const reviewer = await open();
    const runId = await driver.control.start(approvalDef, { amount: 5 });
    await driver.control.wait(runId, { untilSettled: true });

    const held = await reviewer.control.proposePatch(runId, addNode('calc', 'code'), {
      author: 'agent:planner',
    });
    expect(held).toMatchObject({ status: 'held', scope: 'run', target: runId });
    expect(held.reasons!.map((r) => r.code)).toEqual(['FORBIDDEN_TYPE']);
    expect((await driver.control.get(runId)).nodes.calc).toBeUndefined();

    await expect(
      reviewer.control.reviewPatch(held.patchId, 'approved', 'agent:planner'),
    ).rejects.toMatchObject({ code: 'NOT_A_REVIEWER' });

    const applied = await reviewer.control.reviewPatch(
      held.patchId,
      'approved',
      'ada',
      'looked at it',
    );
    expect(applied).toMatchObject({ status: 'applied', reviewedBy: 'ada', reason: 'looked at it' });
    await expect(
      reviewer.control.reviewPatch(held.patchId, 'rejected', 'bob'),
    ).rejects.toMatchObject({
      code: 'PATCH_NOT_HELD',
    });
    const [ticket] = await reviewer.control.approvals();
    await reviewer.control.approve(ticket!.ticketId, 'approved', 'ada');
    const view = await driver.control.wait(runId, { timeoutMs: 10_000 });
    expect(view.status).toBe('completed');
    expect(view.nodes.calc).toEqual({ status: 'succeeded', attempts: 1 });
  });

  it('a reviewer rejects a held patch: recorded with who and why, the graph unchanged', async () => {
    const engine = await open();
    const runId = await engine.control.start(approvalDef, { amount: 5 });
    await engine.control.wait(runId, { untilSettled: true });
    const held = await engine.control.proposePatch(runId, addNode('calc', 'code'), {
      author: 'agent:x',
    });
    const rejected = await engine.control.reviewPatch(held.patchId, 'rejected', 'ada', 'no code');
    expect(rejected).toMatchObject({ status: 'rejected', reviewedBy: 'ada', reason: 'no code' });
    expect((await engine.control.patch(held.patchId)).diff).toBeUndefined();
    expect((await engine.control.get(runId)).nodes.calc).toBeUndefined();
  });

  it('refuses at once to revert a patch of a finished run, naming its status', async () => {
    const engine = await open();
    const runId = await engine.control.start(approvalDef, { amount: 5 });
    await engine.control.wait(runId, { untilSettled: true });
    const applied = await engine.control.proposePatch(runId, addNode('note', 'transform'), {
      author: 'agent:x',
    });
    expect(applied.status).toBe('applied');
    await engine.control.cancel(runId, 'done here');
    await engine.control.wait(runId);
    const started = Date.now();
    const err = (await engine.control
      .revertPatch(applied.patchId, 'ada')
      .catch((e: unknown) => e)) as {
      code: string;
      message: string;
    };
    expect(err).toMatchObject({ code: 'RUN_OVER' });
    expect(err.message).toMatch(/is already cancelled/);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});

describe('workflow-scope patches', () => {
  it('make versions 1.p1, 1.p2; runs start on a chosen patch set; revert rolls the name back', async () => {
    const engine = await open();
    await engine.control.registerWorkflow(approvalDef);

    const p1 = await engine.control.proposePatch(
      'expense-approval',
      addNode('audit', 'transform'),
      {
        author: 'ada',
        rationale: 'audit trail',
      },
    );
    expect(p1).toMatchObject({
      scope: 'workflow',
      target: 'expense-approval@1',
      status: 'applied',
      version: '1.p1',
    });
    const shown = await engine.control.patch(p1.patchId);
    expect(shown.diff).toMatchObject({ nodesAdded: ['audit'], edgesAdded: ['check → audit'] });

    const p2 = await engine.control.proposePatch(
      'expense-approval',
      addNode('audit2', 'transform'),
      {
        author: 'ada',
      },
    );
    expect(p2).toMatchObject({ target: 'expense-approval@1.p1', version: '1.p2' });
    expect((await engine.loadWorkflow('expense-approval')).version).toBe('1.p2');

    // Proposing against an older version of the line is stale.
    const stale = await engine.control.proposePatch(
      'expense-approval@1',
      addNode('x', 'transform'),
      {
        author: 'ada',
      },
    );
    expect(stale.status).toBe('rejected');
    expect(stale.violations.map((v) => v.code)).toEqual(['STALE_BASE']);

    // A run on 1.p1 goes through audit but not audit2.
    const onP1 = await engine.loadWorkflow('expense-approval@1.p1');
    expect(onP1.nodes.map((n) => n.id)).toContain('audit');
    expect(onP1.nodes.map((n) => n.id)).not.toContain('audit2');
    const runId = await engine.control.start(onP1, { amount: 3, timeoutMs: 1 });
    const view = await engine.control.wait(runId, { timeoutMs: 10_000 });
    expect(view.workflow).toBe('expense-approval@1.p1');
    expect(view.nodes.audit).toEqual({ status: 'succeeded', attempts: 1 });

    // Only the newest patch of the line is reverted; then the name starts 1.p1 again.
    await expect(engine.control.revertPatch(p1.patchId, 'ada')).rejects.toMatchObject({
      code: 'PATCH_NOT_NEWEST',
    });
    const reverted = await engine.control.revertPatch(p2.patchId, 'ada');
    expect(reverted.patch).toMatchObject({ status: 'reverted', version: '1.p2' });
    expect((await engine.loadWorkflow('expense-approval')).version).toBe('1.p1');
    expect((await engine.loadWorkflow('expense-approval@1.p2')).version).toBe('1.p2');

    // The next version of the line gets a new number, never a retired one's.
    const p3 = await engine.control.proposePatch(
      'expense-approval',
      addNode('audit3', 'transform'),
      {
        author: 'ada',
      },
    );
    expect(p3).toMatchObject({
      status: 'applied',
      version: '1.p3',
      target: 'expense-approval@1.p1',
    });

    // Comparing patch sets without registering: base + chosen patches, in order.
    const { definition } = await engine.showWorkflow('expense-approval@1', [
      p1.patchId,
      p2.patchId,
    ]);
    expect(definition.nodes.map((n) => n.id)).toEqual(expect.arrayContaining(['audit', 'audit2']));
    expect(
      (await engine.control.patches({ workflow: 'expense-approval' })).map((p) => [
        p.patchId,
        p.status,
      ]),
    ).toEqual([
      [p1.patchId, 'applied'],
      [p2.patchId, 'reverted'],
      [stale.patchId, 'rejected'],
      [p3.patchId, 'applied'],
    ]);
  });

  it('holds a workflow patch with a code node; approval registers the version', async () => {
    const engine = await open();
    await engine.control.registerWorkflow(approvalDef);
    const held = await engine.control.proposePatch('expense-approval', addNode('calc', 'code'), {
      author: 'agent:planner',
    });
    expect(held).toMatchObject({ status: 'held', scope: 'workflow' });
    expect(held.version).toBeUndefined();
    await expect(
      engine.control.reviewPatch(held.patchId, 'approved', 'agent:planner'),
    ).rejects.toMatchObject({ code: 'NOT_A_REVIEWER' });
    const applied = await engine.control.reviewPatch(held.patchId, 'approved', 'ada');
    expect(applied).toMatchObject({ status: 'applied', version: '1.p1', reviewedBy: 'ada' });
    expect((await engine.loadWorkflow('expense-approval')).nodes.map((n) => n.id)).toContain(
      'calc',
    );
  });

  it('rejects a workflow patch with every violation and registers nothing', async () => {
    const engine = await open();
    await engine.control.registerWorkflow(approvalDef);
    const rejected = await engine.control.proposePatch(
      'expense-approval',
      [
        { op: 'add', path: '/edges/-', value: { from: 'pay', to: 'check' } },
        {
          op: 'add',
          path: '/nodes/-',
          value: { id: 'leak', type: 'http', with: { url: 'http://169.254.169.254/latest' } },
        },
        { op: 'replace', path: '/name', value: 'other' },
      ],
      { author: 'agent:x' },
    );
    expect(rejected.status).toBe('rejected');
    expect(rejected.violations.map((v) => v.code).sort()).toEqual(
      expect.arrayContaining(['CYCLE', 'SSRF', 'FORBIDDEN_PATH']),
    );
    expect((await engine.control.listWorkflows()).map((w) => w.version)).toEqual(['1']);
  });
});
