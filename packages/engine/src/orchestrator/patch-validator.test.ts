// The orchestrator asks its PatchValidator about every proposal before deciding and decides on
// that verdict; a validator that cannot answer fails the decision (nothing is appended) so it is
// retried, never decided without a verdict.
import { describe, expect, it } from 'vitest';
import type { AnyRunEvent, IR, PatchVerdict, ValidatePatchInput } from '@aob/core';
import { AobError, compileCached, proposalValidationInput, REVIEWED_POLICY } from '@aob/core';
import { MemoryBus } from '@aob/bus';
import { MemoryContentStore, MemoryEventStore } from '@aob/store';
import { newId } from '../app/ids.js';
import { Orchestrator } from './orchestrator.js';
import type { PatchValidator } from './patch-validator.js';
import { LibraryPatchValidator } from './patch-validator.js';

const ir: IR = compileCached({
  name: 'gated',
  version: '1',
  nodes: [
    { id: 'gate', type: 'approval', with: { approvers: ['ops'] } },
    { id: 'b', type: 'task', with: { handler: 'noop' } },
  ],
  edges: [{ from: 'gate', to: 'b', on: 'approved' }],
});

/** Adds b → gate: a cycle (and an edge into the started gate). */
const cyclic = {
  patchId: 'p1',
  scope: 'run',
  target: 'run-1',
  baseIrHash: ir.irHash,
  ops: [{ op: 'add', path: '/edges/-', value: { from: 'b', to: 'gate' } }],
  author: 'agent:x',
};

/** The library, recording what it was asked, failing the next `failures` calls. */
class RecordingValidator implements PatchValidator {
  readonly inputs: ValidatePatchInput[] = [];
  failures = 0;
  private readonly library = new LibraryPatchValidator();
  async validate(input: ValidatePatchInput): Promise<PatchVerdict> {
    if (this.failures > 0) {
      this.failures--;
      throw new AobError('VALIDATOR_UNAVAILABLE', 'validator at 127.0.0.1:1: connection refused', {
        retryable: true,
      });
    }
    this.inputs.push(structuredClone(input));
    return this.library.validate(input);
  }
}

async function orchestrator(validator?: PatchValidator, on: IR = ir) {
  const events = new MemoryEventStore();
  const content = new MemoryContentStore();
  await content.put(on.definition);
  const o = new Orchestrator({
    events,
    content,
    bus: new MemoryBus(),
    now: () => 1_000,
    random: () => 0.5,
    newId,
    loadIr: async () => on,
    resolveWorkflow: async () => {
      throw new Error('no subworkflows here');
    },
    ...(validator ? { validator } : {}),
  });
  await o.start(on, {}, { runId: 'run-1' });
  return { o, events };
}

const patchEvents = (log: readonly AnyRunEvent[]) =>
  log.filter((e) => e.type.startsWith('Patch')).map((e) => ({ type: e.type, data: e.data }));

describe('orchestrator with a patch validator', () => {
  it('decides a proposal on the validator’s verdict, exactly as the library in decide would', async () => {
    const validator = new RecordingValidator();
    const remote = await orchestrator(validator);
    const local = await orchestrator();
    const state = await remote.o.state('run-1');
    const expected = structuredClone(proposalValidationInput(state!, ir, cyclic));
    await remote.o.trigger('run-1', { type: 'proposePatch', patch: cyclic });
    await local.o.trigger('run-1', { type: 'proposePatch', patch: cyclic });

    expect(validator.inputs).toEqual([expected]);
    const judged = patchEvents(await remote.events.read('run-1'));
    expect(judged.map((e) => e.type)).toEqual(['PatchProposed', 'PatchRejected']);
    const codes = (judged[1]!.data as { violations: { code: string }[] }).violations.map(
      (v) => v.code,
    );
    expect(codes).toContain('CYCLE');
    expect(judged).toEqual(patchEvents(await local.events.read('run-1')));

    // Delivered again: decided once, and the validator is not asked.
    await remote.o.trigger('run-1', { type: 'proposePatch', patch: cyclic });
    expect(validator.inputs).toHaveLength(1);
  });

  it('a validator that cannot answer fails the decision: nothing is appended, a retry decides', async () => {
    const validator = new RecordingValidator();
    const { o, events } = await orchestrator(validator);
    const before = (await events.read('run-1')).length;
    validator.failures = 1;
    await expect(o.trigger('run-1', { type: 'proposePatch', patch: cyclic })).rejects.toThrow(
      expect.objectContaining({ code: 'VALIDATOR_UNAVAILABLE' }),
    );
    expect(await events.read('run-1')).toHaveLength(before);

    await o.trigger('run-1', { type: 'proposePatch', patch: cyclic });
    expect(patchEvents(await events.read('run-1')).map((e) => e.type)).toEqual([
      'PatchProposed',
      'PatchRejected',
    ]);
  });

  it('asks about each proposal of a batch on the state the earlier ones left', async () => {
    const validator = new RecordingValidator();
    const { o, events } = await orchestrator(validator);
    const add = (patchId: string, id: string) => ({
      ...cyclic,
      patchId,
      ops: [{ op: 'add', path: '/nodes/-', value: { id, type: 'transform', with: { value: 1 } } }],
    });
    const first = add('p1', 'n1');
    await o.triggerMany('run-1', [
      { type: 'proposePatch', patch: first },
      // Written against the IR before p1: stale once p1 is applied.
      { type: 'proposePatch', patch: add('p2', 'n2') },
    ]);
    expect(validator.inputs.map((i) => [i.appliedPatches, i.spawnedByAuthor])).toEqual([
      [0, 0],
      [1, 1],
    ]);
    const judged = patchEvents(await events.read('run-1'));
    expect(judged.map((e) => e.type)).toEqual([
      'PatchProposed',
      'PatchApplied',
      'PatchProposed',
      'PatchRejected',
    ]);
    expect(JSON.stringify(judged[3]!.data)).toContain('STALE_BASE');
  });

  it('asks about the approval of a held patch, with every node type allowed', async () => {
    const reviewed = compileCached({ ...ir.definition, patchPolicy: { review: 'always' } });
    const validator = new RecordingValidator();
    const { o, events } = await orchestrator(validator, reviewed);
    const patch = {
      ...cyclic,
      baseIrHash: reviewed.irHash,
      ops: [
        { op: 'add', path: '/nodes/-', value: { id: 'n1', type: 'transform', with: { value: 1 } } },
      ],
    };
    await o.trigger('run-1', { type: 'proposePatch', patch });
    await o.trigger('run-1', {
      type: 'reviewPatch',
      patchId: 'p1',
      decision: 'approved',
      by: 'ada',
    });
    expect(validator.inputs).toHaveLength(2);
    expect(validator.inputs[1]).toMatchObject({
      patch: { patchId: 'p1', ops: patch.ops, author: 'agent:x' },
      policy: REVIEWED_POLICY,
    });
    expect(patchEvents(await events.read('run-1')).map((e) => e.type)).toEqual([
      'PatchProposed',
      'PatchHeld',
      'PatchApplied',
    ]);
    // A rejection judges nothing: the validator is not asked.
    await o.trigger('run-1', {
      type: 'reviewPatch',
      patchId: 'p1',
      decision: 'rejected',
      by: 'ada',
    });
    expect(validator.inputs).toHaveLength(2);
  });
});
