import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AobError, ValidationError } from '@aob/core';
import { refOf } from '@aob/core';
import { LocalEngine } from './local-engine.js';

const examples = fileURLToPath(new URL('../../../../examples/', import.meta.url));
const def = (name: string, file = 'workflow.json') =>
  JSON.parse(readFileSync(join(examples, name, file), 'utf8')) as unknown;
const handlersOf = (name: string) => join(examples, name, 'handlers.mjs');

let home: string;
const engines: LocalEngine[] = [];
async function open(opts: Parameters<typeof LocalEngine.open>[0] = {}): Promise<LocalEngine> {
  const e = await LocalEngine.open({ home, ...opts });
  engines.push(e);
  return e;
}

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'aob-engine-'));
});
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.close()));
  rmSync(home, { recursive: true, force: true });
});

describe.each(['file', 'memory'] as const)('LocalEngine on the %s store', (store) => {
  it('runs the fan-out example: map two at a time, then a join', async () => {
    const engine = await open({ store, handlersFile: handlersOf('fanout') });
    const runId = await engine.control.start(def('fanout'), { words: ['a', 'b', 'c'] });
    const view = await engine.control.wait(runId);
    expect(view.status).toBe('completed');
    expect(view.output).toEqual({ words: ['A', 'B', 'C'], count: 3 });
    expect(view.nodes.summary).toEqual({ status: 'succeeded', attempts: 1 });
  });

  it('retries a flaky node and succeeds on its third attempt', async () => {
    const engine = await open({ store, handlersFile: handlersOf('retry') });
    const view = await engine.control.wait(await engine.control.start(def('retry'), {}));
    expect(view.status).toBe('completed');
    expect(view.nodes.flaky).toEqual({ status: 'succeeded', attempts: 3 });
    expect(view.output).toBe('succeeded after 3 attempts');
  });

  it('compensates through a failure edge', async () => {
    const engine = await open({ store, handlersFile: handlersOf('compensate') });
    const view = await engine.control.wait(await engine.control.start(def('compensate'), {}));
    expect(view.status).toBe('completed');
    expect(view.nodes.bookFlight).toEqual({ status: 'failed', attempts: 2 });
    expect(view.nodes.confirm!.status).toBe('skipped');
    expect(view.output).toEqual({ compensated: { cancelled: 'H-42', because: 'NO_SEATS' } });
  });

  it('runs a registered workflow as a child run', async () => {
    const engine = await open({ store, handlersFile: handlersOf('subworkflow') });
    await engine.control.registerWorkflow(def('subworkflow', 'child.json'));
    const view = await engine.control.wait(
      await engine.control.start(def('subworkflow'), { name: 'Ada' }),
    );
    expect(view.status).toBe('completed');
    expect(view.output).toBe('*** hello, Ada ***');
    const runs = await engine.control.list();
    const child = runs.find((r) => r.workflow === 'greet@1');
    expect(child?.status).toBe('completed');
    expect((await engine.control.get(child!.runId)).parentRunId).toBe(view.runId);
  });

  it('refuses to start a run whose subworkflow is not registered, storing nothing', async () => {
    const engine = await open({ store, handlersFile: handlersOf('subworkflow') });
    const err = (await engine.control
      .start(def('subworkflow'), { name: 'Ada' })
      .catch((e: unknown) => e)) as ValidationError;
    expect(err.code).toBe('VALIDATION');
    expect(err.problems.map((p) => [p.code, p.path])).toEqual([
      ['WORKFLOW_NOT_FOUND', expect.stringMatching(/^\/nodes\/\d+\/with\/workflow$/)],
    ]);
    expect(err.problems[0]!.message).toContain('greet@1');
    expect(await engine.control.list()).toEqual([]);
  });

  it('refuses to start task nodes whose handlers are missing, naming each', async () => {
    const bare = await open({ store });
    const err = (await bare.control
      .start(def('retry'), {})
      .catch((e: unknown) => e)) as ValidationError;
    expect(err.problems.map((p) => p.code)).toContain('UNKNOWN_HANDLER');
    expect(err.problems[0]!.message).toMatch(/no handlers module is loaded: pass --handlers/);
    const other = await open({ store, handlersFile: handlersOf('approval') });
    const named = (await other.control
      .start(def('retry'), {})
      .catch((e: unknown) => e)) as ValidationError;
    expect(named.problems[0]!.message).toMatch(
      /which the handlers module does not export \(it exports /,
    );
    expect(await other.control.list()).toEqual([]);
  });

  it('waits for an approval, lists the ticket, and continues once it is approved', async () => {
    const engine = await open({ store, handlersFile: handlersOf('approval') });
    const runId = await engine.control.start(def('approval'), { amount: 50 });
    const waiting = await engine.control.wait(runId, { untilSettled: true });
    expect(waiting.status).toBe('waiting');
    const [ticket] = await engine.control.approvals();
    expect(ticket).toMatchObject({
      runId,
      nodeId: 'approve',
      status: 'open',
      approvers: ['managers'],
    });
    await engine.control.approve(ticket!.ticketId, 'approved', 'ada', 'fine');
    const done = await engine.control.wait(runId);
    expect(done.status).toBe('completed');
    expect(done.output).toEqual({ decision: 'approved', paid: { paid: true, decidedBy: 'ada' } });
    await expect(engine.control.approve(ticket!.ticketId, 'rejected', 'bob')).rejects.toMatchObject(
      {
        code: 'TICKET_DECIDED',
      },
    );
    await expect(engine.control.approve('tkt_nope', 'approved', 'bob')).rejects.toMatchObject({
      code: 'TICKET_NOT_FOUND',
    });
  });

  it('rejects an approval that times out', async () => {
    const engine = await open({ store, handlersFile: handlersOf('approval') });
    const view = await engine.control.wait(
      await engine.control.start(def('approval'), { amount: 50, timeoutMs: 150 }),
    );
    expect(view.status).toBe('completed');
    expect(view.nodes.noteTimeout!.status).toBe('succeeded');
    expect(view.nodes.notifyRejected!.status).toBe('succeeded');
    expect(view.nodes.pay!.status).toBe('skipped');
  });

  it('refuses bad inputs and an invalid definition, persisting nothing', async () => {
    const engine = await open({ store, handlersFile: handlersOf('approval') });
    await expect(engine.control.start(def('approval'), { amount: 'lots' })).rejects.toMatchObject({
      code: 'VALIDATION',
    });
    const bad = {
      name: 'x',
      version: '1',
      nodes: [
        { id: 'a', type: 'task', with: {} },
        { id: 'a', type: 'nope' },
      ],
      edges: [{ from: 'a', to: 'zz' }],
    };
    const err = (await engine.control.start(bad, {}).catch((e: unknown) => e)) as ValidationError;
    expect(err.code).toBe('VALIDATION');
    expect(err.problems.map((p) => p.code)).toEqual(
      expect.arrayContaining(['SCHEMA', 'DUPLICATE_ID', 'UNKNOWN_NODE']),
    );
    expect(await engine.control.list()).toEqual([]);
  });

  it('stores nothing from a start refused with RUN_EXISTS', async () => {
    const engine = await open({ store, handlersFile: handlersOf('approval') });
    const runId = await engine.control.start(
      def('approval'),
      { amount: 50 },
      { runId: 'run_fixed' },
    );
    const other = {
      name: 'other',
      version: '1',
      nodes: [{ id: 't', type: 'transform', with: { value: 1 } }],
    };
    await expect(engine.control.start(other, {}, { runId })).rejects.toMatchObject({
      code: 'RUN_EXISTS',
    });
    expect(await engine.content.has(refOf(other))).toBe(false);
  });

  it('refuses hostile inputs by name: too deep, not finite, __proto__ keys, too large', async () => {
    const engine = await open({ store });
    const wf = {
      name: 'w',
      version: '1',
      nodes: [{ id: 't', type: 'transform', with: { value: 1 } }],
    };
    let deep: unknown = 1;
    for (let i = 0; i < 10_000; i++) deep = [deep];
    const cases: [unknown, string][] = [
      [{ x: deep }, 'TOO_DEEP'],
      [{ x: Infinity }, 'NOT_FINITE'],
      [JSON.parse('{"__proto__": {"polluted": true}}'), 'RESERVED_KEY'],
      [{ x: 'y'.repeat(2_000_000) }, 'INPUT_TOO_LARGE'],
    ];
    for (const [inputs, code] of cases) {
      const err = (await engine.control
        .start(wf, inputs)
        .catch((e: unknown) => e)) as ValidationError;
      expect([code, err.code, err.problems?.map((p) => p.code)]).toEqual([
        code,
        'VALIDATION',
        [code],
      ]);
    }
    expect(await engine.control.list()).toEqual([]);
  });

  it('cancels a run waiting on a person', async () => {
    const engine = await open({ store, handlersFile: handlersOf('approval') });
    const runId = await engine.control.start(def('approval'), { amount: 5 });
    await engine.control.wait(runId, { untilSettled: true });
    await engine.control.cancel(runId, 'changed my mind', 'ada');
    const view = await engine.control.wait(runId);
    expect(view.status).toBe('cancelled');
    // The approval it waited on is shown as cancelled, not as still waiting.
    const statuses = Object.values(view.nodes).map((n) => n.status);
    expect(statuses).toContain('cancelled');
    expect(statuses).not.toContain('waiting');
    expect(await engine.control.approvals()).toEqual([]);
    await expect(engine.control.cancel(runId)).rejects.toMatchObject({ code: 'RUN_OVER' });
  });
});

describe('LocalEngine replay', () => {
  it('freeze reuses recorded outputs; live runs downstream nodes again', async () => {
    let calls: Record<string, number> = {};
    const count = (name: string) => async (input: unknown) => {
      calls[name] = (calls[name] ?? 0) + 1;
      return { name, input };
    };
    const engine = await open({ handlers: { a: count('a'), b: count('b'), c: count('c') } });
    const chain = {
      name: 'chain',
      version: '1',
      nodes: ['a', 'b', 'c'].map((id) => ({ id, type: 'task', with: { handler: id } })),
      edges: [
        { from: 'a', to: 'b' },
        { from: 'b', to: 'c' },
      ],
    };
    const original = await engine.control.wait(await engine.control.start(chain, { x: 1 }));
    expect(original.status).toBe('completed');
    calls = {};
    const frozen = await engine.control.wait(
      await engine.control.replay(original.runId, 'b', 'freeze'),
    );
    expect(frozen).toMatchObject({
      status: 'completed',
      replayOf: original.runId,
      fromNode: 'b',
      output: original.output,
    });
    expect(calls).toEqual({ b: 1 });
    calls = {};
    const live = await engine.control.wait(
      await engine.control.replay(original.runId, 'b', 'live'),
    );
    expect(live.status).toBe('completed');
    expect(calls).toEqual({ b: 1, c: 1 });
    await expect(engine.control.replay(original.runId, 'nope', 'live')).rejects.toMatchObject({
      code: 'UNKNOWN_NODE',
    });
  });
});

describe('two engines on one store (as two aob processes)', () => {
  it('an approval decided by the other engine is carried on by the one driving the run', async () => {
    const driver = await open({ handlersFile: handlersOf('approval') });
    const other = await open({ handlersFile: handlersOf('approval') });
    const runId = await driver.control.start(def('approval'), { amount: 7 });
    await driver.control.wait(runId, { untilSettled: true });
    const [ticket] = await other.control.approvals();
    const { drivenHere } = await other.control.approve(
      ticket!.ticketId,
      'rejected',
      'bob',
      'too much',
    );
    expect(drivenHere).toBe(false);
    const view = await driver.control.wait(runId, { timeoutMs: 5_000 });
    expect(view.status).toBe('completed');
    expect(view.output).toMatchObject({
      decision: 'rejected',
      notified: { notified: true, reason: 'too much' },
    });
  });

  it('an approval for a run nobody drives is carried on by the approver', async () => {
    const first = await open({ handlersFile: handlersOf('approval') });
    const runId = await first.control.start(def('approval'), { amount: 7 });
    await first.control.wait(runId, { untilSettled: true });
    await first.close();
    const second = await open({ handlersFile: handlersOf('approval') });
    const [ticket] = await second.control.approvals();
    const { drivenHere } = await second.control.approve(ticket!.ticketId, 'approved', 'ada');
    expect(drivenHere).toBe(true);
    expect((await second.control.wait(runId)).status).toBe('completed');
  });

  it('resume refuses a run another live engine drives', async () => {
    const driver = await open({ handlersFile: handlersOf('approval') });
    const other = await open({ handlersFile: handlersOf('approval') });
    const runId = await driver.control.start(def('approval'), { amount: 7 });
    await driver.control.wait(runId, { untilSettled: true });
    const err = (await other.resume(runId).catch((e: unknown) => e)) as AobError;
    expect(err.code).toBe('RUN_LEASED');
  }, 15_000);
});

describe('patches on a running run', () => {
  const addAudit = [
    {
      op: 'add',
      path: '/nodes/-',
      value: {
        id: 'audit',
        type: 'transform',
        with: { value: "{% 'checked ' & $string(nodes.check.output.amount) %}" },
      },
    },
    { op: 'add', path: '/edges/-', value: { from: 'check', to: 'audit' } },
  ];

  it('applies a patch proposed from another engine; the run goes through the new node', async () => {
    const driver = await open({ handlersFile: handlersOf('approval') });
    const agent = await open({ handlersFile: handlersOf('approval') });
    const runId = await driver.control.start(def('approval'), { amount: 9 });
    await driver.control.wait(runId, { untilSettled: true });
    const verdict = await agent.control.proposePatch(runId, addAudit, {
      author: 'agent:auditor',
      rationale: 'audit trail',
    });
    expect(verdict).toMatchObject({
      status: 'applied',
      author: 'agent:auditor',
      added: ['audit'],
      violations: [],
    });
    const shown = await agent.control.patch(verdict.patchId);
    expect(shown.diff).toMatchObject({
      nodesAdded: ['audit'],
      edgesAdded: ['check → audit'],
      nodesRemoved: [],
    });
    const [ticket] = await agent.control.approvals();
    await agent.control.approve(ticket!.ticketId, 'approved', 'ada');
    const view = await driver.control.wait(runId, { timeoutMs: 5_000 });
    expect(view.status).toBe('completed');
    expect(view.nodes.audit).toEqual({ status: 'succeeded', attempts: 1 });
  });

  it('rejects a cycle, a change to a finished node and an SSRF URL, listing the codes; the run goes on', async () => {
    const engine = await open({ handlersFile: handlersOf('approval') });
    const runId = await engine.control.start(def('approval'), { amount: 9 });
    await engine.control.wait(runId, { untilSettled: true });
    const cycle = await engine.control.proposePatch(runId, [
      { op: 'add', path: '/edges/-', value: { from: 'pay', to: 'check' } },
    ]);
    const past = await engine.control.proposePatch(runId, [
      { op: 'replace', path: '/nodes/0/with/handler', value: 'x' },
    ]);
    const ssrf = await engine.control.proposePatch(runId, [
      {
        op: 'add',
        path: '/nodes/-',
        value: {
          id: 'leak',
          type: 'http',
          with: { method: 'GET', url: 'http://[::ffff:169.254.169.254]/' },
        },
      },
      { op: 'add', path: '/edges/-', value: { from: 'pay', to: 'leak' } },
    ]);
    expect(cycle.status).toBe('rejected');
    expect(cycle.violations.map((v) => v.code)).toContain('CYCLE');
    expect(past.violations.map((v) => v.code)).toContain('IMMUTABLE_NODE');
    expect(ssrf.violations.map((v) => v.code)).toContain('SSRF');
    const [ticket] = await engine.control.approvals();
    await engine.control.approve(ticket!.ticketId, 'approved', 'ada');
    expect((await engine.control.wait(runId)).status).toBe('completed');
    expect((await engine.control.patches({ runId })).map((p) => p.status)).toEqual([
      'rejected',
      'rejected',
      'rejected',
    ]);
  });

  it('reverts an applied patch before its node runs', async () => {
    const engine = await open({ handlersFile: handlersOf('approval') });
    const runId = await engine.control.start(def('approval'), { amount: 9 });
    await engine.control.wait(runId, { untilSettled: true });
    const applied = await engine.control.proposePatch(runId, [
      {
        op: 'add',
        path: '/nodes/-',
        value: { id: 'extra', type: 'transform', with: { value: 1 } },
      },
      { op: 'add', path: '/edges/-', value: { from: 'approve', to: 'extra', on: 'approved' } },
    ]);
    expect(applied.status).toBe('applied');
    const { patch } = await engine.control.revertPatch(applied.patchId, 'ada');
    expect(patch.status).toBe('reverted');
    const [ticket] = await engine.control.approvals();
    await engine.control.approve(ticket!.ticketId, 'approved', 'ada');
    const view = await engine.control.wait(runId);
    expect(view.status).toBe('completed');
    expect(view.nodes.extra).toBeUndefined();
  });
});

describe('LocalEngine with durability full', () => {
  it('runs and resumes on a store whose commits and content files are fsynced', async () => {
    const engine = await open({ durability: 'full', handlersFile: handlersOf('fanout') });
    const runId = await engine.control.start(def('fanout'), { words: ['x', 'y'] });
    expect((await engine.control.wait(runId)).output).toEqual({ words: ['X', 'Y'], count: 2 });
    await engine.close();
    // What it wrote, read by an engine of the default durability.
    const reader = await open();
    expect((await reader.control.get(runId)).output).toEqual({ words: ['X', 'Y'], count: 2 });
  });
});
