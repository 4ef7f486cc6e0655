// Requests generated from the OpenAPI document, for every operation: path parameters valid-looking
// or hostile (long, unicode, broken percent-encodings, prototype names), query parameters of the
// wrong type, bodies built from the operation's schema and then mutated (a required field dropped,
// a type changed, unknown and prototype keys added) or replaced by garbage, under every kind of
// credential. Nothing here knows what a correct answer is; the fuzz driver checks the invariants.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';

export interface FuzzRequest {
  operationId: string;
  method: string;
  path: string;
  /** The credential to send: a role's token, a made-up one, or none. */
  auth: string;
  contentType?: string;
  body?: string;
  /** The two timelines answer with a stream, read only up to its head. */
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

const STREAMS = new Set(['followTimeline', 'followNamespace']);
export const AUTHS = ['viewer', 'operator', 'approver', 'admin', 'agent', 'none', 'bogus'] as const;

function resolve(schema: Record<string, unknown>): Record<string, unknown> {
  const ref = schema['$ref'];
  if (typeof ref === 'string') {
    return resolve(openApi.components.schemas[ref.replace('#/components/schemas/', '')] ?? {});
  }
  return schema;
}

const hostileText = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', '', ' ', '..', '%00', '\u0000', '😀'),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.integer({ min: 300, max: 6_000 }).map((n) => 'x'.repeat(n)),
);

/** A value for `schema`, often valid, sometimes of a deliberately wrong shape. */
function valueOf(schema: Record<string, unknown>, depth: number): fc.Arbitrary<unknown> {
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
        ...(s['oneOf'] as Record<string, unknown>[]).map((b) => valueOf(b, depth + 1)),
      );
    }
    switch (s['type']) {
      case 'string':
        return fc.oneof(fc.string({ maxLength: 12 }), hostileText);
      case 'integer':
        return fc.oneof(fc.integer({ min: -5, max: 1_000 }), fc.constant(Number.MAX_SAFE_INTEGER));
      case 'number':
        return fc.double();
      case 'boolean':
        return fc.boolean();
      case 'array':
        return fc.array(valueOf((s['items'] as Record<string, unknown>) ?? {}, depth + 1), {
          maxLength: 3,
        });
      case 'object':
        return objectOf(s, depth);
      default:
        return fc.jsonValue({ maxDepth: 3 });
    }
  };
  return fc.oneof({ weight: 4, arbitrary: right() }, { weight: 1, arbitrary: wrong });
}

function objectOf(s: Record<string, unknown>, depth: number): fc.Arbitrary<unknown> {
  const props = (s['properties'] ?? {}) as Record<string, Record<string, unknown>>;
  const required = new Set((s['required'] as string[] | undefined) ?? []);
  const fields = Object.fromEntries(
    Object.entries(props).map(([k, v]) => [
      k,
      fc.option(valueOf(v, depth + 1), { nil: undefined }),
    ]),
  );
  return fc.record(fields, { requiredKeys: [] }).chain((o) =>
    fc
      .record({
        dropRequired: fc.boolean(),
        extra: fc.option(fc.tuple(hostileText, fc.jsonValue({ maxDepth: 2 })), { nil: undefined }),
      })
      .map(({ dropRequired, extra }) => {
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
        if (dropRequired) for (const k of required) delete out[k];
        if (extra) Object.defineProperty(out, extra[0], { value: extra[1], enumerable: true });
        return out;
      }),
  );
}

function pathParam(known: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...known) },
    { weight: 1, arbitrary: hostileText.map((t) => encodeURIComponent(t)) },
    { weight: 1, arbitrary: fc.constantFrom('%ff%fe', '%', '%zz', '%2e%2e', 'a%2Fb') },
  );
}

/** One request for `operationId` at `path`/`method`; `known` are ids that exist on the server. */
function requestOf(
  path: string,
  method: string,
  op: Operation,
  known: readonly string[],
): fc.Arbitrary<FuzzRequest> {
  const pathNames = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
  const query = (op.parameters ?? []).filter((p) => p.in === 'query');
  const schema = op.requestBody?.content['application/json']?.schema;
  const body: fc.Arbitrary<{ contentType?: string; body?: string }> = schema
    ? fc.oneof(
        {
          weight: 6,
          arbitrary: valueOf(schema, 0).map((v) => ({ body: JSON.stringify(v) ?? 'null' })),
        },
        {
          weight: 1,
          arbitrary: fc
            .constantFrom(
              '{',
              '[1,',
              'nul',
              '"\\ud800"',
              '{"a":1e999}',
              '{"__proto__":{"x":1}}',
              '',
            )
            .map((b) => ({ body: b })),
        },
        {
          weight: 1,
          arbitrary: fc
            .constantFrom(
              'text/plain',
              'application/xml',
              'multipart/form-data',
              'application/json; charset=latin1',
            )
            .map((contentType) => ({ contentType, body: '{}' })),
        },
      )
    : method === 'get'
      ? fc.constant({})
      : fc.oneof(
          { weight: 5, arbitrary: fc.constant({}) },
          { weight: 1, arbitrary: fc.constant({ body: '{"x":1}' }) },
        );
  return fc
    .record({
      params: fc.tuple(...pathNames.map(() => pathParam(known))),
      query: fc.tuple(...query.map((q) => fc.option(valueOf(q.schema, 2), { nil: undefined }))),
      body,
      auth: fc.constantFrom(...AUTHS),
    })
    .map(({ params, query: values, body: b, auth }) => {
      let p = path;
      pathNames.forEach((name, i) => (p = p.replace(`{${name}}`, params[i]!)));
      const qs = query
        .map((q, i) =>
          values[i] === undefined
            ? undefined
            : `${q.name}=${encodeURIComponent(String(values[i]))}`,
        )
        .filter((x) => x !== undefined);
      return {
        operationId: op.operationId,
        method: method.toUpperCase(),
        path: qs.length > 0 ? `${p}?${qs.join('&')}` : p,
        auth,
        ...b,
        stream: STREAMS.has(op.operationId),
      };
    });
}

/** Requests over every operation of the document, each operation equally often. */
export function apiRequests(known: readonly string[]): fc.Arbitrary<FuzzRequest> {
  const ops: fc.Arbitrary<FuzzRequest>[] = [];
  for (const [path, methods] of Object.entries(openApi.paths)) {
    for (const [method, op] of Object.entries(methods))
      ops.push(requestOf(path, method, op, known));
  }
  return fc.oneof(...ops);
}

/** Every operationId of the document. */
export function operationIds(): string[] {
  return Object.values(openApi.paths).flatMap((m) => Object.values(m).map((o) => o.operationId));
}
