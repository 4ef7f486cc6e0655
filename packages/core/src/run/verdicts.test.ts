// Verdicts from the shell (a validator service): decide uses the verdict it is given for a
// proposal instead of judging it itself, refuses to judge behind the service's back, and the input
// the shell sends is the one the core would judge.
import { describe, expect, it } from 'vitest';
import { compile } from '../ir/compile.js';
import type { WorkflowDefinition } from '../definition/types.js';
import { validatePatch } from '../patch/validate.js';
import { REVIEWED_POLICY } from '../patch/review.js';
import type { PatchVerdict } from '../patch/validate.js';
import { decide } from './decide.js';
import type { DeciderEnv } from './decider.js';
import { proposalValidationInput, reviewValidationInput } from './patches.js';
import { Sim } from './testing/sim.js';

const def: WorkflowDefinition = {
  name: 'v',
  version: '1',
  nodes: [
    { id: 'a', type: 'task', with: { handler: 'echo' } },
    { id: 'gate', type: 'approval', with: { approvers: ['ops'] } },
  ],
  edges: [{ from: 'a', to: 'gate' }],
};

function started(): Sim {
  const ir = compile(def);
  const sim = new Sim(ir, 'r', { handlers: { echo: (x: unknown) => x } });
  sim.put(ir.definition);
  return sim.start({}).runToRest(); // a succeeded, gate waiting
}

const cycle = (sim: Sim) => ({
  patchId: 'p1',
  scope: 'run',
  target: sim.runId,
  baseIrHash: sim.ir.irHash,
  ops: [{ op: 'add', path: '/edges/-', value: { from: 'gate', to: 'a' } }],
  author: 'agent:x',
});

describe('validator verdicts given by the shell', () => {
  it('the input is what the core judges: its verdict is the library decision', () => {
    const sim = started();
    const patch = cycle(sim);
    const input = proposalValidationInput(sim.state, sim.ir, patch);
    expect(input).toMatchObject({
      patch,
      base: sim.ir.definition,
      baseIrHash: sim.ir.irHash,
      appliedPatches: 0,
      spawnedByAuthor: 0,
      policy: { allowAgentTypes: expect.any(Array) },
    });
    expect(input!.state!.nodes.a!.status).toBe('succeeded');
    const verdict = validatePatch(input!);
    const events = sim.apply({ type: 'proposePatch', patch });
    expect(events.at(-1)).toMatchObject({
      type: 'PatchRejected',
      data: { patchId: 'p1', violations: verdict.violations },
    });
    // Decided once: a second delivery judges nothing.
    expect(proposalValidationInput(sim.state, sim.ir, patch)).toBeUndefined();
  });

  it('counts applied patches and the author’s spawns', () => {
    const sim = started();
    sim.apply({
      type: 'proposePatch',
      patch: {
        ...cycle(sim),
        ops: [
          {
            op: 'add',
            path: '/nodes/-',
            value: { id: 'n1', type: 'transform', with: { value: 1 } },
          },
          {
            op: 'add',
            path: '/nodes/-',
            value: { id: 'n2', type: 'transform', with: { value: 2 } },
          },
        ],
      },
    });
    expect(sim.state.patches[0]!.status).toBe('applied');
    const input = proposalValidationInput(sim.state, sim.ir, { ...cycle(sim), patchId: 'p2' });
    expect(input).toMatchObject({ appliedPatches: 1, spawnedByAuthor: 2 });
    const other = proposalValidationInput(sim.state, sim.ir, { patchId: 'p3', ops: [] }, 'ada');
    expect(other).toMatchObject({ appliedPatches: 1, spawnedByAuthor: 0 });
  });

  it('judges nothing once the run is over', () => {
    const sim = started();
    sim.apply({ type: 'cancel', reason: 'done' });
    expect(proposalValidationInput(sim.state, sim.ir, cycle(sim))).toBeUndefined();
  });

  it('decides on the verdict it is given, not its own', () => {
    const sim = started();
    const patch = cycle(sim); // the library rejects it (CYCLE)
    const given: PatchVerdict = {
      ok: false,
      violations: [{ code: 'FROM_SERVICE', path: '/ops/0', message: 'the service says no' }],
      notes: [],
    };
    const env: DeciderEnv = { ...sim.env(), verdicts: new Map([[patch, given]]) };
    const d = decide(sim.state, sim.ir, { type: 'proposePatch', patch }, env);
    expect(d.events.map((e) => e.type)).toEqual(['PatchProposed', 'PatchRejected']);
    expect(d.events[1]!.data).toEqual({ patchId: 'p1', violations: given.violations });
  });

  it('refuses a proposal the shell gave no verdict for', () => {
    const sim = started();
    const env: DeciderEnv = { ...sim.env(), verdicts: new Map() };
    expect(() =>
      decide(sim.state, sim.ir, { type: 'proposePatch', patch: cycle(sim) }, env),
    ).toThrow(expect.objectContaining({ code: 'VERDICT_MISSING' }));
  });

  describe('approvals of held patches', () => {
    /** The same workflow, whose patch policy holds every valid patch for a reviewer. */
    function held(): { sim: Sim; patchId: string } {
      const ir = compile({ ...def, patchPolicy: { review: 'always' } });
      const sim = new Sim(ir, 'r', { handlers: { echo: (x: unknown) => x } });
      sim.put(ir.definition);
      sim.start({}).runToRest();
      const patch = {
        ...cycle(sim),
        ops: [
          {
            op: 'add',
            path: '/nodes/-',
            value: { id: 'n1', type: 'transform', with: { value: 1 } },
          },
        ],
      };
      sim.apply({ type: 'proposePatch', patch });
      expect(sim.state.patches[0]!.status).toBe('held');
      return { sim, patchId: 'p1' };
    }

    it('the input of an approval is what the core judges; a rejection or a refused reviewer judges nothing', () => {
      const { sim, patchId } = held();
      const input = reviewValidationInput(sim.state, sim.ir, patchId, 'approved', 'ada');
      expect(input).toMatchObject({
        patch: { patchId, ops: sim.state.patches[0]!.ops, author: 'agent:x' },
        policy: REVIEWED_POLICY,
        appliedPatches: 0,
      });
      expect(validatePatch(input!).ok).toBe(true);
      expect(reviewValidationInput(sim.state, sim.ir, patchId, 'rejected', 'ada')).toBeUndefined();
      // The author may not review its own patch; an unknown patch is not held.
      expect(
        reviewValidationInput(sim.state, sim.ir, patchId, 'approved', 'agent:x'),
      ).toBeUndefined();
      expect(reviewValidationInput(sim.state, sim.ir, 'p9', 'approved', 'ada')).toBeUndefined();
      const events = sim.apply({ type: 'reviewPatch', patchId, decision: 'approved', by: 'ada' });
      expect(events.some((e) => e.type === 'PatchApplied')).toBe(true);
    });

    it('decides an approval on the verdict it is given', () => {
      const { sim, patchId } = held();
      const given: PatchVerdict = {
        ok: false,
        violations: [{ code: 'FROM_SERVICE', path: '/ops/0', message: 'no longer valid' }],
        notes: [],
      };
      const env: DeciderEnv = { ...sim.env(), reviewVerdicts: new Map([[patchId, given]]) };
      const trigger = { type: 'reviewPatch', patchId, decision: 'approved', by: 'ada' } as const;
      const d = decide(sim.state, sim.ir, trigger, env);
      expect(d.events.map((e) => e.type)).toEqual(['PatchRejected']);
      expect(d.events[0]!.data).toMatchObject({ patchId, violations: given.violations });
      const missing: DeciderEnv = { ...sim.env(), reviewVerdicts: new Map() };
      const again = held();
      expect(() => decide(again.sim.state, again.sim.ir, trigger, missing)).toThrow(
        expect.objectContaining({ code: 'VERDICT_MISSING' }),
      );
    });
  });
});
