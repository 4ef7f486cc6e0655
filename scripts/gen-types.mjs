// Generates TypeScript from the JSON Schemas in schemas/ (the single source of truth):
//   packages/core/src/generated/{workflow,event,patch}.ts  types, via json-schema-to-typescript
//   packages/core/src/generated/schemas.ts                 the schemas as `const` values, so the
//                                                          core needs no JSON import at runtime
//   packages/core/src/generated/validators.ts              the workflow and patch schemas compiled
//                                                          by ajv ahead of time (standalone code): a
//                                                          process validates a definition without
//                                                          compiling the schema first (a quarter of
//                                                          the CLI's `aob run start`)
//   packages/core/src/generated/event-validator.ts         the event schema, likewise, in a module
//                                                          of its own: only tests check events
//                                                          against it, and it is over half of the
//                                                          compiled code, which every process that
//                                                          imports the core would otherwise load
// `node scripts/gen-types.mjs` writes the files; `generate()` returns them without writing (the
// drift test compares the two).
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
import { compile } from 'json-schema-to-typescript';
import { format } from 'prettier';

const root = fileURLToPath(new URL('..', import.meta.url));
export const OUT_DIR = 'packages/core/src/generated';

/** The schemas, in a stable order: file stem → exported type name of the root. */
export const SCHEMAS = /** @type {const} */ ({
  workflow: 'WorkflowDefinition',
  event: 'RunEventEnvelope',
  patch: 'PatchDocument',
});

const HEADER = (source) =>
  `// generated — do not edit; run npm run gen (scripts/gen-types.mjs) after changing ${source}\n`;

const STYLE = { singleQuote: true, printWidth: 100, trailingComma: 'all' };

/**
 * How the core checks documents against the schemas (definition/schemas.ts reads the validators
 * compiled with these): every problem, strict schemas, `discriminator`, and `verbose` errors (the
 * problems quote the schema that failed).
 */
export const VALIDATOR_OPTIONS = Object.freeze({
  allErrors: true,
  strict: true,
  allowUnionTypes: true,
  discriminator: true,
  verbose: true,
});

/**
 * The validators of the schemas named in `exported` (each exported under its name) as one
 * TypeScript module of ajv standalone code, compiled by the core's own ajv with every schema known
 * (for references between them). The code `require`s ajv's runtime helpers (deep equality, string
 * length); they become imports of the same files, so the module stays ESM.
 */
function validatorsModule(schemas, exported) {
  const coreRequire = createRequire(join(root, 'packages/core/package.json'));
  const { Ajv2020 } = coreRequire('ajv/dist/2020.js');
  const standaloneCode = coreRequire('ajv/dist/standalone/index.js').default;
  const ajv = new Ajv2020({ ...VALIDATOR_OPTIONS, code: { source: true, esm: true } });
  for (const [stem, schema] of Object.entries(schemas)) ajv.addSchema(schema, stem);
  const code = standaloneCode(ajv, Object.fromEntries(exported.map((s) => [s, s])));
  const imports = [];
  const body = code
    .replace(/^"use strict";/, '')
    .replace(
      /const (\w+) = require\("(ajv\/dist\/runtime\/[\w-]+)"\)\.default;/g,
      (_, name, path) => {
        imports.push(`import ${name}Module from '${path}.js';`);
        // Node's import of the CommonJS module is its exports ({ default: fn }); vite's is fn itself.
        return `const ${name} = ${name}Module.default ?? ${name}Module;`;
      },
    );
  if (/\brequire\(/.test(body)) throw new Error('standalone validators: an unexpected require()');
  return (
    HEADER('schemas/*.schema.json') +
    `// The ${exported.join(' and ')} schema${exported.length > 1 ? 's' : ''} compiled by ajv ${coreRequire('ajv/package.json').version} with ${JSON.stringify(VALIDATOR_OPTIONS)}.\n` +
    `// @ts-nocheck\n/* eslint-disable */\n${imports.join('\n')}\n${body}\n`
  );
}

// Keywords that only refine validation. json-schema-to-typescript turns an `allOf`/`oneOf` beside
// `properties` into an intersection that swallows the properties, and has no notion of if/then,
// so they are removed before generating: the types describe the shape, ajv checks the rest.
// Definitions referenced only from removed keywords are still emitted (unreachableDefinitions).
const VALIDATION_ONLY = new Set([
  'if',
  'then',
  'else',
  'not',
  'dependentRequired',
  'dependentSchemas',
  'discriminator',
]);
const COMBINATORS = new Set(['allOf', 'oneOf', 'anyOf']);
const SCHEMA_MAPS = new Set(['properties', 'patternProperties']);
const SCHEMA_VALUES = new Set(['items', 'additionalProperties', 'contains', 'propertyNames']);
// A schema with none of these says nothing about the type: its TypeScript type is `unknown`
// (json-schema-to-typescript would make `{ description }` an object type).
const SHAPING = ['type', '$ref', 'enum', 'const', 'properties', 'items', 'allOf', 'oneOf', 'anyOf'];

const ANNOTATIONS = new Set(['title', 'description', '$comment']);

// A definition that only groups validation rules (like the per-type `with` checks) has no type.
function validationOnly(schema, defs) {
  if (schema === null || typeof schema !== 'object') return false;
  return Object.entries(schema).every(([key, value]) => {
    if (VALIDATION_ONLY.has(key) || ANNOTATIONS.has(key)) return true;
    if (key === 'allOf') return value.every((s) => validationOnly(s, defs));
    if (key === '$ref' && value.startsWith('#/$defs/')) {
      return validationOnly(defs[value.slice('#/$defs/'.length)], defs);
    }
    return false;
  });
}

/** The schema as json-schema-to-typescript should see it. */
export function forTypes(schema) {
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return schema;
  const out = {};
  for (const [key, value] of Object.entries(schema)) {
    if (VALIDATION_ONLY.has(key)) continue;
    if (COMBINATORS.has(key)) {
      if ('properties' in schema) continue;
      out[key] = value.map(forTypes);
    } else if (key === '$defs') {
      const kept = Object.entries(value).filter(([, v]) => !validationOnly(v, value));
      out[key] = Object.fromEntries(kept.map(([k, v]) => [k, forTypes(v)]));
    } else if (SCHEMA_MAPS.has(key)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, forTypes(v)]));
      // A content reference's hash is a template-literal type in the hand-written CasRef.
      if (key === 'properties' && out[key].$cas) out[key].$cas.tsType = '`sha256:${string}`';
    } else if (SCHEMA_VALUES.has(key)) {
      out[key] = forTypes(value);
    } else {
      out[key] = value;
    }
  }
  if (!SHAPING.some((k) => k in out)) out.tsType = 'unknown';
  return out;
}

async function readSchema(stem) {
  return JSON.parse(await readFile(join(root, 'schemas', `${stem}.schema.json`), 'utf8'));
}

/** Returns every generated file: path relative to the repository root → contents. */
export async function generate() {
  /** @type {Record<string, string>} */
  const files = {};
  const consts = [];
  const schemas = {};
  for (const [stem, rootName] of Object.entries(SCHEMAS)) {
    const schema = await readSchema(stem);
    schemas[stem] = schema;
    const ts = await compile(forTypes(schema), rootName, {
      bannerComment: '',
      cwd: join(root, 'schemas'),
      $refOptions: { resolve: { external: false } },
      unreachableDefinitions: true,
      ignoreMinAndMaxItems: true,
      strictIndexSignatures: false,
      additionalProperties: true,
      unknownAny: true,
      format: true,
      style: STYLE,
    });
    files[`${OUT_DIR}/${stem}.ts`] = HEADER(`schemas/${stem}.schema.json`) + ts;
    consts.push(
      `/** schemas/${stem}.schema.json */\nexport const ${stem}Schema = ${JSON.stringify(schema)} as const;\n`,
    );
  }
  const schemasTs =
    HEADER('schemas/*.schema.json') +
    `// The JSON Schemas as values, for validators in the pure core (no JSON import at runtime).\n\n` +
    consts.join('\n');
  files[`${OUT_DIR}/schemas.ts`] = await format(schemasTs, { ...STYLE, parser: 'typescript' });
  files[`${OUT_DIR}/validators.ts`] = validatorsModule(schemas, ['workflow', 'patch']);
  files[`${OUT_DIR}/event-validator.ts`] = validatorsModule(schemas, ['event']);
  return files;
}

async function main() {
  const files = await generate();
  for (const [rel, contents] of Object.entries(files)) {
    const path = join(root, rel);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, contents);
    console.log(`wrote ${rel}`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
