/** Where the generated files go, relative to the repository root. */
export const OUT_DIR: string;
/** The schemas (file stems under schemas/) and the type name of each root. */
export const SCHEMAS: Readonly<Record<'workflow' | 'event' | 'patch', string>>;
/** The schema as json-schema-to-typescript is given it (validation-only keywords removed). */
export function forTypes(schema: unknown): unknown;
/** Every generated file: path relative to the repository root → contents. */
export function generate(): Promise<Record<string, string>>;
/** The ajv options the schemas are compiled with (packages/core/src/generated/validators.ts). */
export const VALIDATOR_OPTIONS: Readonly<Record<string, boolean>>;
