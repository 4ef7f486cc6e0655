import { describe, expect, it } from 'vitest';
import { compile } from '../ir/compile.js';
import type { NodeState, NodeStatus } from './state.js';
import { FINISHED, initialState } from './state.js';
import { anyInFlight, anyPredecessorUnfinished, isInFlight } from './scan-hints.js';

// A fan-out of transforms from `a`, joined by `j`: the shape whose decisions grew with the graph
// (narrow, so that states where every node has finished come up often).
const width = 8;
const ir = compile({
  name: 'wide',
  version: '1',
  nodes: [
    { id: 'a', type: 'transform', with: { value: 1 } },
    ...Array.from({ length: width }, (_, k) => ({
      id: `b${k}`,
      type: 'transform',
      with: { value: k },
    })),
    { id: 'j', type: 'join' },
  ],
  edges: [
    ...Array.from({ length: width }, (_, k) => ({ from: 'a', to: `b${k}` })),
    ...Array.from({ length: width }, (_, k) => ({ from: `b${k}`, to: 'j' })),
  ],
});
const join = ir.byId.get('j')!;

// Mostly finished, so that both answers come up.
const STATUSES: NodeStatus[] = [
  'succeeded',
  'succeeded',
  'succeeded',
  'succeeded',
  'failed',
  'skipped',
  'skipped',
  'skipped',
  'scheduled',
  'running',
  'retrying',
  'waiting',
  'succeeded',
  'failed',
  'skipped',
];

/** A small seeded generator (mulberry32), so a failure is reproduced from the printed seed. */
function random(seed: number): () => number {
  let t = seed >>> 0;
  return () => {
    t = (t + 0x6d2b79f5) >>> 0;
    let r = Math.imul(t ^ (t >>> 15), 1 | t);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

describe('scan hints', () => {
  it('answer as a walk of the whole graph would, through states that change under them', () => {
    const seed = Number(process.env.AOB_TEST_SEED ?? Date.now() % 1_000_000);
    const next = random(seed);
    const state = initialState('run_1');
    for (const n of ir.nodes) state.nodes[n.id] = { status: 'succeeded', attempt: 1 } as NodeState;
    const seen = { inFlight: 0, idle: 0, unfinished: 0, finished: 0 };
    for (let step = 0; step < 2_000; step++) {
      // Change a few nodes (a decision's worth), some of them back and forth.
      const touched: string[] = [];
      for (let c = 1 + Math.floor(next() * 3); c > 0; c--) {
        const n = ir.nodes[Math.floor(next() * ir.nodes.length)]!;
        if (next() < 0.03) delete state.nodes[n.id];
        else {
          const s = {
            status: STATUSES[Math.floor(next() * STATUSES.length)]!,
            attempt: 1,
          } as NodeState;
          if (s.status === 'waiting' && next() < 0.5) {
            s.ticket = { ticketId: 't', approvers: [], quorum: 1, approvals: [], escalated: false };
          }
          state.nodes[n.id] = s;
        }
        touched.push(n.id);
      }
      const walked = ir.nodes.some((n) => isInFlight(state.nodes[n.id]));
      expect(anyInFlight(ir, state, touched), `seed ${seed}, step ${step}`).toBe(walked);
      seen[walked ? 'inFlight' : 'idle'] += 1;
      const unfinished = (ir.in[join] ?? []).some((e) => {
        const s = state.nodes[ir.nodes[ir.edges[e]!.from]!.id];
        return !s || !FINISHED.has(s.status);
      });
      expect(anyPredecessorUnfinished(ir, state, join), `seed ${seed}, step ${step}`).toBe(
        unfinished,
      );
      seen[unfinished ? 'unfinished' : 'finished'] += 1;
    }
    // Both answers were asked for, many times each.
    expect(Math.min(...Object.values(seen)), JSON.stringify(seen)).toBeGreaterThan(50);
  });

  it('a wait on a person is not work in flight; a wait on anything else is', () => {
    const waiting = { status: 'waiting', attempt: 1 } as NodeState;
    expect(isInFlight(waiting)).toBe(true);
    expect(
      isInFlight({
        ...waiting,
        ticket: { ticketId: 't', approvers: [], quorum: 1, approvals: [], escalated: false },
      }),
    ).toBe(false);
    expect(isInFlight({ status: 'succeeded', attempt: 1 } as NodeState)).toBe(false);
    expect(isInFlight(undefined)).toBe(false);
  });
});
