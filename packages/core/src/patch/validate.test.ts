import { describe, expect, it } from 'vitest';
import type { WorkflowDefinition } from '../definition/types.js';
import { irHashOf } from '../ir/compile.js';
import { initialState, type NodeStatus, type RunState } from '../run/state.js';
import { validatePatch, type ValidatePatchInput } from './validate.js';

// a → b → c → d; a has finished, b is running, c and d are pending.
const base: WorkflowDefinition = {
  name: 'triage',
  version: '1',
  limits: { maxNodes: 6, maxAgentSpawns: 2, maxPatchesPerRun: 3 },
  nodes: [
    { id: 'a', type: 'task', with: { handler: 'fetch' } },
    { id: 'b', type: 'task', with: { handler: 'classify' } },
    { id: 'c', type: 'http', with: { method: 'GET', url: 'https://api.example.com/t' } },
    { id: 'd', type: 'task', with: { handler: 'reply' } },
  ],
  edges: [
    { from: 'a', to: 'b' },
    { from: 'b', to: 'c' },
    { from: 'c', to: 'd' },
  ],
  output: '{% nodes.d.output %}',
};
const baseIrHash = irHashOf(base);

function stateWith(statuses: Record<string, NodeStatus>): RunState {
  const s = initialState('run-1');
  for (const [id, status] of Object.entries(statuses)) s.nodes[id] = { status, attempt: 1 };
  return s;
}
const state = stateWith({ a: 'succeeded', b: 'running', c: 'pending' });

const task = (id: string, extra: object = {}) => ({
  id,
  type: 'task',
  with: { handler: 'h' },
  ...extra,
});

function run(ops: unknown[], over: Partial<ValidatePatchInput> & { doc?: object } = {}) {
  const { doc, ...rest } = over;
  return validatePatch({
    patch: {
      patchId: 'p1',
      scope: 'run',
      target: 'run-1',
      baseIrHash,
      ops,
      author: 'agent:planner',
      ...doc,
    },
    base,
    baseIrHash,
    state,
    appliedPatches: 0,
    ...rest,
  });
}
const codes = (v: { violations: { code: string }[] }) => v.violations.map((p) => p.code);

describe('validatePatch accepts', () => {
  it('a new node after a finished one, and returns the materialised definition and its hash', () => {
    const before = JSON.stringify(base);
    const verdict = run([
      { op: 'add', path: '/nodes/-', value: task('audit') },
      { op: 'add', path: '/edges/-', value: { from: 'a', to: 'audit' } },
      { op: 'add', path: '/edges/-', value: { from: 'audit', to: 'd' } },
    ]);
    expect(verdict.violations).toEqual([]);
    expect(verdict.ok).toBe(true);
    expect(verdict.materialized!.nodes.map((n) => n.id)).toEqual(['a', 'b', 'c', 'd', 'audit']);
    expect(verdict.irHash).toBe(irHashOf(verdict.materialized));
    expect(JSON.stringify(base)).toBe(before);
  });

  it('changes to pending nodes, an expression URL, and a code node when the policy allows it', () => {
    const verdict = run(
      [
        { op: 'replace', path: '/nodes/2/with/url', value: '{% inputs.url %}' },
        { op: 'replace', path: '/nodes/3/with/handler', value: 'reply2' },
        {
          op: 'add',
          path: '/nodes/-',
          value: { id: 'x', type: 'code', with: { language: 'javascript', source: '1' } },
        },
      ],
      { policy: { allowAgentTypes: ['task', 'http', 'code'] } },
    );
    expect(verdict.violations).toEqual([]);
    expect(verdict.notes).toEqual([
      expect.objectContaining({ code: 'RUNTIME_CHECK', path: '/ops/0/value' }),
    ]);
  });
});

describe('validatePatch: the immutability rule', () => {
  it('allows a new edge from a finished node to a pending one, and moving nodes around', () => {
    const verdict = run([
      { op: 'add', path: '/edges/-', value: { from: 'a', to: 'd' } },
      { op: 'move', from: '/nodes/3', path: '/nodes/0' },
    ]);
    expect(verdict.violations).toEqual([]);
    expect(verdict.materialized!.nodes.map((n) => n.id)).toEqual(['d', 'a', 'b', 'c']);
  });

  it('allows rewriting the whole node list when the started nodes stay as they were', () => {
    const verdict = run([
      { op: 'replace', path: '/nodes', value: [...base.nodes.slice(0, 3), task('d')] },
    ]);
    expect(verdict.violations).toEqual([]);
  });

  it('lets a patch remove a pending node that a started node points to (nothing ran along the edge)', () => {
    const verdict = run([
      { op: 'remove', path: '/edges/1' },
      { op: 'remove', path: '/edges/1' },
      { op: 'remove', path: '/nodes/2' },
      { op: 'add', path: '/edges/-', value: { from: 'b', to: 'd' } },
    ]);
    expect(verdict.violations).toEqual([]);
    expect(verdict.ok).toBe(true);
  });

  it('freezes nothing without a run state (scope workflow)', () => {
    const verdict = run(
      [
        { op: 'remove', path: '/edges/0' },
        { op: 'remove', path: '/nodes/0' },
      ],
      {
        state: undefined,
        doc: { scope: 'workflow', target: 'triage@1' },
      },
    );
    expect(verdict.violations).toEqual([]);
  });
});

describe('validatePatch: documents that are not patches', () => {
  it.each([null, 'ops', [], { ops: 'x' }])('%j is a SCHEMA violation', (doc) => {
    const verdict = validatePatch({ patch: doc, base, baseIrHash, appliedPatches: 0 });
    expect(verdict.ok).toBe(false);
    expect(new Set(codes(verdict))).toEqual(new Set(['SCHEMA']));
  });
});

describe('validatePatch rejects, one code at a time', () => {
  it('SCHEMA: an invalid patch document', () => {
    const verdict = run([{ op: 'add', path: '/nodes/-' }], { doc: { author: '' } });
    expect(verdict.ok).toBe(false);
    expect(verdict.violations.every((v) => v.code === 'SCHEMA')).toBe(true);
    expect(verdict.violations.map((v) => v.path)).toEqual(
      expect.arrayContaining(['/author', '/ops/0/value']),
    );
  });

  it('SCHEMA: a materialised definition that is not schema-valid, pointing into the op', () => {
    const verdict = run([{ op: 'add', path: '/nodes/-', value: { id: 'n', type: 'bogus' } }]);
    expect(verdict.violations).toContainEqual(
      expect.objectContaining({ code: 'SCHEMA', path: '/ops/0/value/type' }),
    );
    expect(verdict.materialized).toBeUndefined();
  });

  it('UNKNOWN_NODE: an index that does not exist, an id instead of an index, a failing test, an edge to nowhere', () => {
    const verdict = run([
      { op: 'remove', path: '/nodes/9' },
      { op: 'replace', path: '/nodes/d/with', value: {} },
      { op: 'test', path: '/nodes/3/id', value: 'reply' },
      { op: 'add', path: '/edges/-', value: { from: 'd', to: 'ghost' } },
    ]);
    expect(verdict.violations).toEqual([
      expect.objectContaining({ code: 'UNKNOWN_NODE', path: '/ops/0/path' }),
      {
        code: 'UNKNOWN_NODE',
        path: '/ops/1/path',
        message: "nodes are addressed by index: node 'd' is /nodes/3",
      },
      expect.objectContaining({ code: 'UNKNOWN_NODE', path: '/ops/2' }),
      expect.objectContaining({ code: 'UNKNOWN_NODE', path: '/ops/3/value/to' }),
    ]);
  });

  it('DUPLICATE_ID', () => {
    const verdict = run([{ op: 'add', path: '/nodes/-', value: task('c') }]);
    expect(codes(verdict)).toEqual(['DUPLICATE_ID']);
    expect(verdict.violations[0]!.path).toBe('/ops/0/value/id');
  });

  it('CYCLE', () => {
    const verdict = run([{ op: 'add', path: '/edges/-', value: { from: 'd', to: 'c' } }]);
    expect(codes(verdict)).toEqual(['CYCLE']);
    expect(verdict.violations[0]!.path).toBe('/ops/0/value');
  });

  it('IMMUTABLE_NODE: changing, removing, or rewiring a started or finished node', () => {
    const verdict = run([
      { op: 'replace', path: '/nodes/0/with/handler', value: 'other' },
      { op: 'remove', path: '/nodes/1' },
    ]);
    expect(verdict.violations.filter((v) => v.code === 'IMMUTABLE_NODE')).toEqual([
      expect.objectContaining({ path: '/ops/0', message: expect.stringContaining("'a'") }),
      expect.objectContaining({ path: '/ops/1', message: expect.stringContaining("'b'") }),
    ]);
    // An edge into a finished node, and the removal of one out of it.
    const edges = run([
      { op: 'add', path: '/nodes/-', value: task('pre') },
      { op: 'add', path: '/edges/-', value: { from: 'pre', to: 'a' } },
      { op: 'remove', path: '/edges/0' },
    ]);
    expect(codes(edges)).toEqual(['IMMUTABLE_NODE', 'IMMUTABLE_NODE']);
    expect(edges.violations.map((v) => v.path).sort()).toEqual(['/ops/1/value', '/ops/2']);
  });

  it('IMMUTABLE_NODE: a new edge between two started nodes', () => {
    const verdict = run([
      { op: 'add', path: '/edges/-', value: { from: 'a', to: 'b', on: 'failure' } },
    ]);
    expect(codes(verdict)).toEqual(['IMMUTABLE_NODE']);
  });

  it('SPAWN_LIMIT: counts the nodes the author added before', () => {
    const verdict = run([{ op: 'add', path: '/nodes/-', value: task('x') }], {
      spawnedByAuthor: 2,
    });
    expect(verdict.violations).toEqual([
      expect.objectContaining({ code: 'SPAWN_LIMIT', path: '/ops/0/value' }),
    ]);
    const burst = run([
      { op: 'add', path: '/nodes/-', value: task('x') },
      { op: 'add', path: '/nodes/-', value: task('y') },
      { op: 'add', path: '/nodes/-', value: task('z') },
    ]);
    expect(burst.violations).toEqual([
      expect.objectContaining({ code: 'NODE_LIMIT' }),
      expect.objectContaining({ code: 'SPAWN_LIMIT', path: '/ops/2/value' }),
    ]);
  });

  it('NODE_LIMIT', () => {
    const verdict = run(
      [
        { op: 'add', path: '/nodes/-', value: task('x') },
        { op: 'add', path: '/nodes/-', value: task('y') },
        { op: 'add', path: '/nodes/-', value: task('z') },
      ],
      { spawnedByAuthor: -10 },
    );
    expect(verdict.violations).toEqual([
      expect.objectContaining({ code: 'NODE_LIMIT', path: '/ops' }),
    ]);
  });

  it('PATCH_LIMIT', () => {
    const verdict = run([{ op: 'replace', path: '/output', value: 1 }], { appliedPatches: 3 });
    expect(verdict.violations).toEqual([
      expect.objectContaining({ code: 'PATCH_LIMIT', path: '' }),
    ]);
  });

  it('FORBIDDEN_TYPE: a code node, or a map whose body is code', () => {
    const verdict = run([
      {
        op: 'add',
        path: '/nodes/-',
        value: { id: 'x', type: 'code', with: { language: 'javascript', source: '1' } },
      },
      {
        op: 'add',
        path: '/nodes/-',
        value: {
          id: 'm',
          type: 'map',
          with: {
            items: [1],
            body: { type: 'code', with: { language: 'javascript', source: '1' } },
          },
        },
      },
    ]);
    expect(verdict.violations).toEqual([
      expect.objectContaining({ code: 'FORBIDDEN_TYPE', path: '/ops/0/value/type' }),
      expect.objectContaining({ code: 'FORBIDDEN_TYPE', path: '/ops/1/value/with/body/type' }),
    ]);
  });

  it('SSRF: a literal private URL, in a new node or a changed one', () => {
    const verdict = run([
      { op: 'replace', path: '/nodes/2/with/url', value: 'http://0x7f.1/admin' },
      {
        op: 'add',
        path: '/nodes/-',
        value: {
          id: 'h',
          type: 'http',
          with: { method: 'GET', url: 'http://[::ffff:a9fe:a9fe]/' },
        },
      },
    ]);
    expect(verdict.violations).toEqual([
      expect.objectContaining({ code: 'SSRF', path: '/ops/0/value' }),
      expect.objectContaining({ code: 'SSRF', path: '/ops/1/value/with/url' }),
    ]);
  });

  it('SSRF: a non-http scheme (which the definition schema refuses too)', () => {
    const verdict = run([
      { op: 'replace', path: '/nodes/2/with/url', value: 'file:///etc/passwd' },
    ]);
    expect(codes(verdict)).toEqual(['SSRF', 'SCHEMA']);
  });

  it('FORBIDDEN_PATH: prototype segments, paths outside /nodes /edges /output, the root', () => {
    const verdict = run([
      { op: 'add', path: '/nodes/0/__proto__/polluted', value: true },
      { op: 'replace', path: '/limits/maxNodes', value: 1000 },
      { op: 'replace', path: '', value: {} },
      { op: 'copy', from: '/name', path: '/output' },
      { op: 'add', path: '/nodes/3/with/constructor', value: 1 },
      { op: 'add', path: '/nodes/3/with/x', value: JSON.parse('{"__proto__":{"p":1}}') },
    ]);
    expect(verdict.violations).toEqual([
      expect.objectContaining({ code: 'FORBIDDEN_PATH', path: '/ops/0/path' }),
      expect.objectContaining({ code: 'FORBIDDEN_PATH', path: '/ops/1/path' }),
      expect.objectContaining({ code: 'FORBIDDEN_PATH', path: '/ops/2/path' }),
      expect.objectContaining({ code: 'FORBIDDEN_PATH', path: '/ops/3/from' }),
      expect.objectContaining({ code: 'FORBIDDEN_PATH', path: '/ops/4/path' }),
      expect.objectContaining({ code: 'FORBIDDEN_PATH', path: '/ops/5/value/__proto__' }),
    ]);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('STALE_BASE', () => {
    const verdict = run([{ op: 'replace', path: '/output', value: 1 }], {
      baseIrHash: `sha256:${'0'.repeat(64)}`,
    });
    expect(verdict.violations).toEqual([
      expect.objectContaining({ code: 'STALE_BASE', path: '/baseIrHash' }),
    ]);
  });

  it('TOO_LARGE', () => {
    const verdict = run([{ op: 'replace', path: '/output', value: 'x'.repeat(200) }], {
      policy: { maxOpsBytes: 100 },
    });
    expect(verdict.violations).toEqual([
      expect.objectContaining({ code: 'TOO_LARGE', path: '/ops' }),
    ]);
  });
});

describe('validatePatch reports every violation at once', () => {
  it('a patch with a cycle, an SSRF URL, a change to a finished node, a code node and a bad path', () => {
    const verdict = run(
      [
        { op: 'add', path: '/edges/-', value: { from: 'd', to: 'c' } },
        {
          op: 'add',
          path: '/nodes/-',
          value: { id: 'h', type: 'http', with: { method: 'GET', url: 'http://169.254.169.254/' } },
        },
        { op: 'remove', path: '/nodes/0' },
        {
          op: 'add',
          path: '/nodes/-',
          value: { id: 'x', type: 'code', with: { language: 'javascript', source: '1' } },
        },
        { op: 'replace', path: '/limits/maxNodes', value: 1 },
        { op: 'add', path: '/nodes/-', value: task('c') },
      ],
      { appliedPatches: 5, baseIrHash: `sha256:${'1'.repeat(64)}`, spawnedByAuthor: 1 },
    );
    expect(new Set(codes(verdict))).toEqual(
      new Set([
        'STALE_BASE',
        'PATCH_LIMIT',
        'FORBIDDEN_PATH',
        'IMMUTABLE_NODE',
        'FORBIDDEN_TYPE',
        'SSRF',
        'CYCLE',
        'DUPLICATE_ID',
        'UNKNOWN_NODE', // the edge a → b lost its source when a was removed
        'SPAWN_LIMIT',
      ]),
    );
    expect(verdict.ok).toBe(false);
  });
});
