// The built-in passes, one by one: a fixture in, the patch out, judged by the validator. Where a
// workflow is made of transforms only, it is also evaluated before and after (expressions as the
// engine evaluates them) to show the rewrite computes the same output. Needs the package built.
import type { NodeDefinition, RunState, WorkflowDefinition } from '@aob/core';
import { compile, initialState } from '@aob/core';
import { describe, expect, it } from 'vitest';
import { optimize } from './optimize.js';
import { availablePasses, choosePasses } from './passes.js';

const run = (definition: WorkflowDefinition, pass: string, state?: RunState) =>
  optimize({
    definition,
    passes: choosePasses(availablePasses(), [pass]),
    ...(state ? { run: { runId: state.runId, state } } : {}),
  });

const wf = (
  nodes: NodeDefinition[],
  edges: WorkflowDefinition['edges'],
  extra: Partial<WorkflowDefinition> = {},
): WorkflowDefinition => ({ name: 'w', version: '1', nodes, edges, ...extra });

const t = (id: string, value: unknown): NodeDefinition => ({
  id,
  type: 'transform',
  with: { value },
});
const get = (id: string, path: string): NodeDefinition => ({
  id,
  type: 'http',
  with: { method: 'GET', url: `https://example.org/${path}` },
});

/** A transform-only workflow's output, evaluated node by node as the engine would. */
function evaluate(definition: WorkflowDefinition, inputs: unknown): unknown {
  const ir = compile(definition);
  const nodes: Record<string, { output: unknown }> = {};
  for (const i of ir.topo) {
    const n = ir.nodes[i]!;
    const value = (n.with.evaluate({ inputs, nodes }) as { value?: unknown }).value;
    nodes[n.id] = { output: value ?? null };
  }
  return ir.output ? ir.output.evaluate({ inputs, nodes }) : nodes;
}

const ids = (d: WorkflowDefinition) => d.nodes.map((n) => n.id);
const edges = (d: WorkflowDefinition) =>
  (d.edges ?? []).map((e) => `${e.from}→${e.to}${e.when ? ` if ${e.when}` : ''}`).sort();

describe('prune', () => {
  const inputs = {
    type: 'object',
    required: ['mode'],
    properties: { mode: { enum: ['fast', 'full'] } },
  };
  const dead = wf(
    [t('a', 1), t('b', 2), t('legacy', 3), t('legacyTail', '{% nodes.legacy.output %}'), t('c', 4)],
    [
      { from: 'a', to: 'b' },
      { from: 'a', to: 'legacy', when: "{% inputs.mode = 'legacy' %}" },
      { from: 'legacy', to: 'legacyTail' },
      { from: 'b', to: 'c', when: '{% true %}' },
    ],
    { inputs, output: '{% nodes.c.output %}' },
  );

  it('removes an edge the inputs schema makes never true, what only it reaches, and drops a guard that is always true', async () => {
    const report = await run(dead, 'prune');
    expect(report.proposals).toHaveLength(1);
    const [p] = report.proposals;
    expect(p).toMatchObject({ status: 'applied', author: 'optimizer:prune' });
    expect(p!.rationale).toContain("`{% inputs.mode = 'legacy' %}` is never true");
    expect(p!.ops).toEqual([
      { op: 'remove', path: '/edges/3/when' },
      { op: 'remove', path: '/edges/2' },
      { op: 'remove', path: '/edges/1' },
      { op: 'remove', path: '/nodes/3' },
      { op: 'remove', path: '/nodes/2' },
    ]);
    expect(ids(report.definition)).toEqual(['a', 'b', 'c']);
    expect(edges(report.definition)).toEqual(['a→b', 'b→c']);
  });

  it('constants: false, 0, empty strings and null are never true', async () => {
    for (const when of ['{% false %}', '{% 0 %}', "{% '' %}", '{% null %}']) {
      const report = await run(
        wf(
          [t('a', 1), t('b', 2), t('c', 3)],
          [
            { from: 'a', to: 'b' },
            { from: 'a', to: 'c', when },
          ],
          {
            output: '{% nodes.b.output %}',
          },
        ),
        'prune',
      );
      expect(ids(report.definition), when).toEqual(['a', 'b']);
    }
  });

  it('keeps a dead part that something live reads, and guards it cannot decide', async () => {
    const read = wf(
      [t('a', 1), t('b', 2), t('c', '{% nodes.b.output %}')],
      [
        { from: 'a', to: 'b', when: '{% false %}' },
        { from: 'a', to: 'c' },
      ],
      { output: '{% nodes.c.output %}' },
    );
    // c reads b, so b stays: nothing applies (there is nothing else to do).
    expect((await run(read, 'prune')).proposals).toEqual([]);
    const open = wf(
      [t('a', 1), t('b', 2)],
      [{ from: 'a', to: 'b', when: "{% inputs.mode = 'x' %}" }],
      {
        output: '{% nodes.b.output %}',
      },
    );
    expect((await run(open, 'prune')).proposals).toEqual([]);
  });

  it('in a run, leaves edges out of nodes that have finished', async () => {
    const state = initialState('run-1');
    state.nodes['a'] = { status: 'succeeded', attempt: 1 } as RunState['nodes'][string];
    const report = await run(dead, 'prune', state);
    // a's guard was decided when a finished: only b's guard, b still pending, is dropped.
    expect(report.proposals.map((p) => p.ops)).toEqual([[{ op: 'remove', path: '/edges/3/when' }]]);
    expect(report.proposals[0]!.status).toBe('applied');
    expect(ids(report.definition)).toEqual(ids(dead));
  });
});

describe('fuse', () => {
  const chain = wf(
    [
      t('prices', '{% inputs.items %}'),
      t('taxed', '{% nodes.prices.output.($ * 2) %}'),
      t('total', { sum: '{% $sum(nodes.taxed.output) %}', n: '{% $count(nodes.taxed.output) %}' }),
    ],
    [
      { from: 'prices', to: 'taxed' },
      { from: 'taxed', to: 'total' },
    ],
    { output: '{% nodes.total.output %}' },
  );

  it('fuses a chain of transforms into one node that computes the same output', async () => {
    const report = await run(chain, 'fuse');
    expect(report.proposals.map((p) => p.status)).toEqual(['applied', 'applied']);
    expect(report.proposals[0]!.rationale).toContain('transform prices feeds only transform taxed');
    expect(ids(report.definition)).toEqual(['total']);
    expect(report.definition.edges).toEqual([]);
    const inputs = { items: [1, 2, 3] };
    expect(evaluate(report.definition, inputs)).toEqual(evaluate(chain, inputs));
    expect(evaluate(report.definition, inputs)).toEqual({ sum: 12, n: 3 });
  });

  it('inlines a template value (objects, arrays, literals) as one expression', async () => {
    const d = wf(
      [
        t('shape', { a: ['x', 1, true, null], b: '{% inputs.n + 1 %}', c: 'say "hi"' }),
        t('use', '{% nodes.shape.output.b & nodes.shape.output.a[0] & nodes.shape.output.c %}'),
      ],
      [{ from: 'shape', to: 'use' }],
      { output: '{% nodes.use.output %}' },
    );
    const report = await run(d, 'fuse');
    expect(report.proposals[0]!.status).toBe('applied');
    expect(evaluate(report.definition, { n: 41 })).toBe('42xsay "hi"');
    expect(evaluate(d, { n: 41 })).toBe('42xsay "hi"');
  });

  it('does not fuse when a guard reads the first, or the second has other inputs', async () => {
    const guarded = wf(
      [t('a', 1), t('b', '{% nodes.a.output %}'), t('c', 3)],
      [
        { from: 'a', to: 'b' },
        { from: 'b', to: 'c', when: '{% nodes.a.output > 0 %}' },
      ],
      { output: '{% nodes.c.output %}' },
    );
    expect((await run(guarded, 'fuse')).proposals).toEqual([]);
    const join = wf(
      [t('a', 1), t('x', 2), t('b', '{% nodes.a.output + nodes.x.output %}')],
      [
        { from: 'a', to: 'b' },
        { from: 'x', to: 'b' },
      ],
      { output: '{% nodes.b.output %}' },
    );
    expect((await run(join, 'fuse')).proposals).toEqual([]);
  });
});

describe('dedupe', () => {
  const twice = wf(
    [
      t('seed', '{% inputs.n %}'),
      t('left', '{% nodes.seed.output * 10 %}'),
      t('right', '{% nodes.seed.output * 10 %}'),
      t('sum', '{% nodes.left.output + nodes.right.output %}'),
    ],
    [
      { from: 'seed', to: 'left' },
      { from: 'seed', to: 'right' },
      { from: 'left', to: 'sum' },
      { from: 'right', to: 'sum' },
    ],
    { output: '{% nodes.sum.output %}' },
  );

  it('merges identical nodes on identical inputs; readers read the one kept', async () => {
    const report = await run(twice, 'dedupe');
    expect(report.proposals).toHaveLength(1);
    expect(report.proposals[0]).toMatchObject({ status: 'applied', author: 'optimizer:dedupe' });
    expect(ids(report.definition)).toEqual(['seed', 'left', 'sum']);
    expect(edges(report.definition)).toEqual(['left→sum', 'seed→left']);
    expect(report.definition.nodes[2]!.with).toEqual({
      value: '{% nodes.left.output + nodes.left.output %}',
    });
    expect(evaluate(report.definition, { n: 2 })).toBe(40);
    expect(evaluate(twice, { n: 2 })).toBe(40);
  });

  it('merges two identical GETs but never two POSTs (two effects are not one)', async () => {
    const gets = wf(
      [get('a', 'x'), get('b', 'x'), t('c', '{% [nodes.a.output, nodes.b.output] %}')],
      [
        { from: 'a', to: 'c' },
        { from: 'b', to: 'c' },
      ],
      { output: '{% nodes.c.output %}' },
    );
    expect(ids((await run(gets, 'dedupe')).definition)).toEqual(['a', 'c']);
    const posts = structuredClone(gets);
    for (const n of posts.nodes.slice(0, 2)) (n.with as { method: string }).method = 'POST';
    expect((await run(posts, 'dedupe')).proposals).toEqual([]);
  });

  it('leaves nodes whose inputs differ', async () => {
    const differ = structuredClone(twice);
    differ.nodes[2]!.with = { value: '{% nodes.seed.output * 11 %}' };
    expect((await run(differ, 'dedupe')).proposals).toEqual([]);
  });
});

describe('parallelize', () => {
  const chain = wf(
    [
      get('users', 'users'),
      get('orders', 'orders'),
      get('stock', 'stock'),
      t('summary', {
        u: '{% nodes.users.output %}',
        o: '{% nodes.orders.output %}',
        s: '{% nodes.stock.output %}',
      }),
    ],
    [
      { from: 'users', to: 'orders' },
      { from: 'orders', to: 'stock' },
      { from: 'stock', to: 'summary' },
    ],
  );

  it('runs a chain of independent GETs side by side, all before the node that reads them', async () => {
    const report = await run(chain, 'parallelize');
    expect(report.proposals.map((p) => p.status)).toEqual(['applied', 'applied']);
    expect(report.proposals[0]!.rationale).toContain('orders reads nothing of users');
    expect(edges(report.definition)).toEqual(['orders→summary', 'stock→summary', 'users→summary']);
    expect(compile(report.definition).entries).toHaveLength(3);
  });

  it('keeps a node after the one it reads, and after one whose implicit input it takes', async () => {
    const dependent = wf(
      [
        get('a', 'a'),
        { ...get('b', 'b'), with: { method: 'GET', url: '{% nodes.a.output.body.next %}' } },
      ],
      [{ from: 'a', to: 'b' }],
      { output: '{% nodes.b.output %}' },
    );
    expect((await run(dependent, 'parallelize')).proposals).toEqual([]);
    const task = wf(
      [get('a', 'a'), { id: 'b', type: 'task', with: { handler: 'h' } }],
      [{ from: 'a', to: 'b' }],
      { output: '{% nodes.b.output %}' },
    );
    expect((await run(task, 'parallelize')).proposals).toEqual([]);
  });

  it('leaves guarded and failure edges alone', async () => {
    const guarded = wf(
      [get('a', 'a'), get('b', 'b'), t('c', 1)],
      [
        { from: 'a', to: 'b', when: '{% inputs.go %}' },
        { from: 'a', to: 'c', on: 'failure' },
      ],
      { output: '{% nodes.b.output %}' },
    );
    expect((await run(guarded, 'parallelize')).proposals).toEqual([]);
  });
});

describe('memoize', () => {
  it('marks pure nodes memo: true, naming the pure subgraphs', async () => {
    const d = wf(
      [t('a', 1), t('b', '{% nodes.a.output %}'), get('c', 'c'), t('d', 2)],
      [
        { from: 'a', to: 'b' },
        { from: 'b', to: 'c' },
        { from: 'c', to: 'd' },
      ],
      { output: '{% nodes.d.output %}' },
    );
    const report = await run(d, 'memoize');
    expect(report.proposals).toHaveLength(1);
    expect(report.proposals[0]!.status).toBe('applied');
    expect(report.proposals[0]!.rationale).toContain('{a, b}, {d}');
    expect(report.definition.nodes.map((n) => n.memo ?? false)).toEqual([true, true, false, true]);
    // Marked once: the next round proposes nothing.
    expect(report.passes[0]!.rounds).toBe(2);
  });
});

describe('in a run', () => {
  const succeeded = (state: RunState, id: string) => {
    state.nodes[id] = { status: 'succeeded', attempt: 1 } as RunState['nodes'][string];
  };

  it('parallelize and fuse add no edge out of a node that has finished (it would never be taken)', async () => {
    const chain = wf(
      [
        get('a', 'a'),
        get('b', 'b'),
        get('c', 'c'),
        t('d', '{% [nodes.b.output, nodes.c.output] %}'),
      ],
      [
        { from: 'a', to: 'b' },
        { from: 'b', to: 'c' },
        { from: 'c', to: 'd' },
      ],
    );
    const state = initialState('run-2');
    succeeded(state, 'a');
    const report = await run(chain, 'parallelize', state);
    expect(report.proposals).toEqual([]);
    const transforms = wf(
      [t('a', 1), t('b', '{% nodes.a.output %}'), t('c', '{% nodes.b.output %}')],
      [
        { from: 'a', to: 'b' },
        { from: 'b', to: 'c' },
      ],
      { output: '{% nodes.c.output %}' },
    );
    // a has finished, so it is not fused into b; fusing b into c would move
    // the edge a → b to a → c, out of a finished node: neither is proposed.
    expect((await run(transforms, 'fuse', state)).proposals).toEqual([]);
  });
});
