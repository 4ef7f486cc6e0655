// Secrets the runner holds (the LLM key, MCP servers' tokens) must never reach the log through an
// error: a provider that echoes the request ("invalid api key sk-…") would otherwise have it
// stored verbatim in NodeFailed and shown in every run view. Errors are scrubbed of every known secret value
// before they leave the executor.
import { AobError } from '@aob/core';
import type { ExecutorOptions } from './types.js';

export const REDACTED = '[redacted]';

/** Shorter values are not treated as secrets: redacting them would mangle ordinary text. */
const MIN_SECRET_LENGTH = 8;

/** The secret values among the executors' settings: the LLM key, MCP servers' tokens and headers. */
export function secretsOf(options: ExecutorOptions): string[] {
  const values = [
    options.llm?.apiKey,
    ...Object.values(options.mcp ?? {}).flatMap((s) => [
      s.token,
      ...Object.values(s.headers ?? {}),
    ]),
  ];
  return values.filter((v): v is string => v !== undefined && v.length >= MIN_SECRET_LENGTH);
}

/** `err` with every secret replaced in its message and details; the same error when none occurs. */
export function redactError(err: AobError, secrets: readonly string[]): AobError {
  if (secrets.length === 0) return err;
  const details = err.details === undefined ? undefined : JSON.stringify(err.details);
  const leaks = (s: string | undefined) => s !== undefined && secrets.some((x) => s.includes(x));
  if (!leaks(err.message) && !leaks(details)) return err;
  const scrub = (s: string) => secrets.reduce((out, x) => out.split(x).join(REDACTED), s);
  return AobError.fromData({
    code: err.code,
    message: scrub(err.message),
    retryable: err.retryable,
    ...(details === undefined ? {} : { details: JSON.parse(scrub(details)) as unknown }),
  });
}
