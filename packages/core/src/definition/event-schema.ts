// Events checked against schemas/event.schema.json: the tests' proof that what the engine writes
// is what the schema says. Its compiled validator is a module of its own
// (generated/event-validator.ts), imported only from here, so a process that never checks an event
// never loads it.
import type { ValidateFunction } from 'ajv/dist/2020.js';
import type { Problem } from '../errors.js';
import { event as compiledEvent } from '../generated/event-validator.js';
import { problemsFromAjv } from './problems.js';
import { PATTERN_PHRASES } from './schemas.js';

const validate = compiledEvent as unknown as ValidateFunction;

/** Checks an event against the event schema; every problem has code `SCHEMA`. */
export function checkEventSchema(doc: unknown): Problem[] {
  return validate(doc) ? [] : problemsFromAjv(validate.errors, 'SCHEMA', PATTERN_PHRASES);
}
