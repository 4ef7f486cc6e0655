import { describe, expect, it } from 'vitest';
import { compile } from '../ir/compile.js';
import type { WorkflowDefinition } from '../definition/types.js';
import { fold } from './evolve.js';
import { Sim } from './testing/sim.js';

const def: WorkflowDefinition = {
  name: 'p',
  version: '1',
  nodes: [
    { id: 'a', type: 'task', with: { handler: 'echo' } },
    { id: 'gate', type: 'approval', with: { approvers: ['ops'] } },
    { id: 'b', type: 'task', with: { handler: 'echo' } },
  ],
  edges: [
    { from: 'a', to: 'gate' },
    { from: 'gate', to: 'b', on: 'approved' },
  ],
};
const echo = { echo: (x: unknown) => x };

function started(): Sim {
  const ir = compile(def);
  const sim = new Sim(ir, 'r', { handlers: echo });
  sim.put(ir.definition); // the shell stores the definition under its IR hash
  return sim.start({ x: 1 }).runToRest(); // a done, gate waiting
}

const patch = (sim: Sim, ops: unknown[], extra: object = {}) => ({
  patchId: `p${sim.state.patches.length + 1}`,
  scope: 'run',
  target: sim.runId,
  baseIrHash: sim.ir.irHash,
  ops,
  author: 'agent:planner',
  rationale: 'test',
  ...extra,
});

function invariants(sim: Sim): void {
  expect(fold(sim.log, sim.runId)).toEqual(sim.state);
  expect(sim.state.irHash).toBe(sim.ir.irHash);
}

describe('patch overlays on a running run', () => {
  it('applies a patch that adds a node after a finished one: it starts at once, on the new IR', () => {
    const sim = started();
    const before = sim.ir.irHash;
    sim.apply({
      type: 'proposePatch',
      patch: patch(sim, [
        {
          op: 'add',
          path: '/nodes/-',
          value: { id: 'audit', type: 'transform', with: { value: '{% nodes.a.output %}' } },
        },
        { op: 'add', path: '/edges/-', value: { from: 'a', to: 'audit' } },
      ]),
    });
    expect(sim.types().slice(-3, -1)).toEqual(['PatchProposed', 'PatchApplied']);
    expect(sim.ir.irHash).not.toBe(before);
    expect(sim.state.patches[0]).toMatchObject({
      patchId: 'p1',
      status: 'applied',
      added: ['audit'],
      author: 'agent:planner',
    });
    expect(sim.state.nodes.audit!.status).toBe('scheduled');
    sim.runToRest();
    sim.apply({
      type: 'approve',
      ticketId: sim.openTickets()[0]!,
      decision: 'approved',
      by: 'ada',
    });
    sim.runToRest();
    expect(sim.state.status).toBe('completed');
    expect(sim.content.get(sim.state.nodes.audit!.output!.$cas)).toEqual({ x: 1 });
    // The events after the patch carry the new IR hash; the definition is stored under it.
    expect(sim.log.at(-1)!.irHash).toBe(sim.ir.irHash);
    expect(sim.content.has(sim.ir.irHash)).toBe(true);
    invariants(sim);
  });

  it('rejects a cycle, a change to a finished node and an SSRF URL, with their codes, and the run goes on', () => {
    const sim = started();
    const irBefore = sim.ir.irHash;
    sim.apply({
      type: 'proposePatch',
      patch: patch(sim, [{ op: 'add', path: '/edges/-', value: { from: 'b', to: 'a' } }]),
    });
    sim.apply({
      type: 'proposePatch',
      patch: patch(sim, [{ op: 'replace', path: '/nodes/0/with/handler', value: 'other' }]),
    });
    sim.apply({
      type: 'proposePatch',
      patch: patch(sim, [
        {
          op: 'add',
          path: '/nodes/-',
          value: {
            id: 'leak',
            type: 'http',
            with: { method: 'GET', url: 'http://169.254.169.254/latest/meta-data' },
          },
        },
        { op: 'add', path: '/edges/-', value: { from: 'b', to: 'leak' } },
      ]),
    });
    const codes = sim.state.patches.map((p) => [
      p.status,
      ...(p.violations ?? []).map((v) => v.code),
    ]);
    expect(codes[0]).toEqual(expect.arrayContaining(['rejected', 'CYCLE']));
    expect(codes[1]).toEqual(expect.arrayContaining(['rejected', 'IMMUTABLE_NODE']));
    expect(codes[2]).toEqual(expect.arrayContaining(['rejected', 'SSRF']));
    expect(sim.ir.irHash).toBe(irBefore);
    sim.apply({
      type: 'approve',
      ticketId: sim.openTickets()[0]!,
      decision: 'approved',
      by: 'ada',
    });
    sim.runToRest();
    expect(sim.state.status).toBe('completed');
    invariants(sim);
  });

  it('rejects a stale base and a patch for another run; a duplicate proposal is decided once', () => {
    const sim = started();
    sim.apply({
      type: 'proposePatch',
      patch: patch(sim, [], { baseIrHash: `sha256:${'0'.repeat(64)}` }),
    });
    sim.apply({ type: 'proposePatch', patch: patch(sim, [], { target: 'someone-else' }) });
    expect(sim.state.patches.map((p) => p.violations?.map((v) => v.code))).toEqual([
      expect.arrayContaining(['STALE_BASE']),
      expect.arrayContaining(['SCHEMA']),
    ]);
    const n = sim.log.length;
    sim.apply({ type: 'proposePatch', patch: { ...patch(sim, []), patchId: 'p1' } });
    expect(sim.log.length).toBe(n);
    invariants(sim);
  });

  it('removes a pending node with a patch, then reverts the patch before the node runs', () => {
    const sim = started();
    // Add a second branch after the gate, then take it out again.
    sim.apply({
      type: 'proposePatch',
      patch: patch(sim, [
        {
          op: 'add',
          path: '/nodes/-',
          value: { id: 'extra', type: 'task', with: { handler: 'echo' } },
        },
        { op: 'add', path: '/edges/-', value: { from: 'gate', to: 'extra', on: 'approved' } },
      ]),
    });
    expect(sim.state.patches[0]!.status).toBe('applied');
    const patched = sim.ir.irHash;
    sim.apply({ type: 'revertPatch', patchId: 'p1', by: 'ada' });
    expect(sim.state.patches[0]!.status).toBe('reverted');
    expect(sim.ir.irHash).not.toBe(patched);
    expect(sim.ir.irHash).toBe(sim.state.baseIrHash);
    expect(sim.ir.byId.has('extra')).toBe(false);
    sim.apply({
      type: 'approve',
      ticketId: sim.openTickets()[0]!,
      decision: 'approved',
      by: 'ada',
    });
    sim.runToRest();
    expect(sim.state.status).toBe('completed');
    expect(sim.state.nodes.extra).toBeUndefined();
    invariants(sim);
  });

  it('refuses to revert a patch whose node already ran (the past is fixed)', () => {
    const sim = started();
    sim.apply({
      type: 'proposePatch',
      patch: patch(sim, [
        {
          op: 'add',
          path: '/nodes/-',
          value: { id: 'audit', type: 'transform', with: { value: 1 } },
        },
        { op: 'add', path: '/edges/-', value: { from: 'a', to: 'audit' } },
      ]),
    });
    sim.runToRest(); // audit runs
    sim.apply({ type: 'revertPatch', patchId: 'p1', by: 'ada' });
    expect(sim.state.patches[0]!.status).toBe('applied');
    const attempt = sim.state.patches.find((p) => p.patchId === 'p1.revert');
    expect(attempt?.status).toBe('rejected');
    expect(attempt?.violations?.map((v) => v.code)).toContain('IMMUTABLE_NODE');
    invariants(sim);
  });

  it('counts applied patches against maxPatchesPerRun', () => {
    const ir = compile({ ...def, limits: { maxPatchesPerRun: 1 } });
    const sim = new Sim(ir, 'r', { handlers: echo });
    sim.put(ir.definition);
    sim.start({}).runToRest();
    const add = (id: string) => [
      { op: 'add', path: '/nodes/-', value: { id, type: 'transform', with: { value: 1 } } },
      { op: 'add', path: '/edges/-', value: { from: 'a', to: id } },
    ];
    sim.apply({ type: 'proposePatch', patch: patch(sim, add('one')) });
    sim.apply({ type: 'proposePatch', patch: patch(sim, add('two')) });
    expect(sim.state.patches.map((p) => p.status)).toEqual(['applied', 'rejected']);
    expect(sim.state.patches[1]!.violations!.map((v) => v.code)).toContain('PATCH_LIMIT');
    invariants(sim);
  });

  describe('held for a reviewer (patchPolicy)', () => {
    const codeNode = (id: string) => [
      {
        op: 'add',
        path: '/nodes/-',
        value: { id, type: 'code', with: { language: 'javascript', source: 'return 1' } },
      },
      { op: 'add', path: '/edges/-', value: { from: 'a', to: id } },
    ];
    const transformNode = (id: string) => [
      { op: 'add', path: '/nodes/-', value: { id, type: 'transform', with: { value: 1 } } },
      { op: 'add', path: '/edges/-', value: { from: 'a', to: id } },
    ];
    function startedWith(patchPolicy: WorkflowDefinition['patchPolicy']): Sim {
      const ir = compile({ ...def, ...(patchPolicy ? { patchPolicy } : {}) });
      const sim = new Sim(ir, 'r', { handlers: echo });
      sim.put(ir.definition);
      return sim.start({}).runToRest();
    }

    it('holds a patch whose only fault is a forbidden node type (the default policy); a reviewer approves it and the node runs', () => {
      const sim = startedWith(undefined);
      const before = sim.ir.irHash;
      sim.apply({ type: 'proposePatch', patch: patch(sim, codeNode('calc')) });
      expect(sim.types().slice(-2)).toEqual(['PatchProposed', 'PatchHeld']);
      expect(sim.state.patches[0]).toMatchObject({ status: 'held' });
      expect(sim.state.patches[0]!.reasons!.map((r) => r.code)).toEqual(['FORBIDDEN_TYPE']);
      expect(sim.ir.irHash).toBe(before);
      expect(sim.state.nodes.calc).toBeUndefined();

      sim.apply({ type: 'reviewPatch', patchId: 'p1', decision: 'approved', by: 'alice' });
      expect(sim.state.patches[0]).toMatchObject({ status: 'applied', reviewedBy: 'alice' });
      expect(sim.ir.irHash).not.toBe(before);
      expect(sim.state.nodes.calc!.status).toBe('scheduled');
      invariants(sim);
    });

    it('rejects a held patch when the reviewer says no, with who and why; the run is unchanged', () => {
      const sim = startedWith(undefined);
      const before = sim.ir.irHash;
      sim.apply({ type: 'proposePatch', patch: patch(sim, codeNode('calc')) });
      sim.apply({
        type: 'reviewPatch',
        patchId: 'p1',
        decision: 'rejected',
        by: 'alice',
        reason: 'no code here',
      });
      expect(sim.state.patches[0]).toMatchObject({
        status: 'rejected',
        reviewedBy: 'alice',
        reason: 'no code here',
        violations: [],
      });
      expect(sim.ir.irHash).toBe(before);
      invariants(sim);
    });

    it('never lets the author review its own patch, and only listed reviewers when there are some', () => {
      const sim = startedWith({ reviewers: ['bob'] });
      sim.apply({ type: 'proposePatch', patch: patch(sim, codeNode('calc')) });
      expect(sim.state.patches[0]!.reviewers).toEqual(['bob']);
      const seq = sim.state.seq;
      sim.apply({ type: 'reviewPatch', patchId: 'p1', decision: 'approved', by: 'agent:planner' });
      sim.apply({ type: 'reviewPatch', patchId: 'p1', decision: 'approved', by: 'alice' });
      expect(sim.state.seq).toBe(seq);
      expect(sim.state.patches[0]!.status).toBe('held');
      sim.apply({ type: 'reviewPatch', patchId: 'p1', decision: 'approved', by: 'bob' });
      expect(sim.state.patches[0]!.status).toBe('applied');
      invariants(sim);
    });

    it('judges an approved patch again: if the run moved on meanwhile, it is rejected as stale', () => {
      const sim = startedWith(undefined);
      sim.apply({ type: 'proposePatch', patch: patch(sim, codeNode('calc')) });
      sim.apply({ type: 'proposePatch', patch: patch(sim, transformNode('other')) });
      expect(sim.state.patches.map((p) => p.status)).toEqual(['held', 'applied']);
      sim.apply({ type: 'reviewPatch', patchId: 'p1', decision: 'approved', by: 'alice' });
      expect(sim.state.patches[0]!.status).toBe('rejected');
      expect(sim.state.patches[0]!.violations!.map((v) => v.code)).toEqual(['STALE_BASE']);
      invariants(sim);
    });

    it('rejects forbidden types outright under review "never", and holds every valid patch under "always"', () => {
      const never = startedWith({ review: 'never' });
      never.apply({ type: 'proposePatch', patch: patch(never, codeNode('calc')) });
      expect(never.state.patches[0]!.status).toBe('rejected');
      expect(never.state.patches[0]!.violations!.map((v) => v.code)).toEqual(['FORBIDDEN_TYPE']);

      const always = startedWith({ review: 'always' });
      always.apply({ type: 'proposePatch', patch: patch(always, transformNode('t')) });
      expect(always.state.patches[0]!.status).toBe('held');
      expect(always.state.patches[0]!.reasons!.map((r) => r.code)).toEqual(['REVIEW_REQUIRED']);
      invariants(never);
      invariants(always);
    });

    it('rejects a patch with a forbidden type and another fault: only a valid patch is ever held', () => {
      const sim = startedWith(undefined);
      const ops = [
        ...codeNode('calc'),
        { op: 'add', path: '/edges/-', value: { from: 'calc', to: 'a' } },
      ];
      sim.apply({ type: 'proposePatch', patch: patch(sim, ops) });
      expect(sim.state.patches[0]!.status).toBe('rejected');
      const codes = sim.state.patches[0]!.violations!.map((v) => v.code);
      expect(codes).toContain('CYCLE');
      expect(codes).toContain('FORBIDDEN_TYPE');
      invariants(sim);
    });

    it('lets agentTypes allow code nodes without review', () => {
      const sim = startedWith({ agentTypes: ['transform', 'code'] });
      sim.apply({ type: 'proposePatch', patch: patch(sim, codeNode('calc')) });
      expect(sim.state.patches[0]!.status).toBe('applied');
      invariants(sim);
    });
  });
});
