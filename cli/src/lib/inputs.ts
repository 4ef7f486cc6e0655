// Run inputs from flags: `--inputs F` (a JSON file) and `--input k=v` (repeatable), merged with
// the flags winning. Pure: reading the file is the caller's job, so all of this is unit-tested.
import type { Problem } from '@aob/core';

/** A `--input` value: JSON when it parses as JSON, otherwise the raw string. */
export function parseInputValue(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

export interface InputsResult {
  inputs: unknown;
  problems: Problem[];
}

/**
 * Parses the `--inputs` file text and the `--input k=v` pairs and merges them.
 * Returns every problem, not just the first.
 */
export function buildInputs(
  file: { path: string; text: string } | undefined,
  pairs: readonly string[],
): InputsResult {
  const problems: Problem[] = [];
  let base: unknown = undefined;
  if (file) {
    try {
      base = JSON.parse(file.text) as unknown;
    } catch (err) {
      problems.push({
        code: 'JSON',
        path: '--inputs',
        message: `${file.path} is not valid JSON: ${(err as Error).message}`,
      });
    }
  }

  const fromFlags: Record<string, unknown> = {};
  pairs.forEach((pair, i) => {
    const eq = pair.indexOf('=');
    const key = eq === -1 ? '' : pair.slice(0, eq).trim();
    if (eq === -1 || key === '') {
      problems.push({
        code: 'BAD_FLAG',
        path: `--input[${i}]`,
        message: `expected key=value, got ${JSON.stringify(pair)}`,
      });
      return;
    }
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') {
      problems.push({
        code: 'BAD_FLAG',
        path: `--input[${i}]`,
        message: `key ${key} is not allowed`,
      });
      return;
    }
    fromFlags[key] = parseInputValue(pair.slice(eq + 1));
  });

  const hasPairs = Object.keys(fromFlags).length > 0;
  if (hasPairs && base !== undefined && !isPlainObject(base)) {
    problems.push({
      code: 'BAD_INPUT',
      path: '--inputs',
      message: `${file?.path ?? 'the inputs file'} holds ${describe(base)}; --input k=v needs an object to merge into`,
    });
  }
  if (problems.length > 0) return { inputs: undefined, problems };

  if (!hasPairs) return { inputs: base ?? {}, problems };
  return { inputs: { ...(base as Record<string, unknown> | undefined), ...fromFlags }, problems };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return `a ${typeof v}`;
}
