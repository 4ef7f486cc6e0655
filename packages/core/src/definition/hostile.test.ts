// Valid-looking but hostile definitions (issue: hostile input): each is refused at validation,
// by name, for workflows and for patches alike, before anything runs or is stored.
import { afterEach, describe, expect, it } from 'vitest';
import type { Problem } from '../errors.js';
import { compile, compileCached, irHashOf } from '../ir/compile.js';
import { setServerLimits } from '../limits.js';
import { validatePatch } from '../patch/validate.js';
import { fold } from '../run/evolve.js';
import { initialState } from '../run/state.js';
import { Sim } from '../run/testing/sim.js';
import type { WorkflowDefinition } from './types.js';
import { validateDefinition } from './validate.js';

type Doc = Record<string, unknown>;
const wf = (nodes: unknown[], extra: Doc = {}): Doc => ({
  name: 'w',
  version: '1',
  nodes,
  ...extra,
});
const task = (id: string) => ({ id, type: 'task', with: { handler: 'h' } });
const pick = (ps: Problem[]) => ps.map((p) => [p.code, p.path]);

afterEach(() => {
  setServerLimits({});
});

describe('hostile definitions', () => {
  it('refuses node ids that name Object.prototype properties', () => {
    const ps = validateDefinition(
      wf([task('__proto__'), task('constructor'), task('prototype'), task('ok')]),
    );
    expect(pick(ps)).toEqual([
      ['RESERVED_ID', '/nodes/0/id'],
      ['RESERVED_ID', '/nodes/1/id'],
      ['RESERVED_ID', '/nodes/2/id'],
    ]);
  });

  it('refuses __proto__ as a key anywhere, and reserved input names', () => {
    const withProto = JSON.parse(
      '{"id":"t","type":"transform","with":{"value":{"a":{"__proto__":{"x":1}}}}}',
    ) as unknown;
    expect(pick(validateDefinition(wf([withProto])))).toEqual([
      ['RESERVED_KEY', '/nodes/0/with/value/a/__proto__'],
    ]);
    const inputs = { type: 'object', properties: { constructor: { type: 'string' } } };
    expect(pick(validateDefinition(wf([task('a')], { inputs })))).toEqual([
      ['RESERVED_ID', '/inputs/properties/constructor'],
    ]);
  });

  it('never lets a logged node id reach Object.prototype when folding', () => {
    const state = fold([
      {
        runId: 'r',
        seq: 1,
        type: 'NodeScheduled',
        at: 0,
        data: { nodeId: '__proto__', attempt: 1, input: { $cas: 'x' }, inputHash: 'h' },
      } as never,
    ]);
    expect(({} as Record<string, unknown>)['status']).toBeUndefined();
    expect(({} as Record<string, unknown>)['attempt']).toBeUndefined();
    expect(Object.getPrototypeOf(state.nodes)).toBe(Object.prototype);
    expect(Object.hasOwn(state.nodes, '__proto__')).toBe(true);
  });

  it('refuses credential fields in llm, agent and search nodes, map bodies included', () => {
    const ps = validateDefinition(
      wf([
        { id: 'l', type: 'llm', with: { model: 'm', prompt: 'p', apiKey: 'sk-1', baseURL: 'x' } },
        {
          id: 'g',
          type: 'agent',
          with: { framework: 'langgraph', model: 'm', prompt: 'p', headers: {} },
        },
        { id: 's', type: 'search', with: { query: 'q', api_key: 'k' } },
        {
          id: 'm',
          type: 'map',
          with: {
            items: [1],
            body: { type: 'llm', with: { model: 'm', prompt: 'p', base_url: 'u' } },
          },
        },
        { id: 'h', type: 'http', with: { method: 'GET', url: 'https://e.example', headers: {} } },
      ]),
    );
    expect(pick(ps.filter((p) => p.code === 'CREDENTIAL_FIELD'))).toEqual([
      ['CREDENTIAL_FIELD', '/nodes/0/with/apiKey'],
      ['CREDENTIAL_FIELD', '/nodes/0/with/baseURL'],
      ['CREDENTIAL_FIELD', '/nodes/1/with/headers'],
      ['CREDENTIAL_FIELD', '/nodes/2/with/api_key'],
      ['CREDENTIAL_FIELD', '/nodes/3/with/body/with/base_url'],
    ]);
    expect(ps.find((p) => p.code === 'CREDENTIAL_FIELD')!.message).toMatch(/runner's settings/);
  });

  it("caps the nodes at the server's ceiling whatever limits.maxNodes says", () => {
    setServerLimits({ maxNodes: 50 });
    const many = Array.from({ length: 60 }, (_, i) => task(`n${i}`));
    expect(pick(validateDefinition(wf(many, { limits: { maxNodes: 10_000 } })))).toEqual([
      ['NODE_LIMIT', '/limits/maxNodes'],
    ]);
    expect(pick(validateDefinition(wf(many)))).toEqual([['NODE_LIMIT', '/nodes']]);
    expect(validateDefinition(wf(many.slice(0, 40), { limits: { maxNodes: 50 } }))).toEqual([]);
  });

  it('refuses what it can prove about expressions: huge literal ranges, unsafe regexes, size', () => {
    setServerLimits({ maxExpressions: 3, maxExpressionLength: 100 });
    const t = (id: string, value: string) => ({ id, type: 'transform', with: { value } });
    const ps = validateDefinition(
      wf([
        t('a', '{% [1..100000000] %}'),
        t('b', '{% $match("aaaa!", /(a+)+$/) %}'),
        t('c', `{% "${'x'.repeat(200)}" %}`),
        t('d', '{% 1 %}'),
      ]),
    );
    expect(pick(ps)).toEqual([
      ['EXPRESSION_LIMIT', '/nodes/0/with/value'],
      ['UNSAFE_REGEX', '/nodes/1/with/value'],
      ['EXPRESSION_LIMIT', '/nodes/2/with/value'],
      ['EXPRESSION_LIMIT', '/nodes/3/with/value'],
    ]);
    expect(ps[3]!.message).toMatch(/more than 3 expressions/);
  });

  it('refuses deep nesting and non-finite numbers without overflowing the stack', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 10_000; i++) deep = { a: deep };
    expect(
      pick(validateDefinition(wf([{ id: 't', type: 'transform', with: { value: deep } }]))),
    ).toEqual([['TOO_DEEP', expect.stringMatching(/^\/nodes\/0\/with\/value(\/a)+$/)]]);
    const timer = { id: 't', type: 'timer', with: { durationMs: Infinity } };
    expect(pick(validateDefinition(wf([timer])))).toEqual([
      ['NOT_FINITE', '/nodes/0/with/durationMs'],
    ]);
  });

  it('applies the same rules to patches', () => {
    const base = wf([task('a')]) as unknown as WorkflowDefinition;
    const baseIrHash = irHashOf(base);
    const verdict = validatePatch({
      patch: {
        patchId: 'p',
        scope: 'run',
        target: 'r',
        baseIrHash,
        author: 'agent:x',
        ops: [
          { op: 'add', path: '/nodes/-', value: task('__proto__') },
          {
            op: 'add',
            path: '/nodes/-',
            value: { id: 'l', type: 'llm', with: { model: 'm', prompt: 'p', apiKey: 'k' } },
          },
        ],
      },
      base,
      baseIrHash,
      state: initialState('r'),
      appliedPatches: 0,
    });
    expect(verdict.ok).toBe(false);
    expect(verdict.violations.map((v) => v.code)).toEqual(
      expect.arrayContaining(['RESERVED_ID', 'CREDENTIAL_FIELD']),
    );
  });
});

describe('a map past the server limit', () => {
  it('fails the node by name instead of fanning out', () => {
    setServerLimits({ maxMapItems: 100 });
    const ir = compile(
      wf([
        {
          id: 'm',
          type: 'map',
          with: { items: '{% [1..1000] %}', body: { type: 'task', with: { handler: 'h' } } },
        },
      ]),
    );
    const sim = new Sim(ir, 'r', { handlers: { h: (x: unknown) => x } }).start({});
    expect(sim.jobs).toEqual([]);
    expect(sim.state.status).toBe('failed');
    expect(sim.state.nodes['m']).toMatchObject({
      status: 'failed',
      error: { code: 'MAP_LIMIT', retryable: false },
    });
  });
});

describe('compileCached', () => {
  it('refuses a document too deep to hash, or holding Infinity, as VALIDATION before hashing it', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 20_000; i++) deep = [deep];
    for (const doc of [deep, { name: 'x', version: '1', nodes: [], x: Infinity }]) {
      let thrown: unknown;
      try {
        compileCached(doc);
      } catch (err) {
        thrown = err;
      }
      expect((thrown as { code?: string }).code).toBe('VALIDATION');
    }
  });
});
