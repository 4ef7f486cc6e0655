// A JSONata expression checked as it is typed, with the library the engine evaluates it with:
// a string in `{% … %}` that does not parse gets the parser's message and position.
import jsonata from 'jsonata';

const EXPRESSION = /^\s*\{%([\s\S]*)%\}\s*$/;

export function isExpression(value: unknown): value is string {
  return typeof value === 'string' && EXPRESSION.test(value);
}

/** The parse error of an expression string, or undefined (also for a string that is none). */
export function expressionError(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const m = EXPRESSION.exec(value);
  if (!m) {
    return value.trimStart().startsWith('{%') ? 'an expression must end with %}' : undefined;
  }
  try {
    jsonata(m[1]!);
    return undefined;
  } catch (err) {
    const e = err as { message?: string; position?: number; code?: string };
    return `${e.code ? `${e.code}: ` : ''}${e.message ?? String(err)}${
      e.position !== undefined ? ` (at ${e.position})` : ''
    }`;
  }
}

/** Every expression error in a JSON value, with its path (`/body/with/value`). */
export function expressionErrors(value: unknown, path = ''): { path: string; error: string }[] {
  if (typeof value === 'string') {
    const error = expressionError(value);
    return error ? [{ path: path || '/', error }] : [];
  }
  if (Array.isArray(value)) return value.flatMap((v, i) => expressionErrors(v, `${path}/${i}`));
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => expressionErrors(v, `${path}/${k}`));
  }
  return [];
}
