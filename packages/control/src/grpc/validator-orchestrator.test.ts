// An orchestrator whose validator is the gRPC service decides proposals exactly as one that judges
// them with the library: a cyclic patch is rejected with the same violations. While the service is
// down, the decision fails and the command stays unacknowledged; it goes through once the service
// is back — never decided without a verdict, never dropped.
import { afterEach, describe, expect, it } from 'vitest';
import type { AnyRunEvent, IR } from '@aob/core';
import { compileCached, Topic } from '@aob/core';
import { MemoryBus } from '@aob/bus';
import { MemoryContentStore, MemoryEventStore } from '@aob/store';
import type { PatchValidator } from '@aob/engine';
import { Orchestrator, ResultConsumer } from '@aob/engine';
import { Validator } from '../generated/aob/v1/validator_pb.js';
import type { GrpcServer } from './server.js';
import { register, serveGrpc } from './server.js';
import { GrpcPatchValidator, validatorHandlers } from './validator.js';

const ir: IR = compileCached({
  name: 'gated',
  version: '1',
  nodes: [
    { id: 'gate', type: 'approval', with: { approvers: ['ops'] } },
    { id: 'b', type: 'task', with: { handler: 'noop' } },
  ],
  edges: [{ from: 'gate', to: 'b', on: 'approved' }],
});

/** b → gate closes a cycle (and is an edge into the started gate). */
const cyclic = {
  patchId: 'p1',
  scope: 'run',
  target: 'run-1',
  baseIrHash: ir.irHash,
  ops: [{ op: 'add', path: '/edges/-', value: { from: 'b', to: 'gate' } }],
  author: 'agent:planner',
  rationale: 'loop until approved',
};

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** A validator service counting the calls it answers. */
async function validatorService(port = 0): Promise<{ server: GrpcServer; calls: () => number }> {
  let calls = 0;
  const handlers = validatorHandlers();
  const server = await serveGrpc(
    [
      register(Validator, {
        validatePatch: (req, ctx) => {
          calls++;
          return handlers.validatePatch(req, ctx);
        },
      }),
    ],
    { host: '127.0.0.1', port },
  );
  cleanup.push(() => server.stop(100));
  return { server, calls: () => calls };
}

async function orchestrator(validator?: PatchValidator, bus = new MemoryBus()) {
  const events = new MemoryEventStore();
  const content = new MemoryContentStore();
  await content.put(ir.definition);
  const o = new Orchestrator({
    events,
    content,
    bus,
    now: () => 5_000,
    random: () => 0.5,
    newId: (kind) => `${kind}-1`,
    loadIr: async () => ir,
    resolveWorkflow: async () => {
      throw new Error('no subworkflows here');
    },
    ...(validator ? { validator } : {}),
  });
  cleanup.push(() => o.close());
  await o.start(ir, {}, { runId: 'run-1' });
  return { o, events, bus };
}

const patchEvents = (log: readonly AnyRunEvent[]) =>
  log
    .filter((e) => e.type.startsWith('Patch'))
    .map(({ type, data, actor }) => ({ type, data, actor }));

describe('orchestrator with the validator service', () => {
  it('rejects a cyclic patch exactly as with the library', async () => {
    const { server, calls } = await validatorService();
    const remote = new GrpcPatchValidator(`127.0.0.1:${server.port}`);
    cleanup.push(() => remote.close());
    const viaService = await orchestrator(remote);
    const inProcess = await orchestrator();

    await viaService.o.trigger('run-1', { type: 'proposePatch', patch: cyclic });
    await inProcess.o.trigger('run-1', { type: 'proposePatch', patch: cyclic });

    expect(calls()).toBe(1);
    const got = patchEvents(await viaService.events.read('run-1'));
    expect(got.map((e) => e.type)).toEqual(['PatchProposed', 'PatchRejected']);
    const violations = (got[1]!.data as { violations: { code: string; path: string }[] })
      .violations;
    expect(violations).toContainEqual(expect.objectContaining({ code: 'CYCLE' }));
    expect(got).toEqual(patchEvents(await inProcess.events.read('run-1')));
    // The whole logs agree too, seq for seq (same clock and ids on both sides), but for the trace
    // context each start makes afresh.
    const untraced = (events: { traceparent?: string }[]) =>
      events.map(({ traceparent: _made, ...rest }) => rest);
    expect(untraced(await viaService.events.read('run-1'))).toEqual(
      untraced(await inProcess.events.read('run-1')),
    );
  });

  it('fails the decision while the service is down; a retry decides it once the service is back', async () => {
    // A port that was free a moment ago, and nothing listening on it yet.
    const probe = await validatorService();
    const port = probe.server.port;
    await probe.server.stop(0);

    const remote = new GrpcPatchValidator(`127.0.0.1:${port}`, { timeoutMs: 1_000 });
    cleanup.push(() => remote.close());
    const bus = new MemoryBus({ redeliverAfterMs: 60_000 });
    const { o, events } = await orchestrator(remote, bus);
    const errors: { code?: string; message: string }[] = [];
    const consumer = new ResultConsumer(
      bus,
      o,
      'c1',
      'orchestrators',
      (err) => errors.push(err as { code?: string; message: string }),
      async (_runId, command) => [(command as { trigger: never }).trigger],
    );
    await consumer.start();
    cleanup.push(
      () => consumer.stop(),
      () => bus.close(),
    );

    await bus.publish(Topic.commands, 'run-1', {
      type: 'trigger',
      runId: 'run-1',
      trigger: { type: 'proposePatch', patch: cyclic },
    });
    await expect.poll(() => errors.length, { timeout: 5_000 }).toBeGreaterThan(0);
    expect(errors[0]).toMatchObject({
      code: 'VALIDATOR_UNAVAILABLE',
      message: expect.stringContaining(`validator at 127.0.0.1:${port}`),
    });
    expect(patchEvents(await events.read('run-1'))).toEqual([]);

    const back = await validatorService(port);
    await expect
      .poll(async () => patchEvents(await events.read('run-1')).map((e) => e.type), {
        timeout: 15_000,
        interval: 100,
      })
      .toEqual(['PatchProposed', 'PatchRejected']);
    expect(back.calls()).toBe(1);
  }, 30_000);
});
