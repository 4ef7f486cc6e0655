// The validator service gives the library's verdict: the same inputs through validatePatch and
// through aob.v1.Validator over a real gRPC server give deep-equal verdicts — a corpus that hits
// every violation code (ARCHITECTURE §4) and the notes, then random cases. Inputs are JSON data (what
// arrives on the bus), so the random ones go through JSON once before either side sees them.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  NodeStatus,
  PatchVerdict,
  RunState,
  ValidatePatchInput,
  WorkflowDefinition,
} from '@aob/core';
import { initialState, irHashOf, NodeType, validatePatch } from '@aob/core';
import { status } from '@grpc/grpc-js';
import { Validator } from '../generated/aob/v1/validator_pb.js';
import { createClient } from './client.js';
import { aobErrorMapper, errorDetailOf } from './errors.js';
import type { GrpcServer } from './server.js';
import { register, serveGrpc } from './server.js';
import { GrpcPatchValidator, validatorHandlers } from './validator.js';

// a → b → c → d; a has finished, b is running, c and d are pending (as in validate.test.ts).
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
  for (const [id, st] of Object.entries(statuses)) s.nodes[id] = { status: st, attempt: 1 };
  return s;
}
const state = stateWith({ a: 'succeeded', b: 'running', c: 'pending' });
const task = (id: string) => ({ id, type: 'task', with: { handler: 'h' } });
const code = (id: string) => ({
  id,
  type: 'code',
  with: { language: 'javascript', source: '1' },
});

function input(ops: unknown[], over: Partial<ValidatePatchInput> & { doc?: object } = {}) {
  const { doc, ...rest } = over;
  return {
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
  } satisfies ValidatePatchInput;
}

/** Named inputs; together their verdicts carry every violation code and a note. */
const CORPUS: [string, ValidatePatchInput][] = [
  [
    'accepted: a node after a finished one',
    input([
      { op: 'add', path: '/nodes/-', value: task('audit') },
      { op: 'add', path: '/edges/-', value: { from: 'a', to: 'audit' } },
      { op: 'add', path: '/edges/-', value: { from: 'audit', to: 'd' } },
    ]),
  ],
  [
    'accepted with a RUNTIME_CHECK note, code allowed by the policy',
    input(
      [
        { op: 'replace', path: '/nodes/2/with/url', value: '{% inputs.url %}' },
        { op: 'add', path: '/nodes/-', value: code('x') },
      ],
      { policy: { allowAgentTypes: ['task', 'http', 'code'] } },
    ),
  ],
  ['SCHEMA: not a patch document', input([], { doc: { scope: 'galaxy', ops: 'nope' } })],
  ['SCHEMA: no document at all', { ...input([]), patch: undefined }],
  ['SCHEMA: a string for a document', { ...input([]), patch: 'add a node please' }],
  [
    'SCHEMA: a node type that does not exist',
    input([{ op: 'add', path: '/nodes/-', value: { id: 'z', type: 'teleport', with: {} } }]),
  ],
  [
    'UNKNOWN_NODE',
    input([
      { op: 'replace', path: '/nodes/9/with/handler', value: 'x' },
      { op: 'add', path: '/edges/-', value: { from: 'd', to: 'ghost' } },
    ]),
  ],
  ['DUPLICATE_ID', input([{ op: 'add', path: '/nodes/-', value: task('c') }])],
  ['CYCLE', input([{ op: 'add', path: '/edges/-', value: { from: 'd', to: 'c' } }])],
  [
    'IMMUTABLE_NODE',
    input([
      { op: 'replace', path: '/nodes/0/with/handler', value: 'other' },
      { op: 'remove', path: '/nodes/1' },
    ]),
  ],
  [
    'SPAWN_LIMIT',
    input([{ op: 'add', path: '/nodes/-', value: task('s1') }], { spawnedByAuthor: 2 }),
  ],
  [
    'NODE_LIMIT (a negative spawn count travels too)',
    input(
      [
        { op: 'add', path: '/nodes/-', value: task('n1') },
        { op: 'add', path: '/nodes/-', value: task('n2') },
        { op: 'add', path: '/nodes/-', value: task('n3') },
      ],
      { spawnedByAuthor: -10 },
    ),
  ],
  ['PATCH_LIMIT', input([{ op: 'replace', path: '/output', value: 1 }], { appliedPatches: 3 })],
  [
    'FORBIDDEN_TYPE: with the default policy, and with none allowed',
    input([{ op: 'add', path: '/nodes/-', value: code('x') }]),
  ],
  [
    'FORBIDDEN_TYPE: an empty allow-list is not the default',
    input([{ op: 'add', path: '/nodes/-', value: task('t') }], {
      policy: { allowAgentTypes: [] },
    }),
  ],
  [
    'SSRF',
    input([
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
    ]),
  ],
  [
    'FORBIDDEN_PATH',
    input([
      { op: 'add', path: '/nodes/0/__proto__/polluted', value: true },
      { op: 'replace', path: '/limits/maxNodes', value: 1000 },
      { op: 'replace', path: '', value: {} },
      { op: 'copy', from: '/name', path: '/output' },
      { op: 'add', path: '/nodes/3/with/x', value: JSON.parse('{"__proto__":{"p":1}}') },
    ]),
  ],
  [
    'STALE_BASE',
    input([{ op: 'replace', path: '/output', value: 1 }], {
      baseIrHash: `sha256:${'0'.repeat(64)}`,
    }),
  ],
  [
    'TOO_LARGE',
    input([{ op: 'replace', path: '/output', value: 'x'.repeat(200) }], {
      policy: { maxOpsBytes: 100 },
    }),
  ],
  [
    'scope workflow: no run state, nothing frozen',
    input([{ op: 'replace', path: '/nodes/0/with/handler', value: 'other' }], {
      state: undefined,
    }),
  ],
  [
    'everything at once',
    input(
      [
        { op: 'add', path: '/edges/-', value: { from: 'd', to: 'c' } },
        {
          op: 'add',
          path: '/nodes/-',
          value: { id: 'h', type: 'http', with: { method: 'GET', url: 'http://169.254.169.254/' } },
        },
        { op: 'remove', path: '/nodes/0' },
        { op: 'add', path: '/nodes/-', value: code('x') },
        { op: 'replace', path: '/limits/maxNodes', value: 1 },
        { op: 'add', path: '/nodes/-', value: task('c') },
      ],
      { appliedPatches: 5, baseIrHash: `sha256:${'1'.repeat(64)}`, spawnedByAuthor: 1 },
    ),
  ],
];

const ALL_CODES = [
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
];

let server: GrpcServer;
let remote: GrpcPatchValidator;

beforeAll(async () => {
  server = await serveGrpc([register(Validator, validatorHandlers(), aobErrorMapper)], {
    host: '127.0.0.1',
    port: 0,
  });
  remote = new GrpcPatchValidator(`127.0.0.1:${server.port}`);
});

afterAll(async () => {
  remote?.close();
  await server?.stop();
});

describe('validator service', () => {
  it('the corpus hits every violation code and a note', () => {
    const verdicts = CORPUS.map(([, i]) => validatePatch(i));
    const codes = new Set(verdicts.flatMap((v) => v.violations.map((p) => p.code)));
    expect([...codes].sort()).toEqual([...ALL_CODES].sort());
    expect(verdicts.some((v) => v.notes.some((n) => n.code === 'RUNTIME_CHECK'))).toBe(true);
    expect(verdicts.filter((v) => v.ok)).toHaveLength(3);
  });

  it.each(CORPUS)('gives the library verdict: %s', async (_name, i) => {
    const expected: PatchVerdict = validatePatch(i);
    expect(await remote.validate(i)).toStrictEqual(expected);
  });

  it('gives the library verdict on random inputs', async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(arbInput, async (i) => {
        const expected = validatePatch(i);
        if (expected.ok) accepted++;
        expect(await remote.validate(i)).toStrictEqual(expected);
      }),
      { numRuns: 300 },
    );
    // Not vacuous: some random patches pass, and then the materialised definition travels too.
    expect(accepted).toBeGreaterThan(0);
  });

  it('answers a request whose base is not JSON with INVALID_ARGUMENT naming the field', async () => {
    const client = createClient(Validator, `127.0.0.1:${server.port}`);
    try {
      await client.validatePatch({ baseJson: '{nope', baseIrHash: 'x', appliedPatches: 0 });
      expect.unreachable('the call succeeded');
    } catch (err) {
      expect((err as { code: number }).code).toBe(status.INVALID_ARGUMENT);
      expect(errorDetailOf(err)).toMatchObject({
        code: 'VALIDATION',
        problems: [expect.objectContaining({ code: 'SCHEMA', path: '/base_json' })],
      });
    } finally {
      client.close();
    }
  });

  it('an unreachable validator is an error naming it, retryable, never a verdict', async () => {
    const gone = new GrpcPatchValidator('127.0.0.1:1', { timeoutMs: 2_000 });
    try {
      await expect(gone.validate(CORPUS[0]![1])).rejects.toMatchObject({
        code: 'VALIDATOR_UNAVAILABLE',
        retryable: true,
        message: expect.stringContaining('validator at 127.0.0.1:1'),
      });
    } finally {
      gone.close();
    }
  });
});

// ---- random inputs -------------------------------------------------------------------------

const URLS = [
  'https://api.example.com/x',
  'http://10.0.0.1/',
  'http://localhost:8080/',
  'ftp://example.com/',
  '{% inputs.url %}',
];
const TYPES = ['task', 'http', 'code', 'transform', 'teleport'];
const STATUSES: NodeStatus[] = [
  'pending',
  'scheduled',
  'running',
  'waiting',
  'succeeded',
  'failed',
];

const arbNode = (ids: fc.Arbitrary<string>, types: readonly string[] = TYPES) =>
  fc
    .record({ id: ids, type: fc.constantFrom(...types), url: fc.constantFrom(...URLS) })
    .map(({ id, type, url }) =>
      type === 'http'
        ? { id, type, with: { method: 'GET', url } }
        : type === 'code'
          ? code(id)
          : type === 'transform'
            ? { id, type, with: { value: 1 } }
            : { id, type, with: { handler: 'h' } },
    );

const arbInput: fc.Arbitrary<ValidatePatchInput> = fc.integer({ min: 1, max: 5 }).chain((n) => {
  const ids = Array.from({ length: n }, (_, i) => `n${i}`);
  const anyId = fc.constantFrom(...ids, 'x1', 'x2');
  const index = fc.nat(n + 1);
  // Harmless (a new, unconnected task), so that some patches pass.
  const safe = fc
    .constantFrom('x1', 'x2')
    .map((id) => ({ op: 'add', path: '/nodes/-', value: task(id) }));
  const op = fc.oneof(
    safe,
    arbNode(anyId).map((value) => ({ op: 'add', path: '/nodes/-', value })),
    fc.record({ from: anyId, to: anyId }).map((value) => ({ op: 'add', path: '/edges/-', value })),
    index.map((i) => ({ op: 'remove', path: `/nodes/${i}` })),
    index.map((i) => ({ op: 'remove', path: `/edges/${i}` })),
    fc
      .tuple(index, fc.constantFrom(...URLS))
      .map(([i, url]) => ({ op: 'replace', path: `/nodes/${i}/with/url`, value: url })),
    fc
      .tuple(index, index)
      .map(([a, b]) => ({ op: 'move', from: `/nodes/${a}`, path: `/nodes/${b}` })),
    fc.jsonValue().map((value) => ({ op: 'replace', path: '/output', value })),
    fc.constantFrom(
      { op: 'replace', path: '/limits/maxNodes', value: 99 },
      { op: 'add', path: '/nodes/0/__proto__/x', value: 1 },
      { op: 'test', path: '/name', value: 'w' },
      { op: 'teleport', path: '/nodes/0' },
    ),
  );
  return fc
    .record({
      base: fc.record({
        // A valid base: known types, URLs the schema takes (the validator judges the patch).
        types: fc.array(arbNode(fc.constant(''), ['task', 'code', 'transform']), {
          minLength: n,
          maxLength: n,
        }),
        edges: fc.array(fc.tuple(fc.nat(n - 1), fc.nat(n - 1)), { maxLength: 6 }),
        maxNodes: fc.integer({ min: n, max: n + 4 }),
      }),
      statuses: fc.array(fc.constantFrom(...STATUSES), { minLength: n, maxLength: n }),
      withState: fc.boolean(),
      ops: fc.oneof(
        fc.array(safe, { minLength: 1, maxLength: 2 }),
        fc.array(op, { minLength: 1, maxLength: 4 }),
      ),
      stale: fc.nat(4).map((k) => k === 0),
      // Now and then a whole document that is anything at all.
      wholeDoc: fc.oneof(
        { weight: 7, arbitrary: fc.constant(undefined) },
        { weight: 1, arbitrary: fc.jsonValue() },
      ),
      appliedPatches: fc.nat(4),
      spawnedByAuthor: fc.option(fc.nat(4), { nil: undefined }),
      policy: fc.option(
        fc.record(
          {
            allowAgentTypes: fc.subarray(Object.values(NodeType)),
            maxOpsBytes: fc.integer({ min: 200, max: 5_000 }),
          },
          { requiredKeys: [] },
        ),
        { nil: undefined },
      ),
    })
    .map((g) => {
      const seen = new Set<string>();
      const def: WorkflowDefinition = {
        name: 'w',
        version: '1',
        limits: { maxNodes: g.base.maxNodes, maxAgentSpawns: 3, maxPatchesPerRun: 3 },
        nodes: g.base.types.map((node, i) => ({
          ...node,
          id: ids[i]!,
        })) as WorkflowDefinition['nodes'],
        edges: g.base.edges.flatMap(([a, b]) => {
          const [from, to] = [Math.min(a, b), Math.max(a, b)];
          if (from === to || seen.has(`${from}-${to}`)) return [];
          seen.add(`${from}-${to}`);
          return [{ from: ids[from]!, to: ids[to]! }];
        }),
      };
      const hash = irHashOf(def);
      const patch = g.wholeDoc ?? {
        patchId: 'p',
        scope: 'run',
        target: 'r',
        baseIrHash: g.stale ? `sha256:${'2'.repeat(64)}` : hash,
        ops: g.ops,
        author: 'agent:x',
      };
      const i: ValidatePatchInput = {
        // JSON data, as every proposal that reaches a validator is.
        patch: JSON.parse(JSON.stringify(patch)) as unknown,
        base: def,
        baseIrHash: hash,
        appliedPatches: g.appliedPatches,
      };
      if (g.withState) {
        i.state = stateWith(Object.fromEntries(ids.map((id, k) => [id, g.statuses[k]!])));
      }
      if (g.spawnedByAuthor !== undefined) i.spawnedByAuthor = g.spawnedByAuthor;
      if (g.policy !== undefined) i.policy = g.policy;
      return i;
    });
});
