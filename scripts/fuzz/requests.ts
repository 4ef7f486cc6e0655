// Requests generated from the OpenAPI document, for every operation: path parameters valid-looking
// or hostile (long, unicode, broken percent-encodings, prototype names), query parameters of the
// wrong type, repeated or unknown, bodies built from the operation's schema and then mutated (a
// required field dropped, a type changed, unknown and prototype keys added) or replaced by garbage
// or sent as another media type, now and then a method the path does not have, under every kind
// of credential (each role's token, none, a made-up one, a revoked one, other schemes). Nothing
// here knows what a correct answer is; the fuzz driver checks the invariants.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';

export interface FuzzRequest {
  operationId: string;
  method: string;
  path: string;
  /** The credential to send: one of AUTHS (see `authorization`). */
  auth: Auth;
  contentType?: string;
  body?: string;
  /** The timelines and a draft's feed answer with a stream, read only up to its head. */
  stream: boolean;
}

interface Operation {
  operationId: string;
  parameters?: { name: string; in: string; schema: Record<string, unknown> }[];
  requestBody?: { content: Record<string, { schema: Record<string, unknown> }> };
}

interface Doc {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Record<string, unknown>> };
}

export const openApi = JSON.parse(
  readFileSync(new URL('../../schemas/openapi.json', import.meta.url), 'utf8'),
) as Doc;

const STREAMS = new Set(['followTimeline', 'followNamespace', 'followDraft']);
/** Each role's token; no header; a made-up token; a revoked one; other schemes and shapes. */
export const ROLES = ['viewer', 'operator', 'approver', 'admin', 'agent'] as const;
export const AUTHS = [
  ...ROLES,
  'none',
  'bogus',
  'revoked',
  'basic',
  'empty',
  'huge',
  'lowercase',
] as const;
export type Auth = (typeof AUTHS)[number];

/** Three times in four a credential that authenticates, so requests get past the door. */
const AUTH: fc.Arbitrary<Auth> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom<Auth>(...ROLES, 'lowercase') },
  {
    weight: 1,
    arbitrary: fc.constantFrom<Auth>('none', 'bogus', 'revoked', 'basic', 'empty', 'huge'),
  },
);

/** The authorization header for `auth` (`tokens` holds each role's and a revoked one). */
export function authorization(auth: Auth, tokens: Record<string, string>): string | undefined {
  switch (auth) {
    case 'none':
      return undefined;
    case 'bogus':
      return 'Bearer aob_not_a_token';
    case 'revoked':
      return `Bearer ${tokens['revoked']}`;
    case 'basic':
      return 'Basic dXNlcjpwYXNz';
    case 'empty':
      return 'Bearer ';
    case 'huge':
      return `Bearer ${'a'.repeat(8_000)}`;
    case 'lowercase':
      return `bearer ${tokens['viewer']}`;
    default:
      return `Bearer ${tokens[auth]}`;
  }
}

function resolve(schema: Record<string, unknown>): Record<string, unknown> {
  const ref = schema['$ref'];
  if (typeof ref === 'string') {
    return resolve(openApi.components.schemas[ref.replace('#/components/schemas/', '')] ?? {});
  }
  return schema;
}

const PROTO_KEYS = ['__proto__', 'constructor', 'prototype'] as const;
const hostileText = fc.oneof(
  fc.constantFrom(...PROTO_KEYS, '', ' ', '..', '%00', '\u0000', '😀'),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.integer({ min: 300, max: 6_000 }).map((n) => 'x'.repeat(n)),
);

/**
 * A value for `schema`, often valid, sometimes of a deliberately wrong shape; strings are often
 * ids that exist (`known`), so requests reach real resources.
 */
function valueOf(
  schema: Record<string, unknown>,
  depth: number,
  known: readonly string[],
): fc.Arbitrary<unknown> {
  const s = resolve(schema);
  const wrong = fc.oneof(
    fc.constant(null),
    fc.integer(),
    fc.double(),
    hostileText,
    fc.boolean(),
    fc.constant([]),
    fc.constant({}),
  );
  if (depth > 3) return wrong;
  const right = (): fc.Arbitrary<unknown> => {
    if (Array.isArray(s['enum'])) return fc.constantFrom(...(s['enum'] as unknown[]));
    if (Array.isArray(s['oneOf'])) {
      return fc.oneof(
        ...(s['oneOf'] as Record<string, unknown>[]).map((b) => valueOf(b, depth + 1, known)),
      );
    }
    switch (s['type']) {
      case 'string':
        return fc.oneof(fc.constantFrom(...known), fc.string({ maxLength: 12 }), hostileText);
      case 'integer':
        return fc.oneof(fc.integer({ min: -5, max: 1_000 }), fc.constant(Number.MAX_SAFE_INTEGER));
      case 'number':
        return fc.double();
      case 'boolean':
        return fc.boolean();
      case 'array':
        return fc.array(valueOf((s['items'] as Record<string, unknown>) ?? {}, depth + 1, known), {
          maxLength: 3,
        });
      case 'object':
        return objectOf(s, depth, known);
      default:
        return fc.jsonValue({ maxDepth: 3 });
    }
  };
  return fc.oneof({ weight: 4, arbitrary: right() }, { weight: 1, arbitrary: wrong });
}

/** An object of `s`'s properties; each property absent one time in six, the
 * required ones dropped one time in four, an unknown or prototype key added one time in two. */
function objectOf(
  s: Record<string, unknown>,
  depth: number,
  known: readonly string[],
): fc.Arbitrary<unknown> {
  const props = (s['properties'] ?? {}) as Record<string, Record<string, unknown>>;
  const required = new Set((s['required'] as string[] | undefined) ?? []);
  const fields = Object.fromEntries(
    Object.entries(props).map(([k, v]) => [
      k,
      fc.option(valueOf(v, depth + 1, known), { nil: undefined, freq: 6 }),
    ]),
  );
  // One record, mapped (not chained), so a failing object shrinks field by field.
  return fc
    .record({
      o: fc.record(fields, { requiredKeys: [] }),
      dropRequired: fc.nat(3).map((n) => n === 0),
      extra: fc.option(
        fc.tuple(
          fc.oneof(fc.constantFrom(...PROTO_KEYS), hostileText),
          fc.jsonValue({ maxDepth: 2 }),
        ),
        { nil: undefined, freq: 2 },
      ),
    })
    .map(({ o, dropRequired, extra }) => {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
      if (dropRequired) for (const k of required) delete out[k];
      if (extra) Object.defineProperty(out, extra[0], { value: extra[1], enumerable: true });
      return out;
    });
}

/** Small definitions that validate: one that completes at once, one that waits on a person. */
const DEFINITIONS = [
  {
    name: 'gen',
    version: '1',
    nodes: [{ id: 'a', type: 'transform', with: { value: '{% 1 %}' } }],
  },
  {
    name: 'gen-gated',
    version: '1',
    nodes: [
      { id: 'a', type: 'transform', with: { value: 1 } },
      { id: 'gate', type: 'approval', with: { approvers: ['role:approver'] } },
    ],
    edges: [{ from: 'a', to: 'gate' }],
  },
];
/** Patch operations that are JSON-Patch and fit the gated workflow (target.ts). */
const PATCH_OPS = [
  [{ op: 'replace', path: '/nodes/2/with/value', value: '{% 7 %}' }],
  [{ op: 'test', path: '/nodes/0/id', value: 'a' }],
  [{ op: 'replace', path: '/output', value: '{% 1 %}' }],
];

/**
 * A value `schema` accepts: required properties always, optional ones often, no others;
 * strings are ids that exist or match the schema's pattern; numbers small (a `timeoutMs` of
 * 60 s would hold the fuzz up).
 */
function validOf(
  schema: Record<string, unknown>,
  name: string,
  known: readonly string[],
): fc.Arbitrary<unknown> {
  const s = resolve(schema);
  if (name === 'definition') return fc.constantFrom(...DEFINITIONS);
  if (name === 'inputs') return fc.constantFrom({}, { n: 2 });
  if (name === 'ops') return fc.constantFrom(...PATCH_OPS);
  if (Array.isArray(s['enum'])) return fc.constantFrom(...(s['enum'] as unknown[]));
  if (Array.isArray(s['oneOf'])) {
    return fc.oneof(
      ...(s['oneOf'] as Record<string, unknown>[]).map((b) => validOf(b, name, known)),
    );
  }
  switch (s['type']) {
    case 'string':
      return typeof s['pattern'] === 'string'
        ? fc.stringMatching(new RegExp(s['pattern']), { maxLength: 40 })
        : fc.oneof(
            fc.constantFrom(...known),
            fc.string({ minLength: 1, maxLength: 20, unit: 'grapheme-ascii' }),
          );
    case 'integer': {
      const min = typeof s['minimum'] === 'number' ? s['minimum'] : 0;
      return fc.integer({ min, max: Math.max(min, Math.min(Number(s['maximum'] ?? 100), 100)) });
    }
    case 'number':
      return fc.double({ min: 0, max: 100, noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(validOf((s['items'] as Record<string, unknown>) ?? {}, name, known), {
        minLength: Number(s['minItems'] ?? 0),
        maxLength: Math.max(Number(s['minItems'] ?? 0), 2),
      });
    case 'object': {
      const props = (s['properties'] ?? {}) as Record<string, Record<string, unknown>>;
      const required = (s['required'] as string[] | undefined) ?? [];
      // A patch request carries ops (never a whole document: its shape is not in this schema).
      const fields = Object.entries(props).filter(([k]) => k !== 'patch');
      return fc.record(Object.fromEntries(fields.map(([k, v]) => [k, validOf(v, k, known)])), {
        requiredKeys: required.filter((k) => props[k] !== undefined),
      });
    }
    default:
      return fc.constant({});
  }
}

function pathParam(known: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...known) },
    { weight: 1, arbitrary: hostileText.map((t) => encodeURIComponent(t)) },
    { weight: 1, arbitrary: fc.constantFrom('%ff%fe', '%', '%zz', '%2e%2e', 'a%2Fb') },
  );
}

const OTHER_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
const CONTENT_TYPES = [
  'text/plain',
  'application/xml',
  'multipart/form-data',
  'application/x-www-form-urlencoded',
  'application/json; charset=latin1',
  'application/json; charset=utf-16',
  'APPLICATION/JSON',
  'application/json;;;',
  'application/problem+json',
  '',
] as const;
const GARBAGE_BODIES = [
  '{',
  '[1,',
  'nul',
  '"\\ud800"',
  '{"a":1e999}',
  '{"a":-1e999}',
  '{"__proto__":{"x":1}}',
  '{"constructor":{"prototype":{"x":1}}}',
  '{"a":1,"a":2}',
  '\ufeff{}',
  '',
  'null',
  '[]',
  '0',
] as const;

/** One request for `op` at `path`/`method`; `known` are ids that exist on the server. */
function requestOf(
  path: string,
  method: string,
  op: Operation,
  methods: readonly string[],
  known: readonly string[],
): fc.Arbitrary<FuzzRequest> {
  const pathNames = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
  const query = (op.parameters ?? []).filter((p) => p.in === 'query');
  const schema = op.requestBody?.content['application/json']?.schema;
  const body: fc.Arbitrary<{ contentType?: string; body?: string }> = schema
    ? fc.oneof(
        {
          weight: 8,
          arbitrary: valueOf(schema, 0, known).map((v) => ({ body: JSON.stringify(v) ?? 'null' })),
        },
        { weight: 1, arbitrary: fc.constantFrom(...GARBAGE_BODIES).map((b) => ({ body: b })) },
        {
          weight: 1,
          arbitrary: fc
            .constantFrom(...CONTENT_TYPES)
            .map((contentType) => ({ contentType, body: '{}' })),
        },
      )
    : method === 'get'
      ? fc.constant({})
      : fc.oneof(
          { weight: 5, arbitrary: fc.constant({}) },
          { weight: 1, arbitrary: fc.constant({ body: '{"x":1}' }) },
        );
  // Now and then a method this path does not have (never HEAD: its answers have no body).
  const others = OTHER_METHODS.filter((m) => !methods.includes(m.toLowerCase()));
  const verb = fc.oneof(
    { weight: 15, arbitrary: fc.constant(method.toUpperCase()) },
    { weight: 1, arbitrary: fc.constantFrom(...others) },
  );
  // A wait without timeoutMs holds its run for 30 s: it is always given (often a wrong one).
  const always = (q: { name: string }) => q.name === 'timeoutMs';
  const queryValue = (q: { name: string; schema: Record<string, unknown> }) =>
    always(q)
      ? valueOf(q.schema, 2, known)
      : fc.option(valueOf(q.schema, 2, known), { nil: undefined, freq: 2 });
  // Extra query text: a parameter repeated, one the operation does not have, a broken encoding.
  const queryExtra = fc.option(
    fc.oneof(
      query.length > 0
        ? fc.constantFrom(...query.map((q) => `${q.name}=1&${q.name}=2`))
        : fc.constant('limit=1&limit=2'),
      fc.constantFrom('unknown=1', '__proto__=1', 'constructor[prototype]=1', '%ff=%fe', '&&=&'),
    ),
    { nil: undefined, freq: 8 },
  );
  // Valid-shaped: ids that exist, parameters and a body the schema accepts, a role's token.
  const valid = fc.record({
    params: fc.tuple(...pathNames.map(() => fc.constantFrom(...known))),
    query: fc.tuple(
      ...query.map((q) =>
        always(q)
          ? validOf(q.schema, q.name, known)
          : fc.option(validOf(q.schema, q.name, known), { nil: undefined }),
      ),
    ),
    queryExtra: fc.constant(undefined),
    body: (schema
      ? validOf(schema, '', known).map((v) => ({ body: JSON.stringify(v) }))
      : fc.constant({})) as fc.Arbitrary<{ contentType?: string; body?: string }>,
    verb: fc.constant(method.toUpperCase()),
    auth: fc.constantFrom<Auth>(...ROLES),
  });
  const mutated = fc.record({
    params: fc.tuple(...pathNames.map(() => pathParam(known))),
    query: fc.tuple(...query.map(queryValue)),
    queryExtra,
    body,
    verb,
    auth: AUTH,
  });
  return fc
    .oneof({ weight: 1, arbitrary: valid }, { weight: 3, arbitrary: mutated })
    .map(({ params, query: values, queryExtra: extra, body: b, verb: m, auth }) => {
      let p = path;
      pathNames.forEach((name, i) => (p = p.replace(`{${name}}`, params[i]!)));
      const qs = query
        .map((q, i) =>
          values[i] === undefined
            ? undefined
            : `${q.name}=${encodeURIComponent(String(values[i]))}`,
        )
        .filter((x) => x !== undefined);
      if (extra !== undefined) qs.push(extra);
      // fetch cannot send a body with GET (or HEAD).
      const sendsBody = m !== 'GET' && b.body !== undefined;
      return {
        operationId: op.operationId,
        method: m,
        path: qs.length > 0 ? `${p}?${qs.join('&')}` : p,
        auth,
        ...(sendsBody ? b : {}),
        stream: STREAMS.has(op.operationId),
      };
    });
}

/** Requests over every operation of the document, each operation equally often. */
export function apiRequests(known: readonly string[]): fc.Arbitrary<FuzzRequest> {
  const ops: fc.Arbitrary<FuzzRequest>[] = [];
  for (const [path, methods] of Object.entries(openApi.paths)) {
    for (const [method, op] of Object.entries(methods))
      ops.push(requestOf(path, method, op, Object.keys(methods), known));
  }
  return fc.oneof(...ops);
}

/** Every operationId of the document. */
export function operationIds(): string[] {
  return Object.values(openApi.paths).flatMap((m) => Object.values(m).map((o) => o.operationId));
}
