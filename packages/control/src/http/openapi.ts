// The OpenAPI 3.1 document (schemas/openapi.json) is the API's contract: the server takes its
// request schemas (bodies, path and query parameters) from it, and its tests check every
// response against it. Refs are inlined here because the document has no recursive schemas.
import { createRequire } from 'node:module';

export interface OpenApiParameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema: Record<string, unknown>;
}

export interface OpenApiOperation {
  operationId: string;
  'x-aob-min-role': string;
  /** Whether a job token (scoped to one run) may call it: auth/operations.ts's `job`. */
  'x-aob-job-token': boolean;
  parameters?: OpenApiParameter[];
  requestBody?: { content: Record<string, { schema: Record<string, unknown> }> };
  responses: Record<string, { content?: Record<string, { schema: Record<string, unknown> }> }>;
}

export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { schemas: Record<string, Record<string, unknown>> };
}

export const openApiDocument = createRequire(import.meta.url)(
  '@aob/schemas/openapi.json',
) as OpenApiDocument;

export interface ApiRoute {
  method: 'GET' | 'POST' | 'DELETE';
  /** OpenAPI form: `/v1/runs/{runId}`. */
  path: string;
  operation: OpenApiOperation;
}

export function apiRoutes(doc: OpenApiDocument = openApiDocument): ApiRoute[] {
  const out: ApiRoute[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      out.push({ method: method.toUpperCase() as ApiRoute['method'], path, operation });
    }
  }
  return out;
}

/** A schema with every `#/components/schemas/…` reference replaced by the schema it names. */
export function inlineRefs(schema: unknown, doc: OpenApiDocument = openApiDocument): unknown {
  if (Array.isArray(schema)) return schema.map((s) => inlineRefs(s, doc));
  if (schema === null || typeof schema !== 'object') return schema;
  const record = schema as Record<string, unknown>;
  if (typeof record.$ref === 'string') {
    const name = record.$ref.replace('#/components/schemas/', '');
    const target = doc.components.schemas[name];
    if (!target) throw new Error(`openapi.json: unresolved $ref ${record.$ref}`);
    return inlineRefs(target, doc);
  }
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, inlineRefs(v, doc)]));
}

/** The JSON Schema of an operation's parameters in one place (`path` or `query`). */
export function parametersSchema(
  op: OpenApiOperation,
  where: 'path' | 'query',
): Record<string, unknown> | undefined {
  const params = (op.parameters ?? []).filter((p) => p.in === where);
  if (params.length === 0 && where === 'path') return undefined;
  return {
    type: 'object',
    additionalProperties: false,
    required: params.filter((p) => p.required).map((p) => p.name),
    properties: Object.fromEntries(params.map((p) => [p.name, inlineRefs(p.schema)])),
  };
}

/** `/v1/runs/{runId}` → `/v1/runs/:runId` (fastify's form). */
export function fastifyPath(path: string): string {
  return path.replace(/\{([^}]+)\}/g, ':$1');
}
