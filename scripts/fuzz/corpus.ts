// Hostile workflow definitions, inputs and requests: each must be refused with a named code, or
// run within the limits (failing its node with a code, or completing without harm), while the
// process stays responsive. Shared by the API fuzz test, `scripts/fuzz-api.ts` and the CLI's
// hostile test. Definitions and inputs are JSON text, because some cases (1e400, 10,000 levels)
// cannot be written as JavaScript values.

/**
 * What must become of a case: refused before anything runs, naming `refused` (as the problem's
 * code or one of its `errors[].code`); started, its run failing with `failsWith`; or started and
 * completed, with no prototype polluted.
 */
export type Expectation = { refused: string } | { failsWith: string } | { completes: true };

export interface HostileCase {
  name: string;
  definition: string;
  inputs?: string;
  expect: Expectation;
  /** Where the server differs (its body limit comes before any validation). */
  server?: Expectation;
  /** Where the CLI differs. */
  cli?: Expectation;
}

/** The body of `POST /v1/runs` for a case. */
export const startBody = (c: HostileCase): string =>
  `{"definition":${c.definition}${c.inputs !== undefined ? `,"inputs":${c.inputs}` : ''}}`;

export const describeExpectation = (e: Expectation): string =>
  'refused' in e
    ? `refused with ${e.refused}`
    : 'failsWith' in e
      ? `fails with ${e.failsWith}`
      : 'completes unharmed';

const def = (nodes: unknown[], extra: Record<string, unknown> = {}) =>
  JSON.stringify({ name: 'hostile', version: '1', ...extra, nodes });

const transform = (value: unknown) => def([{ id: 't', type: 'transform', with: { value } }]);
const PLACEHOLDER = '"__here__"';
/** A transform whose value is raw JSON text. */
const transformRaw = (valueText: string) => transform('__here__').replace(PLACEHOLDER, valueText);
const nestedArrays = (depth: number) => '['.repeat(depth) + '1' + ']'.repeat(depth);
const nestedObjects = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
const wide = (n: number, extra: Record<string, unknown> = {}) =>
  def(
    Array.from({ length: n }, (_, i) => ({ id: `n${i}`, type: 'transform', with: { value: i } })),
    extra,
  );
const mapOf = (items: unknown, body: unknown) =>
  def([{ id: 'm', type: 'map', with: { items, body } }]);
const llm = (extra: Record<string, unknown>) => ({
  type: 'llm',
  with: { model: 'm', prompt: 'p', ...extra },
});
const agent = (extra: Record<string, unknown>) => ({
  type: 'agent',
  with: { framework: 'langgraph', model: 'm', prompt: 'p', ...extra },
});
const CREDENTIAL_KEYS = ['apiKey', 'baseUrl', 'baseURL', 'headers', 'api_key'] as const;
const credential = (key: string) => (key === 'headers' ? { authorization: 'Bearer x' } : 'x');

export const HOSTILE_CASES: readonly HostileCase[] = [
  // Expressions that would run for ever or allocate without bound.
  {
    name: 'endless recursion',
    definition: transform('{% ($f := function($n){ $f($n+1) }; $f(0)) %}'),
    expect: { failsWith: 'EXPRESSION_LIMIT' },
  },
  {
    name: 'a literal range [1..1e8]',
    definition: transform('{% [1..1e8] %}'),
    expect: { refused: 'EXPRESSION_LIMIT' },
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
    name: '$reduce over a literal [1..10000000]',
    definition: transform('{% $reduce([1..10000000], function($a, $b){ $a + $b }) %}'),
    expect: { refused: 'EXPRESSION_LIMIT' },
  },
  {
    name: '$reduce over a computed 10^7 items',
    definition: transform('{% $reduce([1..$number("1e7")], function($a, $b){ $a + $b }) %}'),
    expect: { failsWith: 'EXPRESSION_LIMIT' },
  },
  {
    name: '$replace that multiplies a string',
    definition: transform("{% $replace($pad('', 100000, 'a'), 'a', $pad('', 10000, 'b')) %}"),
    expect: { failsWith: 'EXPRESSION_LIMIT' },
  },
  {
    name: 'a catastrophic regular expression on a literal',
    definition: transform("{% $match('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!', /(a+)+$/) %}"),
    expect: { refused: 'UNSAFE_REGEX' },
  },
  {
    name: 'a catastrophic regular expression on an input',
    definition: transform('{% $match(inputs.x, /(a+)+$/) %}'),
    inputs: `{"x":"${'a'.repeat(40)}!"}`,
    expect: { refused: 'UNSAFE_REGEX' },
  },
  // Size: nodes, map items, strings.
  { name: '10,000 nodes', definition: wide(10_000), expect: { refused: 'NODE_LIMIT' } },
  {
    name: '10,000 nodes, limits.maxNodes raised',
    definition: wide(10_000, { limits: { maxNodes: 1_000_000 } }),
    expect: { refused: 'NODE_LIMIT' },
  },
  {
    name: 'a map over 10^6 items (literal range)',
    definition: mapOf('{% [1..1000000] %}', { type: 'transform', with: { value: '{% item %}' } }),
    expect: { failsWith: 'MAP_LIMIT' },
  },
  {
    name: 'a map over 10^6 items (computed range)',
    definition: mapOf('{% [1..$number("1e6")] %}', {
      type: 'transform',
      with: { value: '{% item %}' },
    }),
    expect: { failsWith: 'MAP_LIMIT' },
  },
  {
    name: 'an input of 2 MB',
    definition: transform('{% 1 %}'),
    inputs: `{"x":"${'a'.repeat(2_000_000)}"}`,
    expect: { refused: 'INPUT_TOO_LARGE' },
    server: { refused: 'BODY_TOO_LARGE' },
  },
  // Prototype names: refused as ids and as __proto__ keys; constructor/prototype as plain keys
  // are data, carried through without touching Object.prototype.
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
    name: 'constructor.prototype as keys inside with',
    definition: transformRaw('{"constructor":{"prototype":{"polluted":true}}}'),
    expect: { completes: true },
  },
  {
    name: 'prototype as a key inside with',
    definition: transformRaw('{"prototype":{"polluted":true}}'),
    expect: { completes: true },
  },
  {
    name: 'constructor.prototype as input keys',
    definition: transform('{% inputs %}'),
    inputs: '{"constructor":{"prototype":{"polluted":true}}}',
    expect: { completes: true },
  },
  // Depth and numbers JSON.parse turns into Infinity.
  {
    name: 'a definition nested 10,000 deep',
    definition: nestedArrays(10_000),
    expect: { refused: 'TOO_DEEP' },
  },
  {
    name: 'with.value nested 10,000 deep (arrays)',
    definition: transformRaw(nestedArrays(10_000)),
    expect: { refused: 'TOO_DEEP' },
  },
  {
    name: 'with.value nested 10,000 deep (objects)',
    definition: transformRaw(nestedObjects(10_000)),
    expect: { refused: 'TOO_DEEP' },
  },
  {
    name: 'inputs nested 10,000 deep',
    definition: transform('{% 1 %}'),
    inputs: `{"x":${nestedArrays(10_000)}}`,
    expect: { refused: 'TOO_DEEP' },
  },
  {
    name: 'an input of 1e400',
    definition: transform('{% 1 %}'),
    inputs: '{"x":1e400}',
    expect: { refused: 'NOT_FINITE' },
  },
  {
    name: 'a with.value of -1e400',
    definition: transformRaw('-1e400'),
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
    name: 'limits.maxNodes of 1e400',
    definition: wide(1, { limits: { maxNodes: 1 } }).replace('"maxNodes":1', '"maxNodes":1e400'),
    expect: { refused: 'NOT_FINITE' },
  },
  // Endpoints and credentials, wherever they sit.
  ...CREDENTIAL_KEYS.flatMap((key): HostileCase[] => [
    {
      name: `an llm node with ${key}`,
      definition: def([{ id: 'l', ...llm({ [key]: credential(key) }) }]),
      expect: { refused: 'CREDENTIAL_FIELD' },
    },
    {
      name: `an agent node with ${key}`,
      definition: def([{ id: 'a', ...agent({ [key]: credential(key) }) }]),
      expect: { refused: 'CREDENTIAL_FIELD' },
    },
    {
      name: `a map body (llm) with ${key}`,
      definition: mapOf([1], llm({ [key]: credential(key) })),
      expect: { refused: 'CREDENTIAL_FIELD' },
    },
    {
      name: `a map body (agent) with ${key}`,
      definition: mapOf([1], agent({ [key]: credential(key) })),
      expect: { refused: 'CREDENTIAL_FIELD' },
    },
  ]),
  {
    name: 'a map in a map whose llm body has baseURL',
    definition: mapOf([1], {
      type: 'map',
      with: { items: [1], body: llm({ baseURL: 'https://attacker.example' }) },
    }),
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
  [{ op: 'copy', from: 7, path: '/nodes/0' }],
  [{ op: 'test', path: '/nodes/0/id' }],
  [{ op: 'add', path: '/nodes/~2', value: {} }],
  [null],
  ['add'],
  'not an array',
  { op: 'add', path: '/nodes/-', value: {} },
];

/** Malformed patch requests that are not even the right shape around `ops`. */
export const MALFORMED_PATCH_BODIES = (target: string): readonly string[] => [
  JSON.stringify({ target }),
  JSON.stringify({ ops: [] }),
  JSON.stringify({ target, ops: [{ op: 'add', path: '/nodes/-', value: {} }], extra: true }),
  `{"target":${JSON.stringify(target)},"ops":${nestedArrays(10_000)}}`,
  `{"target":${JSON.stringify(target)},"ops":[{"op":"add","path":"/nodes/-","value":1e400}]}`,
];

/**
 * Requests as raw HTTP/1.1 text, for what fetch cannot send: malformed request lines, headers
 * and framing. Whatever the server answers, an error must be problem+json with a code.
 */
export function rawRequests(token: string): { name: string; text: string }[] {
  const auth = `authorization: Bearer ${token}\r\n`;
  const get = (path: string, headers = '') =>
    `GET ${path} HTTP/1.1\r\nhost: fuzz\r\n${auth}${headers}\r\n`;
  const post = (headers: string, body: string) =>
    `POST /v1/runs HTTP/1.1\r\nhost: fuzz\r\n${auth}content-type: application/json\r\n${headers}\r\n${body}`;
  return [
    {
      name: 'an authorization header of 20 kB',
      text: `GET /v1/whoami HTTP/1.1\r\nhost: fuzz\r\nauthorization: Bearer ${'a'.repeat(20_000)}\r\n\r\n`,
    },
    { name: 'a URL of 20 kB', text: get(`/v1/runs/${'a'.repeat(20_000)}`) },
    {
      name: 'an unknown method',
      text: `FROBNICATE /v1/whoami HTTP/1.1\r\nhost: fuzz\r\n${auth}\r\n`,
    },
    { name: 'a request line that is no HTTP', text: 'HELLO\r\n\r\n' },
    { name: 'no Host header', text: `GET /v1/whoami HTTP/1.1\r\n${auth}\r\n` },
    { name: 'a control byte in a header', text: get('/v1/whoami', 'x-fuzz: a\u0001b\r\n') },
    {
      name: 'chunked framing that is not hex',
      text: post('transfer-encoding: chunked\r\n', 'zz\r\nabc\r\n0\r\n\r\n'),
    },
    {
      name: 'both transfer-encoding and content-length',
      text: post('transfer-encoding: chunked\r\ncontent-length: 3\r\n', '0\r\n\r\n'),
    },
    { name: 'duplicate query parameters', text: get('/v1/runs?limit=1&limit=2') },
    { name: 'a query of garbage percent-encodings', text: get('/v1/runs?limit=%ff%fe&%zz=1') },
    { name: 'a path with a NUL byte', text: get('/v1/runs/a%00b') },
    { name: 'a path with dot segments', text: get('/v1/../v1/tokens') },
  ];
}
