// How the MCP tools answer: a success is `structuredContent` (valid against the tool's output
// schema) with a one-line text summary; a domain failure (an unknown question, a bad answer, a
// refusal…) is a tool result with `isError: true`, never a protocol error, carrying the API's error
// code and every problem — as text a model reads, and as the CLI's --json error document.
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { problemsOf } from '../errors.js';
import { firstLine, toErrorJson } from '../json.js';
import { formatProblem } from '../render.js';

/** A tool's success: the structured result and a short text summary of it. */
export function success(summary: string, structured: Record<string, unknown>): CallToolResult {
  return {
    content: [{ type: 'text', text: summary }],
    structuredContent: structured,
  };
}

/**
 * A tool's failure. The first text names the code, the message and each problem (one a line);
 * the second is `{"error":{"code","message","problems"?}}`, as `aob … --json` prints it. There is
 * no `structuredContent`: clients check it against the tool's output schema, errors included.
 */
export function failure(error: unknown): CallToolResult {
  const e = error instanceof Error ? error : new Error(String(error));
  const code = errorCode(e);
  const problems = problemsOf(e) ?? [];
  const lines = [`${code}: ${firstLine(e.message)}`, ...problems.map(formatProblem)];
  return {
    isError: true,
    content: [
      { type: 'text', text: lines.join('\n') },
      { type: 'text', text: JSON.stringify(toErrorJson(code, e.message, problems)) },
    ],
  };
}

/** Runs a tool's work; a thrown error becomes its failure result. */
export async function guarded(work: () => Promise<CallToolResult>): Promise<CallToolResult> {
  try {
    return await work();
  } catch (e) {
    return failure(e);
  }
}

function errorCode(error: Error): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && code !== '' ? code : 'INTERNAL';
}
