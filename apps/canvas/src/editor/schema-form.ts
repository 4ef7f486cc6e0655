// The form for a node's `with`, derived from workflow.schema.json (the same schema the validator
// enforces): one field per property of the type's configuration, its kind read from the JSON
// Schema. Expressions (`{% … %}`) are allowed wherever the schema allows a string and are
// checked as they are typed (expression-check.ts).
import schema from '@aob/schemas/workflow.schema.json';

type JsonSchema = Record<string, unknown>;

export type FieldKind =
  /** One of fixed values. */
  | 'enum'
  | 'boolean'
  /** A number, or (where the schema allows a string) an expression that yields one. */
  | 'number'
  | 'text'
  /** A list of short strings, typed comma-separated. */
  | 'list'
  /** Anything else: JSON. */
  | 'json';

export interface Field {
  name: string;
  kind: FieldKind;
  required: boolean;
  description?: string;
  options?: string[];
  /** The schema's default, shown as a placeholder. */
  defaultValue?: unknown;
}

const defs = (schema as { $defs: Record<string, JsonSchema> }).$defs;

export const NODE_TYPES: readonly string[] = (defs.nodeType as { enum: string[] }).enum;

/** What each node type does, from its configuration's description (shown in the palette). */
export function typeDescription(type: string): string | undefined {
  return configOf(type)?.description as string | undefined;
}

function resolve(s: JsonSchema): JsonSchema {
  const ref = s.$ref as string | undefined;
  if (!ref?.startsWith('#/$defs/')) return s;
  const target = defs[ref.slice('#/$defs/'.length)];
  return target ? { ...resolve(target), ...s, $ref: undefined } : s;
}

function configOf(type: string): JsonSchema | undefined {
  return defs[`${type}Config`];
}

function kindOf(s: JsonSchema): Pick<Field, 'kind' | 'options'> {
  if (Array.isArray(s.enum)) return { kind: 'enum', options: s.enum.map(String) };
  const types = Array.isArray(s.type) ? (s.type as string[]) : s.type ? [s.type as string] : [];
  if (types.length === 1 && types[0] === 'boolean') return { kind: 'boolean' };
  if (types.some((t) => t === 'integer' || t === 'number') && types.every((t) => t !== 'object')) {
    return { kind: 'number' };
  }
  if (types.length === 1 && types[0] === 'string') return { kind: 'text' };
  if (types.length === 1 && types[0] === 'array') {
    const items = resolve((s.items as JsonSchema | undefined) ?? {});
    if (items.type === 'string' || Array.isArray(items.enum)) return { kind: 'list' };
  }
  return { kind: 'json' };
}

/** The fields of a node type's `with`, required ones first, in the schema's order. */
export function fieldsOf(type: string): Field[] {
  const config = configOf(type);
  if (!config) return [];
  const required = new Set((config.required as string[] | undefined) ?? []);
  const props = (config.properties as Record<string, JsonSchema> | undefined) ?? {};
  const fields = Object.entries(props).map(([name, raw]) => {
    const s = resolve(raw);
    const field: Field = { name, required: required.has(name), ...kindOf(s) };
    if (typeof s.description === 'string') field.description = s.description;
    if (s.default !== undefined) field.defaultValue = s.default;
    return field;
  });
  return [...fields.filter((f) => f.required), ...fields.filter((f) => !f.required)];
}

/** A node's own settings beside `with` (input, retry, timeout, priority), from the schema. */
export function nodeFields(): Field[] {
  const props = (defs.node!.properties as Record<string, JsonSchema>) ?? {};
  return Object.entries(props)
    .filter(([name]) => !['id', 'type', 'with', 'description'].includes(name))
    .map(([name, raw]) => {
      const s = resolve(raw);
      const field: Field = { name, required: false, ...kindOf(s) };
      if (typeof s.description === 'string') field.description = s.description;
      return field;
    });
}

/** Whether the type's `with` may hold properties the schema does not name (a task's config). */
export function acceptsOtherSettings(type: string): boolean {
  return configOf(type)?.additionalProperties !== false;
}

/** A new node's `with`: each required field given the least value of its kind. */
export function initialWith(type: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fieldsOf(type).filter((x) => x.required)) {
    out[f.name] =
      f.kind === 'enum'
        ? f.options![0]
        : f.kind === 'number'
          ? 0
          : f.kind === 'boolean'
            ? false
            : f.kind === 'list'
              ? []
              : f.kind === 'text'
                ? ''
                : f.name === 'body'
                  ? { type: 'transform', with: { value: '{% item %}' } }
                  : null;
  }
  if (type === 'http') out.url = 'https://example.com';
  if (type === 'timer') out.durationMs = 1000;
  if (type === 'llm' || type === 'agent') out.prompt = '';
  return out;
}
