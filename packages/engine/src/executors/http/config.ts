import { AobError } from '@aob/core';

/** One HTTP request, validated. `url` may still be any scheme: the SSRF guard decides that. */
export interface HttpRequestSpec {
  method: string;
  url: URL;
  /** Lower-case names. */
  headers: Record<string, string>;
  body?: Buffer;
}

export interface HttpConfig {
  request: HttpRequestSpec;
  /** Limit for the whole exchange including redirects; the job timeout applies as well. */
  timeoutMs?: number;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Framing and hop-by-hop headers are the client's business; letting a workflow set them invites request smuggling. */
const RESERVED_HEADERS = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'upgrade',
  'te',
  'trailer',
  'keep-alive',
]);

/** Validates an `http` node's `with` block: `{ method?, url, headers?, body?, timeoutMs? }`. */
export function parseHttpConfig(config: Record<string, unknown>, nodeId: string): HttpConfig {
  const fail = (message: string): AobError =>
    new AobError('BAD_CONFIG', `http node ${nodeId}: ${message}`, { retryable: false });

  const method = config['method'] ?? 'GET';
  if (typeof method !== 'string' || !TOKEN.test(method))
    throw fail('with.method must be an HTTP method name');

  const rawUrl = config['url'];
  if (typeof rawUrl !== 'string') throw fail('with.url must be a string');
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw fail('with.url is not a valid absolute URL');
  }

  const headers: Record<string, string> = {};
  const rawHeaders = config['headers'] ?? {};
  if (typeof rawHeaders !== 'object' || rawHeaders === null || Array.isArray(rawHeaders)) {
    throw fail('with.headers must be an object');
  }
  for (const [name, value] of Object.entries(rawHeaders)) {
    const lower = name.toLowerCase();
    if (!TOKEN.test(name)) throw fail(`header name "${name}" is not valid`);
    if (RESERVED_HEADERS.has(lower))
      throw fail(`header "${lower}" is set by the client and may not be configured`);
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw fail(`header "${lower}" must be a string`);
    }
    const text = String(value);
    if (/[\r\n\0]/.test(text)) throw fail(`header "${lower}" contains a line break or NUL`);
    headers[lower] = text;
  }

  const request: HttpRequestSpec = { method: method.toUpperCase(), url, headers };
  const body = config['body'];
  if (body !== undefined && body !== null) {
    if (typeof body === 'string') {
      request.body = Buffer.from(body, 'utf8');
      headers['content-type'] ??= 'text/plain; charset=utf-8';
    } else {
      let json: string | undefined;
      try {
        json = JSON.stringify(body);
      } catch (err) {
        throw fail(`with.body cannot be serialised as JSON: ${(err as Error).message}`);
      }
      if (json === undefined) throw fail('with.body cannot be serialised as JSON');
      request.body = Buffer.from(json, 'utf8');
      headers['content-type'] ??= 'application/json';
    }
  }

  const result: HttpConfig = { request };
  const timeoutMs = config['timeoutMs'];
  if (timeoutMs !== undefined && timeoutMs !== null) {
    if (typeof timeoutMs !== 'number' || !(timeoutMs > 0) || !Number.isFinite(timeoutMs)) {
      throw fail('with.timeoutMs must be a positive number');
    }
    result.timeoutMs = timeoutMs;
  }
  return result;
}
