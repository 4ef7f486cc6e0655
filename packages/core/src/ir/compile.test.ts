import { describe, expect, it } from 'vitest';
import type { AobError, ValidationError } from '../errors.js';
import example from '../definition/fixtures/ticket-triage.json' with { type: 'json' };
import { compile, compileCached, irHashOf } from './compile.js';

type Doc = Record<string, unknown>;
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
const ctx = { inputs: { ticketId: 'T-1' }, nodes: {} };

function thrown(fn: () => unknown): AobError {
  try {
    fn();
  } catch (err) {
    return err as AobError;
  }
  throw new Error('expected a throw');
}

describe('compile', () => {
  it('compiles the ARCHITECTURE §1 example into a node table with dense indices', () => {
    const ir = compile(example);
    expect(ir.name).toBe('ticket-triage');
    expect(ir.version).toBe('3');
    expect(ir.nodes.map((n) => [n.index, n.id, n.type])).toEqual([
      [0, 'fetch', 'http'],
      [1, 'classify', 'llm'],
      [2, 'approve', 'approval'],
      [3, 'reply', 'task'],
    ]);
    expect([...ir.byId]).toEqual([
      ['fetch', 0],
      ['classify', 1],
      ['approve', 2],
      ['reply', 3],
    ]);
    expect(ir.edges.map((e) => [e.from, e.to, e.on, e.when !== undefined])).toEqual([
      [0, 1, 'success', false],
      [1, 2, 'success', true],
      [2, 3, 'approved', false],
    ]);
    expect(ir.out).toEqual([[0], [1], [2], []]);
    expect(ir.in).toEqual([[], [0], [1], [2]]);
    expect(ir.entries).toEqual([0]);
    expect(ir.topo).toEqual([0, 1, 2, 3]);
    expect(ir.limits).toEqual({ maxNodes: 200, maxAgentSpawns: 5, maxPatchesPerRun: 20 });
    expect(ir.definition).toEqual(example);
  });

  it('compiles templates for with, input, when and output', () => {
    const ir = compile(example);
    const fetch = ir.nodes[0]!;
    expect(fetch.with.isStatic).toBe(false);
    expect(fetch.with.evaluate(ctx)).toEqual({
      method: 'GET',
      url: 'https://api.example.com/t/T-1',
    });
    expect(ir.nodes[1]!.with.reads).toEqual(['fetch']);
    expect(ir.nodes[3]!.with.isStatic).toBe(true);
    const when = ir.edges[1]!.when!;
    expect(when.evaluate({ inputs: {}, nodes: { classify: { output: { risk: 'high' } } } })).toBe(
      true,
    );
    expect(ir.output!.evaluate({ inputs: {}, nodes: { reply: { output: { sent: 1 } } } })).toEqual({
      sent: 1,
    });
  });

  it('applies defaults: built-in, then the workflow defaults, then the node', () => {
    const ir = compile({
      name: 'd',
      version: '1',
      defaults: { retry: { maxAttempts: 5 }, priority: 'low' },
      nodes: [
        { id: 'a', type: 'join' },
        {
          id: 'b',
          type: 'join',
          retry: { initialMs: 1, jitter: 0 },
          timeoutMs: 5,
          priority: 'high',
        },
      ],
    });
    expect(ir.nodes[0]).toMatchObject({
      retry: { maxAttempts: 5, initialMs: 200, multiplier: 2, maxMs: 10_000, jitter: 0.2 },
      timeoutMs: 30_000,
      priority: 'low',
    });
    expect(ir.nodes[1]).toMatchObject({
      retry: { maxAttempts: 5, initialMs: 1, multiplier: 2, maxMs: 10_000, jitter: 0 },
      timeoutMs: 5,
      priority: 'high',
    });
    expect(ir.nodes[0]!.input).toBeUndefined();
    expect(ir.nodes[0]!.with.evaluate(ctx)).toEqual({});
  });

  it('builds join and map specs with their defaults', () => {
    const ir = compile({
      name: 'j',
      version: '1',
      defaults: { timeoutMs: 1000 },
      nodes: [
        { id: 'a', type: 'task', with: { handler: 'h' } },
        { id: 'b', type: 'task', with: { handler: 'h' } },
        { id: 'all', type: 'join' },
        { id: 'n', type: 'join', with: { mode: 'n', n: 1 } },
        {
          id: 'm',
          type: 'map',
          priority: 'high',
          with: {
            items: '{% nodes.all.output.a %}',
            body: {
              type: 'task',
              with: { handler: 'h', x: '{% item %}' },
              retry: { maxAttempts: 1 },
            },
          },
        },
      ],
      edges: [
        { from: 'a', to: 'all' },
        { from: 'b', to: 'all' },
        { from: 'b', to: 'all', on: 'failure' },
        { from: 'a', to: 'n' },
        { from: 'all', to: 'm' },
      ],
    });
    expect(ir.nodes[2]!.join).toEqual({ mode: 'all', n: 2 });
    expect(ir.nodes[3]!.join).toEqual({ mode: 'n', n: 1 });
    const m = ir.nodes[4]!;
    expect(m.map!.concurrency).toBe(4);
    expect(m.map!.items.reads).toEqual(['all']);
    expect(m.map!.body).toMatchObject({
      type: 'task',
      retry: { maxAttempts: 1, initialMs: 200 },
      timeoutMs: 1000,
      priority: 'high',
    });
    expect(m.map!.body.with.evaluate({ inputs: {}, nodes: {}, item: 7, index: 0 })).toEqual({
      handler: 'h',
      x: 7,
    });
    // The map's own `with` leaves the body to map.body.
    expect(m.with.source).toEqual({ items: '{% nodes.all.output.a %}' });
  });

  it('orders topologically, ties broken by definition order', () => {
    const ir = compile({
      name: 't',
      version: '1',
      nodes: ['e', 'd', 'c', 'b', 'a'].map((id) => ({ id, type: 'task', with: { handler: 'h' } })),
      edges: [
        { from: 'a', to: 'b' },
        { from: 'd', to: 'b' },
        { from: 'b', to: 'c' },
        { from: 'e', to: 'c' },
      ],
    });
    expect(ir.topo.map((i) => ir.nodes[i]!.id)).toEqual(['e', 'd', 'a', 'b', 'c']);
    expect(ir.entries.map((i) => ir.nodes[i]!.id)).toEqual(['e', 'd', 'a']);
  });

  it('throws a ValidationError listing every problem', () => {
    const err = thrown(() =>
      compile({
        name: 'x',
        version: '1',
        nodes: [
          { id: 'a', type: 'task', with: {} },
          { id: 'a', type: 'join' },
        ],
        edges: [{ from: 'a', to: 'q' }],
      }),
    ) as ValidationError;
    expect(err.code).toBe('VALIDATION');
    expect(err.problems.map((p) => p.code)).toEqual(['SCHEMA', 'DUPLICATE_ID', 'UNKNOWN_NODE']);
    expect(err.message).toContain('/nodes/0/with/handler');
  });

  it('is immutable and does not see later changes to the document', () => {
    const doc = clone(example) as Doc;
    const ir = compile(doc);
    (doc['nodes'] as Doc[])[0]!['id'] = 'changed';
    expect(ir.nodes[0]!.id).toBe('fetch');
    expect(Object.isFrozen(ir.definition.nodes[0])).toBe(true);
    expect(() => (ir.nodes as unknown[]).push(1)).toThrow();
  });

  it('checks run inputs against definition.inputs with code INPUT', () => {
    const ir = compile(example);
    expect(ir.checkInputs({ ticketId: 'T-1' })).toEqual([]);
    expect(ir.checkInputs({ ticketId: 3 })).toEqual([
      { code: 'INPUT', path: '/ticketId', message: 'must be a string' },
    ]);
    expect(ir.checkInputs({})).toEqual([
      { code: 'INPUT', path: '/ticketId', message: "missing required property 'ticketId'" },
    ]);
    const open = compile({
      name: 'o',
      version: '1',
      nodes: [{ id: 'a', type: 'task', with: { handler: 'h' } }],
    });
    expect(open.checkInputs('anything')).toEqual([]);
  });

  it('knows common formats in input schemas', () => {
    const ir = compile({
      name: 'f',
      version: '1',
      inputs: { type: 'object', properties: { at: { type: 'string', format: 'date-time' } } },
      nodes: [{ id: 'a', type: 'task', with: { handler: 'h' } }],
    });
    expect(ir.checkInputs({ at: '2025-01-02T03:04:05Z' })).toEqual([]);
    expect(ir.checkInputs({ at: 'yesterday' }).map((p) => p.path)).toEqual(['/at']);
  });
});

describe('irHash', () => {
  it('is sha256 of the canonical JSON: stable under key order', () => {
    const ir = compile(example);
    expect(ir.irHash).toMatch(/^sha256:[0-9a-f]{64}$/);
    const reordered = Object.fromEntries(Object.entries(clone(example)).reverse());
    (reordered['nodes'] as Doc[])[0] = Object.fromEntries(
      Object.entries((reordered['nodes'] as Doc[])[0]!).reverse(),
    );
    expect(compile(reordered).irHash).toBe(ir.irHash);
    expect(irHashOf(example)).toBe(ir.irHash);
  });

  it('changes when anything changes', () => {
    const base = compile(example).irHash;
    const variants: ((d: Doc) => void)[] = [
      (d) => (d['version'] = '4'),
      (d) => (d['description'] = 'x'),
      (d) => (((d['nodes'] as Doc[])[3]!['with'] as Doc)['handler'] = 'other'),
      (d) => ((d['edges'] as Doc[])[0]!['on'] = 'success'),
      (d) => (d['output'] = '{% nodes.approve.output %}'),
      (d) => (d['nodes'] as Doc[]).reverse(),
    ];
    const hashes = variants.map((change) => {
      const d = clone(example) as Doc;
      change(d);
      return compile(d).irHash;
    });
    for (const h of hashes) expect(h).not.toBe(base);
    expect(new Set(hashes).size).toBe(hashes.length);
  });
});

describe('compileCached', () => {
  it('returns the same IR for the same definition, however its keys are ordered', () => {
    const a = compileCached(example);
    const b = compileCached(Object.fromEntries(Object.entries(clone(example)).reverse()));
    expect(b).toBe(a);
    expect(compileCached({ ...clone(example), version: '9' })).not.toBe(a);
  });

  it('does not cache invalid definitions', () => {
    expect(() => compileCached({ name: 'x' })).toThrow(/invalid definition/);
    expect(() => compileCached({ name: 'x' })).toThrow(/invalid definition/);
  });
});
