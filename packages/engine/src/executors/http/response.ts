import type { IncomingHttpHeaders } from 'node:http';
import { AobError } from '@aob/core';

/** The output of an `http` node. */
export interface HttpOutput {
  status: number;
  /** Lower-case names; `set-cookie` is the only array. */
  headers: Record<string, string | string[]>;
  /** Parsed JSON when the content type is JSON (null when empty), otherwise text. */
  body: unknown;
}

const EXCERPT_CHARS = 1024;
const JSON_TYPE = /^(application|text)\/([\w.-]+\+)?json\s*(;|$)/i;

/**
 * Builds the node output, or throws 'HTTP_STATUS' for statuses ≥ 400: retryable for 5xx and 429
 * (the server may recover), non-retryable otherwise (the same request will be refused again).
 * Messages and details name the origin only: paths and queries may carry secrets.
 */
export function toHttpOutput(
  status: number,
  rawHeaders: IncomingHttpHeaders,
  raw: Buffer,
  url: URL,
): HttpOutput {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(rawHeaders)) {
    if (value !== undefined) headers[name] = value;
  }
  const contentType = headers['content-type'];
  const type = typeof contentType === 'string' ? contentType : '';
  const text = decodeText(raw, type);

  if (status >= 400) {
    const retryable = status >= 500 || status === 429;
    const details: Record<string, unknown> = { status, body: text.slice(0, EXCERPT_CHARS) };
    const retryAfter = headers['retry-after'];
    if (typeof retryAfter === 'string') details['retryAfter'] = retryAfter;
    throw new AobError('HTTP_STATUS', `${url.origin} answered ${status}`, { retryable, details });
  }

  let body: unknown = text;
  if (JSON_TYPE.test(type)) {
    if (text.trim() === '') {
      body = null;
    } else {
      try {
        body = JSON.parse(text) as unknown;
      } catch (err) {
        throw new AobError(
          'HTTP_BAD_JSON',
          `${url.origin} sent invalid JSON: ${(err as Error).message}`,
          { retryable: false, details: { status, body: text.slice(0, EXCERPT_CHARS) } },
        );
      }
    }
  }
  return { status, headers, body };
}

/** Decodes by the declared charset (UTF-8 when absent or unknown); a BOM is dropped. */
function decodeText(raw: Buffer, contentType: string): string {
  const charset = /;\s*charset="?([^";\s]+)"?/i.exec(contentType)?.[1];
  if (charset !== undefined) {
    try {
      return new TextDecoder(charset).decode(raw);
    } catch {
      // unknown label: fall through to UTF-8
    }
  }
  return new TextDecoder('utf-8').decode(raw);
}
