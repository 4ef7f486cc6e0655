import { AobError } from '@aob/core';
import { linkSignal, throwIfAborted } from './abort.js';
import { parseHttpConfig } from './http/config.js';
import { discard, readBody, send } from './http/request.js';
import { isRedirect, nextHop } from './http/redirect.js';
import { toHttpOutput } from './http/response.js';
import { allowAll, publicOnly, resolveTarget, systemResolver } from './net/guard.js';
import type { AddressPolicy, Resolver } from './net/guard.js';
import type { Executor } from './types.js';
import { startHttpClientSpan } from '../telemetry/trace.js';

export interface HttpExecutorOptions {
  /** Default 10 MiB (after decompression). */
  maxResponseBytes?: number;
  /** Default 5. */
  maxRedirects?: number;
  /** Default: the system resolver (`dns.lookup`, all addresses). */
  resolve?: Resolver;
  /**
   * Replaces the address policy. Test-only seam: the default (public addresses only, or anything
   * when `ctx.options.allowPrivateNetwork`) is the only safe production choice.
   */
  isAllowed?: AddressPolicy;
}

export const DEFAULT_MAX_RESPONSE_BYTES = 10 * 1024 * 1024;
export const DEFAULT_MAX_REDIRECTS = 5;

/**
 * `http`: `with { method = GET, url, headers?, body?, timeoutMs? }` →
 * `{ status, headers, body }`.
 *
 * Every hop — the first request and each redirect — goes through the SSRF gate (scheme, DNS,
 * address policy) and connects only to the addresses that passed it. Redirects are followed
 * manually, at most `maxRedirects` times ('TOO_MANY_REDIRECTS').
 */
export function createHttpExecutor(opts: HttpExecutorOptions = {}): Executor {
  const maxBytes = opts.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const maxRedirects = opts.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
  const resolve = opts.resolve ?? systemResolver;

  return async (job, ctx) => {
    throwIfAborted(ctx.signal);
    const { request, timeoutMs } = parseHttpConfig(job.config, job.nodeId);
    const policy = opts.isAllowed ?? (ctx.options.allowPrivateNetwork ? allowAll : publicOnly);
    const { signal, dispose } = linkSignal(
      ctx.signal,
      timeoutMs,
      () =>
        new AobError('TIMEOUT', `http node ${job.nodeId} timed out after ${timeoutMs} ms`, {
          retryable: true,
        }),
    );
    try {
      let hop = request;
      for (let redirects = 0; ; redirects++) {
        // Each hop is a client span of the node's, its context in the request's headers.
        const span = startHttpClientSpan(hop.method, hop.url, hop.headers, ctx.trace);
        try {
          const target = await resolveTarget(hop.url, policy, resolve, signal);
          const res = await send({ ...hop, headers: span.headers }, target, signal);
          const status = res.statusCode ?? 0;
          span.status(status);
          const location = res.headers.location;
          if (isRedirect(status, location)) {
            discard(res);
            if (redirects >= maxRedirects) {
              throw new AobError(
                'TOO_MANY_REDIRECTS',
                `http node ${job.nodeId}: more than ${maxRedirects} redirects`,
                { retryable: false, details: { limit: maxRedirects } },
              );
            }
            hop = nextHop(hop, status, location);
            continue;
          }
          const body = await readBody(res, maxBytes, signal, hop.method, hop.url);
          return toHttpOutput(status, res.headers, body, hop.url);
        } catch (err) {
          span.fail(err);
          throw err;
        } finally {
          span.end();
        }
      }
    } finally {
      dispose();
    }
  };
}

export const httpExecutor: Executor = createHttpExecutor();
