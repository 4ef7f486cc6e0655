// How tools answer. A success is `structuredContent` (valid against the tool's output schema)
// with a text summary and, for clients that read text only, the same JSON. A refusal is a tool
// result with `isError: true` — never a protocol error, so the model sees it and can correct
// itself — carrying the API's error code and every problem, as text a model reads and as the
// JSON document the REST API would answer with.
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { problemOf } from '../http/problem.js';
import type { ToolAnswer } from './tool-spec.js';

/** Text content longer than this is cut (structured content is whole). */
const MAX_TEXT = 20_000;

export function success(answer: ToolAnswer): CallToolResult {
  const json = JSON.stringify(answer.structured);
  return {
    content: [
      { type: 'text', text: answer.summary },
      {
        type: 'text',
        text:
          json.length <= MAX_TEXT
            ? json
            : `${json.slice(0, MAX_TEXT)}… (cut; structuredContent is whole)`,
      },
    ],
    structuredContent: answer.structured,
  };
}

/**
 * A refusal: the first text names the code, the message and each problem (one a line); the
 * second is `{"error":{"code","message","problems"?}}`. No structuredContent: clients check it
 * against the output schema, refusals included.
 */
export function failure(error: unknown): CallToolResult {
  const body = problemOf(error);
  const problems = body.errors ?? [];
  const lines = [
    `${body.code}: ${body.detail.split('\n')[0]}`,
    ...problems.map((p) => `  ${p.path || '/'}: ${p.message}${p.code ? ` (${p.code})` : ''}`),
  ];
  return {
    isError: true,
    content: [
      { type: 'text', text: lines.join('\n') },
      {
        type: 'text',
        text: JSON.stringify({
          error: {
            code: body.code,
            message: body.detail,
            ...(problems.length > 0 ? { problems } : {}),
          },
        }),
      },
    ],
  };
}

/** The error code a refusal carries (its first text starts with it). */
export function errorCodeOf(result: CallToolResult): string {
  const first = result.content[0];
  return first?.type === 'text' ? (first.text.split(':')[0] ?? 'INTERNAL') : 'INTERNAL';
}
