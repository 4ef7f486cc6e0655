// Pure nodes run by the orchestrator in the decision that schedules them (inline.ts): no job for
// them reaches the bus, a stretch of them costs one append, and the log is the one a runner's
// results would have made.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AnyRunEvent, IR, WorkflowDefinition } from '@aob/core';
import { Topic, compileCached, fold } from '@aob/core';
import { MemoryBus } from '@aob/bus';
import { MemoryContentStore, MemoryEventStore } from '@aob/store';
import { LocalEngine } from '../local/local-engine.js';
import { MAX_INLINE_PER_DECISION } from './inline.js';
import { testOrchestrator } from '../test-support/orchestrators.js';

const JOB_TOPICS = new Set<string>([Topic.jobsHigh, Topic.jobsMedium, Topic.jobsLow]);

/** An event store that counts its appends. */
class CountingEventStore extends MemoryEventStore {
  appends = 0;
  override append(...args: Parameters<MemoryEventStore['append']>) {
    this.appends += 1;
    return super.append(...args);
  }
}

async function orchestrate(
  definition: WorkflowDefinition,
  inlinePureNodes?: boolean,
  inputs: unknown = { n: 20 },
) {
  const events = new CountingEventStore();
  const content = new MemoryContentStore();
  const bus = new MemoryBus();
  const jobs: { nodeId: string; type: string }[] = [];
  const publish = bus.publish.bind(bus);
  bus.publish = (topic, key, value, headers) => {
    if (JOB_TOPICS.has(topic)) jobs.push(value as { nodeId: string; type: string });
    return publish(topic, key, value, headers);
  };
  const ir: IR = compileCached(definition);
  await content.put(ir.definition);
  const orchestrator = testOrchestrator({
    events,
    content,
    bus,
    loadIr: async () => ir,
    ...(inlinePureNodes === false ? { inlinePureNodes } : {}),
  });
  const runId = 'run_inline1';
  await orchestrator.start(ir, inputs, { runId });
  const log = await events.read(runId);
  orchestrator.close();
  return { log, state: fold(log, runId), jobs, appends: events.appends };
}

const DIAMOND: WorkflowDefinition = {
  name: 'diamond',
  version: '1',
  nodes: [
    { id: 'a', type: 'transform', with: { value: '{% inputs.n + 1 %}' } },
    { id: 'b', type: 'transform', with: { value: '{% nodes.a.output * 2 %}' } },
    { id: 'c', type: 'transform', with: { value: '{% nodes.a.output * 3 %}' } },
    { id: 'j', type: 'join', with: { mode: 'all' } },
    { id: 't', type: 'task', with: { handler: 'h' } },
  ],
  edges: [
    { from: 'a', to: 'b' },
    { from: 'a', to: 'c' },
    { from: 'b', to: 'j' },
    { from: 'c', to: 'j' },
    { from: 'j', to: 't' },
  ],
};

describe('pure nodes run in the orchestrator', () => {
  it('decides a diamond of transforms and its join in the start’s one append; only the task reaches the bus', async () => {
    const { log, state, jobs, appends } = await orchestrate(DIAMOND);
    expect(appends).toBe(1);
    expect(jobs.map((j) => j.nodeId)).toEqual(['t']);
    for (const id of ['a', 'b', 'c', 'j']) expect(state.nodes[id]!.status).toBe('succeeded');
    expect(state.nodes.t!.status).toBe('scheduled');
    // Each pure node is scheduled, started and succeeded, as a runner's results would record it.
    const ofA = log.filter((e) => nodeOf(e) === 'a').map((e) => e.type);
    expect(ofA).toEqual(['NodeScheduled', 'NodeStarted', 'NodeSucceeded']);
  });

  it('sends every job to the runners with inlinePureNodes false', async () => {
    const { jobs, appends } = await orchestrate(DIAMOND, false);
    expect(appends).toBe(1);
    expect(jobs.map((j) => j.nodeId)).toEqual(['a']);
  });

  it('records no node start in fidelity fast', async () => {
    const { log, state } = await orchestrate({ ...DIAMOND, fidelity: 'fast' });
    expect(state.nodes.j!.status).toBe('succeeded');
    expect(log.some((e) => e.type === 'NodeStarted')).toBe(false);
  });

  it(`runs at most ${MAX_INLINE_PER_DECISION} pure jobs in one decision; the next goes to a runner`, async () => {
    const items = MAX_INLINE_PER_DECISION + 3;
    const { state, jobs, appends } = await orchestrate(
      {
        name: 'long',
        version: '1',
        nodes: [
          {
            id: 'm',
            type: 'map',
            with: {
              items: '{% inputs.xs %}',
              concurrency: 1,
              body: { type: 'transform', with: { value: '{% item + 1 %}' } },
            },
          },
        ],
      },
      undefined,
      { xs: Array.from({ length: items }, (_, i) => i) },
    );
    expect(appends).toBe(1);
    // Iterations run one at a time: the bound's worth inline, then one job for the next item.
    expect(jobs).toMatchObject([{ nodeId: 'm', iteration: MAX_INLINE_PER_DECISION }]);
    expect(state.nodes.m!.map).toMatchObject({ done: MAX_INLINE_PER_DECISION, total: items });
  });
});

function nodeOf(e: AnyRunEvent): unknown {
  return (e.data as Record<string, unknown>).nodeId;
}

/** A run's log as a runner-independent story: event types, nodes, iterations, outputs. */
function story(log: readonly AnyRunEvent[]): unknown[] {
  return log.map((e) => {
    const data = e.data as Record<string, unknown>;
    return [e.type, data.nodeId, data.iteration, data.attempt, data.output];
  });
}

describe('the local engine with and without inline pure nodes', () => {
  it('writes the same log for maps of transforms, joins and tasks', async () => {
    const definition: WorkflowDefinition = {
      name: 'mixed',
      version: '1',
      nodes: [
        {
          id: 'double',
          type: 'map',
          with: {
            items: '{% inputs.xs %}',
            concurrency: 1,
            body: { type: 'transform', with: { value: '{% item * 2 %}' } },
          },
        },
        { id: 'shout', type: 'task', with: { handler: 'upper' } },
        { id: 'both', type: 'join', with: { mode: 'all' } },
        { id: 'sum', type: 'transform', with: { value: '{% $sum(nodes.double.output) %}' } },
      ],
      edges: [
        { from: 'double', to: 'both' },
        { from: 'shout', to: 'both' },
        { from: 'both', to: 'sum' },
      ],
      output: '{% nodes.sum.output %}',
    };
    const logs: unknown[][] = [];
    for (const inlinePureNodes of [true, false]) {
      const home = mkdtempSync(join(tmpdir(), 'aob-inline-'));
      const engine = await LocalEngine.open({
        home,
        store: 'memory',
        inlinePureNodes,
        handlers: { upper: () => 'HI' },
      });
      try {
        const runId = await engine.control.start(definition, { xs: [1, 2, 3] });
        const done = await engine.control.wait(runId, { timeoutMs: 10_000 });
        expect(done).toMatchObject({ status: 'completed', output: 12 });
        logs.push(story(await engine.control.events(runId)));
      } finally {
        await engine.close();
        rmSync(home, { recursive: true, force: true });
      }
    }
    // The task's result may land between other decisions: compare each node's own story.
    const byNode = (l: unknown[]) =>
      [...l].sort((x, y) => String((x as unknown[])[1]).localeCompare(String((y as unknown[])[1])));
    expect(byNode(logs[0]!)).toEqual(byNode(logs[1]!));
  });
});
