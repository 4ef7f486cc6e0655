// Properties of validatePatch over generated DAG definitions, run states (a topological prefix of
// the nodes started or finished) and generated patches (adds, removes, replaces and moves of nodes
// and edges, cycles, changes to finished nodes, spawn bursts, SSRF URLs, bad paths). Whatever the
// patch, an ACCEPTED one must leave an acyclic, valid definition, the past untouched and the
// limits respected. Each property also counts acceptances, so that it cannot hold vacuously.
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { NodeDefinition, WorkflowDefinition } from '../definition/types.js';
import { validateDefinition } from '../definition/validate.js';
import { compile, irHashOf } from '../ir/compile.js';
import { initialState, type NodeStatus, type RunState } from '../run/state.js';
import { checkUrl } from './ssrf.js';
import { validatePatch, type PatchVerdict } from './validate.js';

const NUM_RUNS = 3000;

const URLS = [
  'https://api.example.com/x',
  'http://8.8.8.8/',
  'http://127.1/',
  'http://[::ffff:a9fe:a9fe]/',
  'http://10.0.0.1/',
  'http://localhost:8080/',
  '{% inputs.url %}',
];
const STARTED: NodeStatus[] = [
  'scheduled',
  'running',
  'retrying',
  'waiting',
  'succeeded',
  'failed',
  'skipped',
];
const NEW_IDS = ['x0', 'x1', 'x2', 'x3'];

interface Scenario {
  base: WorkflowDefinition;
  state: RunState;
  frozen: Set<string>;
  patch: { ops: unknown[]; baseIrHash: string };
  appliedPatches: number;
  spawnedByAuthor: number;
}

const nodeOf = (id: string, type: string, url: string): NodeDefinition =>
  type === 'http'
    ? { id, type: 'http', with: { method: 'GET', url } }
    : type === 'code'
      ? { id, type: 'code', with: { language: 'javascript', source: 'return 1' } }
      : type === 'map'
        ? {
            id,
            type: 'map',
            with: { items: [1, 2], body: { type: 'http', with: { method: 'GET', url } } },
          }
        : { id, type: 'task', with: { handler: 'h' } };

const arbBase = fc
  .record({
    n: fc.integer({ min: 1, max: 7 }),
    pairs: fc.array(fc.tuple(fc.nat(6), fc.nat(6)), { maxLength: 10 }),
    types: fc.array(fc.constantFrom('task', 'task', 'http', 'code'), {
      minLength: 7,
      maxLength: 7,
    }),
    urls: fc.array(fc.constantFrom(...URLS), { minLength: 7, maxLength: 7 }),
    extraNodes: fc.integer({ min: 1, max: 6 }),
    maxAgentSpawns: fc.integer({ min: 1, max: 6 }),
    maxPatchesPerRun: fc.integer({ min: 1, max: 5 }),
    withOutput: fc.boolean(),
  })
  .map(({ n, pairs, types, urls, extraNodes, maxAgentSpawns, maxPatchesPerRun, withOutput }) => {
    const ids = Array.from({ length: n }, (_, i) => `n${i}`);
    const seen = new Set<string>();
    const edges = pairs.flatMap(([a, b]) => {
      const [from, to] = [Math.min(a, b) % n, Math.max(a, b) % n];
      if (from >= to || seen.has(`${from}-${to}`)) return [];
      seen.add(`${from}-${to}`);
      return [{ from: ids[from]!, to: ids[to]! }];
    });
    const base: WorkflowDefinition = {
      name: 'prop',
      version: '1',
      limits: { maxNodes: n + extraNodes, maxAgentSpawns, maxPatchesPerRun },
      nodes: ids.map((id, i) => nodeOf(id, types[i]!, urls[i]!)),
      edges,
    };
    if (withOutput) base.output = `{% nodes.n${n - 1}.output %}`;
    return base;
  });

const arbScenario: fc.Arbitrary<Scenario> = arbBase.chain((base) => {
  const n = base.nodes.length;
  const ids = base.nodes.map((x) => x.id);
  const anyId = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...ids) },
    { weight: 1, arbitrary: fc.constantFrom(...NEW_IDS) },
  );
  const index = fc.nat(n + 1);
  const edgeIndex = fc.nat((base.edges?.length ?? 0) + 1);
  const newNode = fc
    .tuple(
      fc.constantFrom(...NEW_IDS, ...ids),
      fc.constantFrom('task', 'task', 'http', 'code', 'map'),
      fc.constantFrom(...URLS),
    )
    .map(([id, type, url]) => nodeOf(id, type, url));
  const op = fc.oneof(
    { weight: 4, arbitrary: newNode.map((value) => ({ op: 'add', path: '/nodes/-', value })) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(index, newNode)
        .map(([k, value]) => ({ op: 'add', path: `/nodes/${k}`, value })),
    },
    { weight: 2, arbitrary: index.map((k) => ({ op: 'remove', path: `/nodes/${k}` })) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(index, fc.constantFrom(...URLS))
        .map(([k, url]) => ({ op: 'replace', path: `/nodes/${k}/with/url`, value: url })),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(index, newNode)
        .map(([k, value]) => ({ op: 'replace', path: `/nodes/${k}`, value })),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(index, anyId)
        .map(([k, id]) => ({ op: 'replace', path: `/nodes/${k}/id`, value: id })),
    },
    {
      weight: 4,
      arbitrary: fc
        .tuple(anyId, anyId, fc.constantFrom(undefined, 'failure'))
        .map(([from, to, on]) => ({
          op: 'add',
          path: '/edges/-',
          value: on ? { from, to, on } : { from, to },
        })),
    },
    { weight: 2, arbitrary: edgeIndex.map((k) => ({ op: 'remove', path: `/edges/${k}` })) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(edgeIndex, anyId, anyId)
        .map(([k, from, to]) => ({ op: 'replace', path: `/edges/${k}`, value: { from, to } })),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(index, index)
        .map(([a, b]) => ({ op: 'move', from: `/nodes/${a}`, path: `/nodes/${b}` })),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(index, index)
        .map(([a, b]) => ({ op: 'copy', from: `/nodes/${a}`, path: `/nodes/${b}` })),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(index, anyId)
        .map(([k, id]) => ({ op: 'test', path: `/nodes/${k}/id`, value: id })),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        { op: 'replace', path: '/limits/maxNodes', value: 1000 },
        { op: 'add', path: '/nodes/0/__proto__/x', value: 1 },
        { op: 'replace', path: '', value: {} },
        { op: 'replace', path: '/name', value: 'other' },
        { op: 'add', path: '/edges/0/constructor', value: 1 },
        { op: 'copy', from: '/limits', path: '/output' },
      ),
    },
    { weight: 1, arbitrary: fc.constant({ op: 'add', path: '/output', value: 'done' }) },
  );
  // A well-formed growth step: a new node wired after an existing one.
  const grow = fc
    .tuple(fc.constantFrom(...NEW_IDS), fc.constantFrom(...ids), fc.constantFrom(...URLS))
    .map(([id, after, url]) => [
      {
        op: 'add',
        path: '/nodes/-',
        value: nodeOf(id, url.startsWith('https') ? 'http' : 'task', url),
      },
      { op: 'add', path: '/edges/-', value: { from: after, to: id } },
    ]);
  return fc
    .record({
      base: fc.constant(base),
      prefix: fc.nat(n),
      statuses: fc.array(fc.constantFrom(...STARTED), { minLength: n, maxLength: n }),
      ops: fc.oneof(
        {
          weight: 4,
          arbitrary: fc
            .array(
              fc.oneof(
                op.map((o) => [o]),
                grow,
              ),
              { minLength: 1, maxLength: 4 },
            )
            .map((steps) => steps.flat()),
        },
        // A spawn burst: many new nodes, each wired after the previous one.
        {
          weight: 1,
          arbitrary: fc.integer({ min: 2, max: 6 }).map((k) =>
            Array.from({ length: k }, (_, i) => [
              { op: 'add', path: '/nodes/-', value: nodeOf(`s${i}`, 'task', '') },
              {
                op: 'add',
                path: '/edges/-',
                value: { from: i === 0 ? 'n0' : `s${i - 1}`, to: `s${i}` },
              },
            ]).flat(),
          ),
        },
      ),
      stale: fc.integer({ min: 0, max: 9 }).map((x) => x === 0),
      appliedPatches: fc.constantFrom(0, 0, 0, 0, 0, 1, 5),
      spawnedByAuthor: fc.constantFrom(0, 0, 0, 0, 1, 5),
    })
    .map(({ base, prefix, statuses, ops, stale, appliedPatches, spawnedByAuthor }) => {
      // Node indices are a topological order (edges go from lower to higher indices), so the first
      // `prefix` nodes are a set the run may have started or finished.
      const state = initialState('r');
      const frozen = new Set<string>();
      base.nodes.forEach((node, i) => {
        const status = i < prefix ? statuses[i]! : 'pending';
        state.nodes[node.id] = { status, attempt: 1 };
        if (status !== 'pending') frozen.add(node.id);
      });
      const current = irHashOf(base);
      return {
        base,
        state,
        frozen,
        patch: { ops, baseIrHash: stale ? `sha256:${'0'.repeat(64)}` : current },
        appliedPatches,
        spawnedByAuthor,
      };
    });
});

function judge(s: Scenario): PatchVerdict {
  return validatePatch({
    patch: { patchId: 'p', scope: 'run', target: 'r', author: 'agent', ...s.patch },
    base: s.base,
    baseIrHash: irHashOf(s.base),
    state: s.state,
    appliedPatches: s.appliedPatches,
    spawnedByAuthor: s.spawnedByAuthor,
  });
}

const edgeKey = (e: { from: string; to: string; on?: string; when?: string }): string =>
  JSON.stringify([e.from, e.to, e.on ?? 'success', e.when ?? null]);
const countBy = (keys: string[]): Map<string, number> => {
  const m = new Map<string, number>();
  for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
  return m;
};

function isAcyclic(def: WorkflowDefinition): boolean {
  const indegree = new Map(def.nodes.map((n) => [n.id, 0]));
  for (const e of def.edges ?? []) indegree.set(e.to, (indegree.get(e.to) ?? 0) + 1);
  const ready = [...indegree].filter(([, d]) => d === 0).map(([id]) => id);
  let visited = 0;
  while (ready.length > 0) {
    const id = ready.pop()!;
    visited++;
    for (const e of def.edges ?? []) {
      if (e.from !== id) continue;
      const d = indegree.get(e.to)! - 1;
      indegree.set(e.to, d);
      if (d === 0) ready.push(e.to);
    }
  }
  return visited === indegree.size;
}

const tally = { accepted: 0, total: 0 };
afterAll(() => {
  // Every property below ran on the same distribution; a healthy share must be accepted.
  expect(tally.accepted / tally.total).toBeGreaterThan(0.08);
});

function accepted(s: Scenario): WorkflowDefinition | undefined {
  const before = JSON.stringify(s.base);
  const verdict = judge(s);
  tally.total++;
  expect(JSON.stringify(s.base)).toBe(before);
  expect(verdict.ok).toBe(verdict.violations.length === 0);
  if (!verdict.ok) {
    expect(verdict.materialized).toBeUndefined();
    return undefined;
  }
  tally.accepted++;
  expect(verdict.irHash).toBe(irHashOf(verdict.materialized));
  return verdict.materialized!;
}

const CODES = new Set([
  // ARCHITECTURE §4
  'SCHEMA',
  'UNKNOWN_NODE',
  'DUPLICATE_ID',
  'CYCLE',
  'IMMUTABLE_NODE',
  'SPAWN_LIMIT',
  'NODE_LIMIT',
  'PATCH_LIMIT',
  'FORBIDDEN_TYPE',
  'SSRF',
  'FORBIDDEN_PATH',
  'STALE_BASE',
  'TOO_LARGE',
  // validateDefinition's own, for problems of the materialised definition
  'BAD_PORT',
  'BAD_EXPRESSION',
  'NONDETERMINISTIC',
  'UNREACHABLE_READ',
]);

describe('validatePatch: properties of every verdict', { timeout: 60_000 }, () => {
  it('is deterministic, explains every rejection with stable codes and JSON pointers', () => {
    fc.assert(
      fc.property(arbScenario, (s) => {
        const verdict = judge(s);
        expect(judge(s)).toEqual(verdict);
        expect(verdict.ok).toBe(verdict.violations.length === 0);
        for (const v of verdict.violations) {
          expect(CODES.has(v.code)).toBe(true);
          expect(v.path === '' || v.path.startsWith('/')).toBe(true);
          expect(v.message.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

// Thousands of cases take seconds; on a loaded machine more than vitest's default 5 s.
describe('validatePatch: properties of accepted patches', { timeout: 60_000 }, () => {
  it('the materialised definition is acyclic, valid and compiles', () => {
    fc.assert(
      fc.property(arbScenario, (s) => {
        const m = accepted(s);
        if (!m) return;
        expect(isAcyclic(m)).toBe(true);
        expect(validateDefinition(m)).toEqual([]);
        expect(compile(m).irHash).toBe(irHashOf(m));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('no started or finished node changes, nor its incoming edges, nor its edges to started nodes', () => {
    fc.assert(
      fc.property(arbScenario, (s) => {
        const m = accepted(s);
        if (!m) return;
        const after = new Map(m.nodes.map((n) => [n.id, n]));
        for (const node of s.base.nodes) {
          if (s.frozen.has(node.id)) expect(after.get(node.id)).toEqual(node);
        }
        // Edges into a frozen node stay; edges out of one may only go to nodes not yet started.
        const touches = (e: { from: string; to: string }) => s.frozen.has(e.to);
        const baseEdges = countBy((s.base.edges ?? []).filter(touches).map(edgeKey));
        const newEdges = countBy((m.edges ?? []).map(edgeKey));
        for (const [key, n] of baseEdges) expect(newEdges.get(key) ?? 0).toBeGreaterThanOrEqual(n);
        const into = (e: { to: string }) => s.frozen.has(e.to);
        expect(countBy((m.edges ?? []).filter(into).map(edgeKey))).toEqual(
          countBy((s.base.edges ?? []).filter(into).map(edgeKey)),
        );
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('the spawn, node and patch limits hold, and the policy: no code, no literal SSRF URL', () => {
    fc.assert(
      fc.property(arbScenario, (s) => {
        const m = accepted(s);
        if (!m) return;
        const limits = s.base.limits!;
        const baseIds = new Set(s.base.nodes.map((n) => n.id));
        const added = m.nodes.filter((n) => !baseIds.has(n.id));
        // An author at its limit may still patch, as long as it adds no node.
        if (added.length > 0) {
          expect(s.spawnedByAuthor + added.length).toBeLessThanOrEqual(limits.maxAgentSpawns!);
        }
        expect(m.nodes.length).toBeLessThanOrEqual(limits.maxNodes!);
        expect(s.appliedPatches).toBeLessThan(limits.maxPatchesPerRun!);
        const before = new Map(s.base.nodes.map((n) => [n.id, JSON.stringify(n)]));
        for (const n of m.nodes) {
          if (before.get(n.id) === JSON.stringify(n)) continue;
          expect(n.type).not.toBe('code');
          const url = (n.with as { url?: unknown } | undefined)?.url;
          if (n.type === 'http' && typeof url === 'string' && !url.startsWith('{%')) {
            expect(checkUrl(url).ok).toBe(true);
          }
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
export const __judge = judge;
