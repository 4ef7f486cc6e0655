import { Readable } from 'node:stream';
import { send } from '../http/request.js';
import { resolveTarget, systemResolver } from './guard.js';
import type { AddressPolicy, Resolver } from './guard.js';

/** The `fetch` shape clients take in place of the global one (the MCP SDK's FetchLike). */
export type GuardedFetch = (url: string | URL, init?: RequestInit) => Promise<Response>;

/** Statuses whose responses have no body (the Response constructor refuses one). */
const NO_BODY = new Set([101, 103, 204, 205, 304]);

/**
 * A `fetch` behind the SSRF gate of `http` nodes (net/guard.ts): every request's host is resolved
 * and refused ('SSRF') when any of its addresses fails `policy`; the connection goes only to the
 * addresses that passed, through a fresh socket. Redirects are never followed (the response is
 * returned as it is: a caller following one comes back through this gate). The body is streamed,
 * so server-sent events arrive as they are sent. Errors are the http node's: 'SSRF',
 * 'HTTP_NETWORK', 'HTTP_TLS', or the abort reason's when `init.signal` aborts.
 */
export function guardedFetch(
  policy: AddressPolicy,
  resolve: Resolver = systemResolver,
): GuardedFetch {
  return async (input, init = {}) => {
    const url = new URL(input);
    const signal = init.signal ?? new AbortController().signal;
    const target = await resolveTarget(url, policy, resolve, signal);
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => {
      headers[name] = value;
    });
    // What arrives is handed on as it is: no compressed body to decode.
    headers['accept-encoding'] = 'identity';
    const method = (init.method ?? 'GET').toUpperCase();
    const res = await send(
      {
        method,
        url,
        headers,
        ...(init.body === undefined || init.body === null ? {} : { body: await bodyOf(init.body) }),
      },
      target,
      signal,
    );
    const status = res.statusCode ?? 0;
    const responseHeaders = new Headers();
    for (const [name, value] of Object.entries(res.headers)) {
      if (value === undefined) continue;
      for (const v of Array.isArray(value) ? value : [value]) responseHeaders.append(name, v);
    }
    const empty = NO_BODY.has(status) || method === 'HEAD';
    if (empty) res.resume();
    // An error of the body stream (the socket closed, the signal aborted) errors the web stream.
    res.on('error', () => undefined);
    return new Response(empty ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>), {
      status,
      statusText: res.statusMessage ?? '',
      headers: responseHeaders,
    });
  };
}

async function bodyOf(body: NonNullable<RequestInit['body']>): Promise<Buffer> {
  if (typeof body === 'string') return Buffer.from(body);
  return Buffer.from(await new Response(body).arrayBuffer());
}
