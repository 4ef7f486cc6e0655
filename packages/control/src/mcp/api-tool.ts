// A tool made from one REST operation of the OpenAPI document. Its input schema is the
// operation's path parameters, query parameters and body properties in one object (the document
// has no name used twice); its output schema is the operation's success response. The call goes
// through the REST handler (http/routes.ts) with the caller's principal, so the operation table,
// the namespace checks and the control plane's refusals are the REST API's own.
import type { ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import { HANDLERS } from '../http/routes.js';
import type { OpenApiOperation } from '../http/openapi.js';
import { apiRoutes, inlineRefs } from '../http/openapi.js';
import type { Operation } from '../auth/index.js';
import type { JsonSchema, ToolContext, ToolSpec } from './tool-spec.js';

export interface ApiToolDefinition {
  name: string;
  operationId: Operation;
  title: string;
  description: string;
  annotations: ToolAnnotations;
  /** One line saying what the answer holds (default: the answer as JSON, cut short). */
  summary?: (answer: Record<string, unknown>, args: Record<string, unknown>) => string;
  /** Runs the call starts or moves on (run_start, run_replay, answers…). */
  touches?: (answer: Record<string, unknown>, args: Record<string, unknown>) => string | undefined;
}

export function apiTool(def: ApiToolDefinition): ToolSpec {
  const operation = operationById(def.operationId);
  const shape = argumentShape(operation);
  return {
    name: def.name,
    operation: def.operationId,
    title: def.title,
    description: def.description,
    inputSchema: shape.schema,
    outputSchema: responseSchema(operation),
    annotations: { title: def.title, ...def.annotations },
    async run(ctx: ToolContext, args: Record<string, unknown>) {
      const params: Record<string, string> = {};
      const query: Record<string, unknown> = {};
      const body: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(args)) {
        if (shape.path.has(key)) params[key] = String(value);
        else if (shape.query.has(key)) query[key] = value;
        else body[key] = value;
      }
      const handler = HANDLERS[def.operationId];
      if (!handler) throw new Error(`no REST handler for ${def.operationId}`);
      const answer = await handler(ctx.plane, {
        principal: ctx.principal,
        params,
        query,
        body: shape.hasBody ? body : undefined,
        signal: ctx.signal,
      });
      const structured = answer.body as Record<string, unknown>;
      const runId = def.touches?.(structured, args);
      if (runId !== undefined) ctx.touched(runId);
      return {
        summary: def.summary ? def.summary(structured, args) : glimpse(structured),
        structured,
      };
    },
  };
}

function operationById(operationId: string): OpenApiOperation {
  const route = apiRoutes().find((r) => r.operation.operationId === operationId);
  if (!route) throw new Error(`openapi.json has no operation ${operationId}`);
  return route.operation;
}

interface ArgumentShape {
  schema: JsonSchema;
  path: Set<string>;
  query: Set<string>;
  hasBody: boolean;
}

function argumentShape(op: OpenApiOperation): ArgumentShape {
  const properties: Record<string, unknown> = {};
  const required: string[] = [];
  const path = new Set<string>();
  const query = new Set<string>();
  for (const p of op.parameters ?? []) {
    if (p.in === 'header') continue;
    if (p.in === 'path') path.add(p.name);
    else query.add(p.name);
    properties[p.name] = inlineRefs(p.schema);
    if (p.required) required.push(p.name);
  }
  const bodySchema = op.requestBody?.content['application/json']?.schema;
  if (bodySchema) {
    const body = inlineRefs(bodySchema) as JsonSchema;
    for (const [name, schema] of Object.entries((body.properties ?? {}) as JsonSchema)) {
      if (name in properties)
        throw new Error(`${op.operationId}: ${name} is both a parameter and a body property`);
      properties[name] = schema;
    }
    required.push(...((body.required as string[] | undefined) ?? []));
  }
  return {
    schema: {
      type: 'object',
      additionalProperties: false,
      properties,
      ...(required.length > 0 ? { required } : {}),
    },
    path,
    query,
    hasBody: bodySchema !== undefined,
  };
}

/** The success response's JSON Schema of an operation, references inlined. */
export function responseOf(operationId: string): JsonSchema {
  return responseSchema(operationById(operationId));
}

function responseSchema(op: OpenApiOperation): JsonSchema {
  const response = op.responses['200'] ?? op.responses['201'];
  const schema = response?.content?.['application/json']?.schema;
  if (!schema) throw new Error(`${op.operationId} has no JSON success response`);
  const inlined = inlineRefs(schema) as JsonSchema;
  if (inlined.type !== 'object') throw new Error(`${op.operationId}: its response is no object`);
  return inlined;
}

/** A JSON value in at most `max` characters. */
export function glimpse(value: unknown, max = 300): string {
  const text = JSON.stringify(value) ?? 'null';
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
