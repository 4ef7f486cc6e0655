import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Problem } from '../errors.js';
import example from './fixtures/ticket-triage.json' with { type: 'json' };
import { validateDefinition } from './validate.js';

type Doc = Record<string, unknown>;

/** A small valid workflow, changed by `patch`. */
function wf(patch: Partial<Doc> = {}): Doc {
  return {
    name: 'wf',
    version: '1',
    nodes: [
      { id: 'a', type: 'task', with: { handler: 'h' } },
      { id: 'b', type: 'task', with: { handler: 'h' } },
    ],
    edges: [{ from: 'a', to: 'b' }],
    ...patch,
  };
}

const codes = (ps: Problem[]): string[] => ps.map((p) => p.code);
const only = (ps: Problem[], code: string): Problem[] => ps.filter((p) => p.code === code);

describe('validateDefinition: schema', () => {
  it('accepts the ARCHITECTURE §1 example', () => {
    expect(validateDefinition(example)).toEqual([]);
  });

  it('accepts the workflows in examples/', () => {
    const dir = new URL('../../../../examples/', import.meta.url);
    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter(
      (f) => f.endsWith('.json') && !f.endsWith('inputs.json'),
    );
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const doc = JSON.parse(readFileSync(new URL(f, dir), 'utf8')) as unknown;
      expect([f, validateDefinition(doc)]).toEqual([f, []]);
    }
  });

  it('accepts expressions for approval and timer durations', () => {
    const doc = wf({
      nodes: [
        { id: 'a', type: 'approval', with: { approvers: ['x'], timeoutMs: '{% inputs.t %}' } },
        { id: 'b', type: 'timer', with: { durationMs: '{% inputs.t * 2 %}' } },
        { id: 'c', type: 'timer', with: { durationMs: 'soon' } },
      ],
      edges: [],
    });
    expect(validateDefinition(doc)).toEqual([
      {
        code: 'SCHEMA',
        path: '/nodes/2/with/durationMs',
        message: 'must be an expression in {% … %}',
      },
    ]);
  });

  it('accepts every node type with a minimal configuration', () => {
    const doc = wf({
      nodes: [
        { id: 'task', type: 'task', with: { handler: 'h', extra: { any: 1 } } },
        {
          id: 'http',
          type: 'http',
          with: { method: 'POST', url: 'https://x.dev', body: { a: 1 } },
        },
        { id: 'transform', type: 'transform', with: { value: '{% inputs %}' } },
        { id: 'llm', type: 'llm', with: { model: 'm', prompt: 'p' } },
        {
          id: 'agent',
          type: 'agent',
          with: { framework: 'langgraph', model: 'm', prompt: 'p', tools: ['http'] },
        },
        {
          id: 'map',
          type: 'map',
          with: { items: '{% inputs.xs %}', body: { type: 'task', with: { handler: 'h' } } },
        },
        { id: 'join', type: 'join' },
        { id: 'sub', type: 'subworkflow', with: { workflow: 'child@2', inputs: '{% inputs %}' } },
        { id: 'approval', type: 'approval', with: { approvers: ['ops'], quorum: 2 } },
        { id: 'timer', type: 'timer', with: { until: '2030-01-01T00:00:00Z' } },
        { id: 'code', type: 'code', with: { language: 'python', source: 'x' } },
        { id: 'fs', type: 'fs', with: { op: 'read', path: 'a.txt' } },
        { id: 'search', type: 'search', with: { query: 'q' } },
      ],
      edges: [],
    });
    expect(validateDefinition(doc)).toEqual([]);
  });

  it('names an unknown or mistyped setting of each runner node type before a run starts', () => {
    const doc = wf({
      nodes: [
        { id: 'l', type: 'llm', with: { model: 'm', prompt: 'p', temprature: 0.2 } },
        { id: 'l2', type: 'llm', with: { model: 'm', prompt: 'p', temperature: 3 } },
        {
          id: 'l3',
          type: 'llm',
          with: { model: 'm', prompt: '{% inputs.q %}', maxTokens: '{% inputs.n %}' },
        },
        { id: 'g', type: 'agent', with: { framework: 'crew', model: 'm', prompt: 'p' } },
        { id: 'c', type: 'code', with: { language: 'ruby', source: 'x' } },
        { id: 'f', type: 'fs', with: { op: 'chmod', path: 'x' } },
        { id: 's', type: 'search', with: { query: 'q', limit: 500 } },
      ],
      edges: [],
    });
    expect(validateDefinition(doc).map((p) => [p.code, p.path])).toEqual([
      ['SCHEMA', '/nodes/0/with/temprature'],
      ['SCHEMA', '/nodes/1/with/temperature'],
      ['SCHEMA', '/nodes/3/with/framework'],
      ['SCHEMA', '/nodes/4/with/language'],
      ['SCHEMA', '/nodes/5/with/op'],
      ['SCHEMA', '/nodes/6/with/limit'],
    ]);
    expect(validateDefinition(doc)[0]!.message).toContain("did you mean 'temperature'?");
  });

  it('reports a credential key once, as CREDENTIAL_FIELD, not also as an unknown setting', () => {
    const doc = wf({
      nodes: [{ id: 'l', type: 'llm', with: { model: 'm', prompt: 'p', apiKey: 'sk-1' } }],
      edges: [],
    });
    expect(validateDefinition(doc).map((p) => [p.code, p.path])).toEqual([
      ['CREDENTIAL_FIELD', '/nodes/0/with/apiKey'],
    ]);
  });

  it('points at the missing property and names it', () => {
    const ps = validateDefinition(wf({ nodes: [{ id: 'a', type: 'task', with: {} }], edges: [] }));
    expect(ps).toEqual([
      {
        code: 'SCHEMA',
        path: '/nodes/0/with/handler',
        message: "missing required property 'handler'",
      },
    ]);
  });

  it('folds if/then and oneOf scaffolding into one specific problem', () => {
    const ps = validateDefinition(
      wf({
        nodes: [
          { id: 't1', type: 'timer', with: {} },
          { id: 't2', type: 'timer', with: { durationMs: 5, until: '2030-01-01T00:00:00Z' } },
          { id: 'j', type: 'join', with: { mode: 'n' } },
          { id: 'm', type: 'map', with: { items: 'xs', body: { type: 'approval' } } },
        ],
        edges: [],
      }),
    );
    expect(ps).toEqual([
      {
        code: 'SCHEMA',
        path: '/nodes/0/with',
        message: "must have exactly one of 'durationMs', 'until'",
      },
      {
        code: 'SCHEMA',
        path: '/nodes/1/with',
        message: "must have exactly one of 'durationMs', 'until' (not more)",
      },
      { code: 'SCHEMA', path: '/nodes/2/with/n', message: "missing required property 'n'" },
      { code: 'SCHEMA', path: '/nodes/3/with/items', message: 'must be an expression in {% … %}' },
      {
        code: 'SCHEMA',
        path: '/nodes/3/with/body/type',
        message: expect.stringMatching(/^must be one of 'task', 'http'.*\(got 'approval'\)$/),
      },
    ]);
  });

  it('rejects unknown properties at the top level and on nodes', () => {
    const doc = wf({ extra: true });
    (doc['nodes'] as Doc[])[0]!['allowPrivateNetwork'] = true;
    const ps = validateDefinition(doc);
    expect(ps.map((p) => [p.code, p.path])).toEqual([
      ['SCHEMA', '/extra'],
      ['SCHEMA', '/nodes/0/allowPrivateNetwork'],
    ]);
    expect(ps[0]!.message).toMatch(/^unknown property 'extra'/);
  });

  it('requires escalateTo when an approval escalates, and `when`/`input` to be expressions', () => {
    const ps = validateDefinition(
      wf({
        nodes: [
          { id: 'a', type: 'approval', with: { approvers: ['ops'], onTimeout: 'escalate' } },
          { id: 'b', type: 'task', with: { handler: 'h' }, input: 'inputs.x' },
        ],
        edges: [{ from: 'a', to: 'b', on: 'approved', when: 'true' }],
      }),
    );
    expect(ps.map((p) => [p.path, p.message])).toEqual([
      ['/nodes/0/with/escalateTo', "missing required property 'escalateTo'"],
      ['/nodes/1/input', 'must be an expression in {% … %}'],
      ['/edges/0/when', 'must be an expression in {% … %}'],
    ]);
  });

  it('reports an inputs schema that cannot be compiled', () => {
    const ps = validateDefinition(
      wf({ inputs: { type: 'object', properties: { a: { typ: 'string' } } } }),
    );
    expect(codes(ps)).toEqual(['SCHEMA']);
    expect(ps[0]!.path).toBe('/inputs');
    expect(ps[0]!.message).toContain('unknown keyword: "typ"');
  });

  it('does not choke on documents that are not objects', () => {
    expect(codes(validateDefinition(null))).toEqual(['SCHEMA']);
    expect(codes(validateDefinition({ nodes: 'x' }))).toEqual(['SCHEMA', 'SCHEMA', 'SCHEMA']);
  });
});

describe('validateDefinition: graph rules', () => {
  it('DUPLICATE_ID', () => {
    const ps = validateDefinition(
      wf({
        nodes: [
          { id: 'a', type: 'join' },
          { id: 'a', type: 'join' },
        ],
        edges: [],
      }),
    );
    expect(ps).toEqual([
      {
        code: 'DUPLICATE_ID',
        path: '/nodes/1/id',
        message: "duplicate node id 'a' (first defined at /nodes/0)",
      },
    ]);
  });

  it('IMPURE_MEMO: memo: true only on pure types, every such node named', () => {
    const ps = validateDefinition(
      wf({
        nodes: [
          { id: 't', type: 'transform', with: { value: 1 }, memo: true },
          { id: 'j', type: 'join', memo: true },
          {
            id: 'h',
            type: 'http',
            with: { method: 'GET', url: 'https://example.com/' },
            memo: true,
          },
          { id: 'k', type: 'task', with: { handler: 'x' }, memo: true },
          { id: 'u', type: 'task', with: { handler: 'x' }, memo: false },
        ],
        edges: [],
      }),
    );
    expect(ps.map((p) => [p.code, p.path])).toEqual([
      ['IMPURE_MEMO', '/nodes/2/memo'],
      ['IMPURE_MEMO', '/nodes/3/memo'],
    ]);
    expect(ps[0]!.message).toContain("node 'h' is a http node");
  });

  it('FIDELITY_NEEDS_FULL: a fast workflow may have no approval, ask or agent node, each named', () => {
    const nodes = [
      { id: 't', type: 'transform', with: { value: 1 } },
      { id: 'ok', type: 'approval', with: { approvers: ['a'] } },
      { id: 'q', type: 'ask', with: { question: 'why?' } },
    ];
    const fast = validateDefinition({ ...wf({ nodes, edges: [] }), fidelity: 'fast' });
    expect(fast.map((p) => [p.code, p.path])).toEqual([
      ['FIDELITY_NEEDS_FULL', '/nodes/1/type'],
      ['FIDELITY_NEEDS_FULL', '/nodes/2/type'],
    ]);
    expect(fast[0]!.message).toContain("node 'ok' is an approval node");
    expect(validateDefinition({ ...wf({ nodes, edges: [] }), fidelity: 'full' })).toEqual([]);
    expect(
      validateDefinition({ ...wf({ nodes: [nodes[0]!], edges: [] }), fidelity: 'fast' }),
    ).toEqual([]);
    expect(
      validateDefinition({ ...wf({ nodes: [nodes[0]!], edges: [] }), fidelity: 'quick' }).map(
        (p) => p.code,
      ),
    ).toEqual(['SCHEMA']);
  });

  it('UNKNOWN_NODE for edges and for expressions reading nodes.X', () => {
    const ps = validateDefinition(
      wf({
        edges: [{ from: 'a', to: 'nope' }],
        output: { r: '{% nodes.ghost.output %}' },
      }),
    );
    expect(ps).toEqual([
      { code: 'UNKNOWN_NODE', path: '/edges/0/to', message: "edge to unknown node 'nope'" },
      {
        code: 'UNKNOWN_NODE',
        path: '/output/r',
        message: "reads unknown node 'ghost' (nodes.ghost)",
      },
    ]);
  });

  it('UNKNOWN_NODE hints at backquotes for ids with a dash', () => {
    const ps = validateDefinition(
      wf({
        nodes: [{ id: 'my-node', type: 'join' }],
        edges: [],
        output: '{% nodes.my-node.output %}',
      }),
    );
    expect(ps.map((p) => p.message)).toEqual([
      "reads unknown node 'my' (nodes.my) (an id with '-' needs backquotes: nodes.`my-node`)",
    ]);
  });

  it('CYCLE names the nodes in the cycle', () => {
    const ps = validateDefinition(
      wf({
        nodes: ['a', 'b', 'c', 'd'].map((id) => ({ id, type: 'join' })),
        edges: [
          { from: 'd', to: 'a' },
          { from: 'a', to: 'b' },
          { from: 'b', to: 'c' },
          { from: 'c', to: 'a' },
        ],
      }),
    );
    expect(ps).toEqual([
      { code: 'CYCLE', path: '/edges/3', message: expect.stringContaining('cycle a → b → c → a') },
    ]);
  });

  it('CYCLE for a self-loop', () => {
    const ps = validateDefinition(wf({ edges: [{ from: 'a', to: 'a' }] }));
    expect(ps.map((p) => [p.code, p.path])).toEqual([['CYCLE', '/edges/0']]);
    expect(ps[0]!.message).toContain('cycle a → a');
  });

  it('NODE_LIMIT against limits.maxNodes, and 200 by default', () => {
    const nodes = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ id: `n${i}`, type: 'join' }));
    expect(
      codes(validateDefinition(wf({ nodes: nodes(3), edges: [], limits: { maxNodes: 2 } }))),
    ).toEqual(['NODE_LIMIT']);
    expect(codes(validateDefinition(wf({ nodes: nodes(200), edges: [] })))).toEqual([]);
    const ps = validateDefinition(wf({ nodes: nodes(201), edges: [] }));
    expect(ps).toEqual([
      {
        code: 'NODE_LIMIT',
        path: '/nodes',
        message: '201 nodes exceed the limit of 200 (limits.maxNodes)',
      },
    ]);
  });

  it('BAD_PORT: approval ports only on approvals, no made-up ports', () => {
    const ps = validateDefinition(
      wf({
        nodes: [
          { id: 'a', type: 'task', with: { handler: 'h' } },
          { id: 'ok', type: 'approval', with: { approvers: ['ops'] } },
          { id: 'b', type: 'join' },
        ],
        edges: [
          { from: 'a', to: 'ok', on: 'failure' },
          { from: 'ok', to: 'b', on: 'timeout' },
          { from: 'a', to: 'b', on: 'approved' },
          { from: 'ok', to: 'b', on: 'done' },
        ],
      }),
    );
    expect(ps.map((p) => [p.code, p.path])).toEqual([
      ['BAD_PORT', '/edges/2/on'],
      ['BAD_PORT', '/edges/3/on'],
    ]);
    expect(ps[0]!.message).toBe(
      "'approved' is not an outcome of task node 'a' (ports: success, failure)",
    );
  });

  it('BAD_EXPRESSION with the position of the syntax error', () => {
    const ps = validateDefinition(wf({ output: '{% nodes.b.output + %}' }));
    expect(ps).toEqual([
      {
        code: 'BAD_EXPRESSION',
        path: '/output',
        message: expect.stringMatching(/^syntax error at character \d+: /),
      },
    ]);
  });

  it('NONDETERMINISTIC for $now, $millis, $random, $shuffle and $eval', () => {
    const ps = validateDefinition(
      wf({
        nodes: [
          {
            id: 'a',
            type: 'transform',
            with: {
              value: {
                t: '{% $now() %}',
                m: '{% $millis() + $random() %}',
                s: '{% $shuffle([1]) %}',
              },
            },
          },
          { id: 'b', type: 'task', with: { handler: 'h' }, input: '{% $eval("1") %}' },
        ],
      }),
    );
    expect(ps.map((p) => [p.code, p.path])).toEqual([
      ['NONDETERMINISTIC', '/nodes/0/with/value/t'],
      ['NONDETERMINISTIC', '/nodes/0/with/value/m'],
      ['NONDETERMINISTIC', '/nodes/0/with/value/m'],
      ['NONDETERMINISTIC', '/nodes/0/with/value/s'],
      ['NONDETERMINISTIC', '/nodes/1/input'],
    ]);
    expect(ps[0]!.message).toMatch(/^\$now is not allowed/);
  });

  it('UNREACHABLE_READ: a node reads only its ancestors; a guard reads its source and its ancestors', () => {
    const doc = wf({
      nodes: [
        { id: 'a', type: 'task', with: { handler: 'h' } },
        { id: 'b', type: 'task', with: { handler: 'h', x: '{% nodes.a.output %}' } },
        {
          id: 'c',
          type: 'task',
          with: { handler: 'h', x: '{% nodes.b.output %}' },
          input: '{% nodes.c.output %}',
        },
        {
          id: 'd',
          type: 'map',
          with: {
            items: '{% nodes.a.output %}',
            body: { type: 'task', with: { handler: 'h', y: '{% nodes.c.output & item %}' } },
          },
        },
      ],
      edges: [
        { from: 'a', to: 'b', when: '{% nodes.a.output.ok %}' },
        { from: 'a', to: 'c', when: '{% nodes.b.output.ok %}' },
        { from: 'a', to: 'd' },
      ],
      output: '{% nodes.c.output %}',
    });
    const ps = validateDefinition(doc);
    expect(only(ps, 'UNREACHABLE_READ').map((p) => p.path)).toEqual([
      '/nodes/2/with/x',
      '/nodes/2/input',
      '/nodes/3/with/body/with/y',
      '/edges/1/when',
    ]);
    expect(ps).toHaveLength(4);
    expect(ps[0]!.message).toBe(
      "node 'c' reads nodes.b, which does not finish before it ('b' is not an ancestor of 'c')",
    );
  });

  it('UNREACHABLE_READ when nodes are read without being named (except in the output)', () => {
    const ps = validateDefinition(
      wf({
        nodes: [
          { id: 'a', type: 'task', with: { handler: 'h' } },
          { id: 'b', type: 'task', with: { handler: 'h', all: '{% $keys(nodes) %}' } },
        ],
        output: '{% nodes.*.output %}',
      }),
    );
    expect(ps.map((p) => [p.code, p.path])).toEqual([['UNREACHABLE_READ', '/nodes/1/with/all']]);
    expect(ps[0]!.message).toMatch(/^reads nodes without naming them/);
  });

  it('reports every problem of a definition with several at once', () => {
    const ps = validateDefinition({
      name: 'bad name',
      version: '1',
      nodes: [
        { id: 'a', type: 'task', with: {} },
        { id: 'a', type: 'http', with: { method: 'GET', url: '{% $now() %}' } },
        { id: 'c', type: 'transform', with: { value: '{% nodes.d.output %}' } },
        { id: 'd', type: 'join' },
      ],
      edges: [
        { from: 'a', to: 'zz' },
        { from: 'a', to: 'c', on: 'rejected' },
        { from: 'c', to: 'd', when: '{% ) %}' },
        { from: 'd', to: 'c' },
      ],
    });
    expect(codes(ps).sort()).toEqual(
      [
        'SCHEMA',
        'SCHEMA',
        'DUPLICATE_ID',
        'UNKNOWN_NODE',
        'BAD_PORT',
        'CYCLE',
        'NONDETERMINISTIC',
        'BAD_EXPRESSION',
      ].sort(),
    );
    expect(ps.find((p) => p.code === 'SCHEMA' && p.path === '/name')).toBeDefined();
    expect(ps.find((p) => p.path === '/nodes/0/with/handler')).toBeDefined();
  });
});
