// Hostile workflow definitions and inputs: each must be refused with a named code, or run within
// the limits and fail its node with one, while the process stays responsive. Shared by the API
// fuzz test, `scripts/fuzz-api.ts` and the CLI's hostile test. Definitions and inputs are JSON
// text, because some cases (1e400, 10,000 levels) cannot be written as JavaScript values.

export interface HostileCase {
  name: string;
  definition: string;
  inputs?: string;
  /** Refused before anything runs, naming `code`; or started, its node failing with `code`. */
  expect: { refused: string } | { failsWith: string };
  /** Where the server and the CLI differ (the server's body limit comes first). */
  server?: { refused: string };
}

/** The body of `POST /v1/runs` for a case. */
export const startBody = (c: HostileCase): string =>
  `{"definition":${c.definition}${c.inputs !== undefined ? `,"inputs":${c.inputs}` : ''}}`;

const def = (nodes: unknown[], extra: Record<string, unknown> = {}) =>
  JSON.stringify({ name: 'hostile', version: '1', ...extra, nodes });

const transform = (value: unknown) => def([{ id: 't', type: 'transform', with: { value } }]);
const PLACEHOLDER = '"__here__"';
/** A transform whose value is raw JSON text. */
const transformRaw = (valueText: string) => transform('__here__').replace(PLACEHOLDER, valueText);
const nested = (depth: number) => '['.repeat(depth) + '1' + ']'.repeat(depth);
const wide = (n: number, extra: Record<string, unknown> = {}) =>
  def(
    Array.from({ length: n }, (_, i) => ({ id: `n${i}`, type: 'transform', with: { value: i } })),
    extra,
  );

export const HOSTILE_CASES: readonly HostileCase[] = [
  {
    name: 'endless recursion',
    definition: transform('{% ($f := function($n){ $f($n+1) }; $f(0)) %}'),
    expect: { failsWith: 'EXPRESSION_LIMIT' },
  },
  {
    name: 'a literal range of 10^8 items',
    definition: transform('{% [1..100000000] %}'),
    expect: { refused: 'EXPRESSION_LIMIT' },
  },
  {
    name: 'a computed range of 10^8 items',
    definition: transform('{% $count([1..$number("1e8")]) %}'),
    expect: { failsWith: 'EXPRESSION_LIMIT' },
  },
  {
    name: '$pad to 2×10^8 characters',
    definition: transform("{% $pad('', 200000000) %}"),
    expect: { failsWith: 'EXPRESSION_LIMIT' },
  },
  {
    name: '$reduce over 10^7 items',
    definition: transform('{% $reduce([1..$number("1e7")], function($a, $b){ $a + $b }) %}'),
    expect: { failsWith: 'EXPRESSION_LIMIT' },
  },
  {
    name: 'a catastrophic regular expression',
    definition: transform("{% $match('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!', /(a+)+$/) %}"),
    expect: { refused: 'UNSAFE_REGEX' },
  },
  { name: '10,000 nodes', definition: wide(10_000), expect: { refused: 'NODE_LIMIT' } },
  {
    name: '10,000 nodes, limits.maxNodes raised',
    definition: wide(10_000, { limits: { maxNodes: 1_000_000 } }),
    expect: { refused: 'NODE_LIMIT' },
  },
  {
    name: 'a map over 10^6 items',
    definition: def([
      {
        id: 'm',
        type: 'map',
        with: {
          items: '{% [1..999999] %}',
          body: { type: 'transform', with: { value: '{% item %}' } },
        },
      },
    ]),
    expect: { failsWith: 'MAP_LIMIT' },
  },
  ...['__proto__', 'constructor', 'prototype'].map((id): HostileCase => ({
    name: `a node named ${id}`,
    definition: def([{ id: 'x', type: 'transform', with: { value: 1 } }]).replace(
      '"id":"x"',
      `"id":"${id}"`,
    ),
    expect: { refused: 'RESERVED_ID' },
  })),
  {
    name: '__proto__ as a key inside with',
    definition: transformRaw('{"__proto__":{"polluted":true}}'),
    expect: { refused: 'RESERVED_KEY' },
  },
  {
    name: '__proto__ as an input key',
    definition: transform('{% 1 %}'),
    inputs: '{"__proto__":{"polluted":true}}',
    expect: { refused: 'RESERVED_KEY' },
  },
  {
    name: 'a definition nested 10,000 deep',
    definition: nested(10_000),
    expect: { refused: 'TOO_DEEP' },
  },
  {
    name: 'with.value nested 10,000 deep',
    definition: transformRaw(nested(10_000)),
    expect: { refused: 'TOO_DEEP' },
  },
  {
    name: 'inputs nested 10,000 deep',
    definition: transform('{% 1 %}'),
    inputs: `{"x":${nested(10_000)}}`,
    expect: { refused: 'TOO_DEEP' },
  },
  {
    name: 'an input of 1e400',
    definition: transform('{% 1 %}'),
    inputs: '{"x":1e400}',
    expect: { refused: 'NOT_FINITE' },
  },
  {
    name: 'a timer of 1e400 ms',
    definition: def([{ id: 't', type: 'timer', with: { durationMs: 1 } }]).replace(
      '"durationMs":1',
      '"durationMs":1e400',
    ),
    expect: { refused: 'NOT_FINITE' },
  },
  {
    name: 'an input of 2 MB',
    definition: transform('{% 1 %}'),
    inputs: `{"x":"${'a'.repeat(2_000_000)}"}`,
    expect: { refused: 'INPUT_TOO_LARGE' },
    server: { refused: 'BODY_TOO_LARGE' },
  },
  ...['apiKey', 'baseUrl', 'baseURL', 'headers', 'api_key'].map((key): HostileCase => ({
    name: `an llm node with ${key}`,
    definition: def([{ id: 'l', type: 'llm', with: { model: 'm', prompt: 'p', [key]: 'x' } }]),
    expect: { refused: 'CREDENTIAL_FIELD' },
  })),
  {
    name: 'an agent node with apiKey',
    definition: def([
      {
        id: 'a',
        type: 'agent',
        with: { framework: 'langgraph', model: 'm', prompt: 'p', apiKey: 'x' },
      },
    ]),
    expect: { refused: 'CREDENTIAL_FIELD' },
  },
  {
    name: 'an llm map body with baseUrl',
    definition: def([
      {
        id: 'm',
        type: 'map',
        with: {
          items: [1],
          body: { type: 'llm', with: { model: 'm', prompt: 'p', baseUrl: 'x' } },
        },
      },
    ]),
    expect: { refused: 'CREDENTIAL_FIELD' },
  },
];

/** Patch operations that are not JSON-Patch: each must be 400 with nothing recorded. */
export const MALFORMED_PATCHES: readonly unknown[] = [
  [],
  [{ path: '/nodes/0' }],
  [{ op: 'frobnicate', path: '/nodes/0' }],
  [{ op: 'add', path: '/nodes/-' }],
  [{ op: 'replace', path: 7, value: 1 }],
  [{ op: 'remove', path: 'nodes/0' }],
  [{ op: 'move', path: '/nodes/0' }],
  [null],
  ['add'],
];
