import { AobError } from '@aob/core';
import { readBody, send } from './http/request.js';
import { toHttpOutput } from './http/response.js';
import { allowAll, publicOnly, resolveTarget, systemResolver } from './net/guard.js';
import type { AddressPolicy, Resolver } from './net/guard.js';

export interface SearchResult {
  title: string;
  url: string;
  snippet: string;
}

export interface SearchOptions {
  limit: number;
  signal: AbortSignal;
}

/** The port behind `search` nodes: one query in, at most `limit` results out. */
export interface SearchProvider {
  search(query: string, opts: SearchOptions): Promise<SearchResult[]>;
}

export interface SearxngProviderOptions {
  baseUrl: string;
  /** Lets the provider reach private and loopback addresses (a self-hosted instance, tests). */
  allowPrivateNetwork: boolean;
  resolve?: Resolver;
  /** Default 2 MiB. */
  maxResponseBytes?: number;
}

/**
 * SearXNG's JSON API: `GET <base>/search?q=…&format=json` answering
 * `{ query, results: [{ title, url, content, engine, … }], … }`. The request goes through the same
 * SSRF gate as `http` nodes (public addresses only unless `allowPrivateNetwork`), connects only to
 * the addresses that passed it and follows no redirects.
 *
 * Errors: 'SSRF' (non-retryable); 'SEARCH_FAILED' for network failures, bad statuses and bodies
 * that are not SearXNG JSON — retryable except for 4xx other than 429 (the same request would be
 * refused again).
 */
export function createSearxngProvider(opts: SearxngProviderOptions): SearchProvider {
  let base: URL;
  try {
    base = new URL(opts.baseUrl);
  } catch {
    throw new AobError('SEARCH_NOT_CONFIGURED', `search: invalid SearXNG base URL`, {
      details: { baseUrl: opts.baseUrl },
    });
  }
  const policy: AddressPolicy = opts.allowPrivateNetwork ? allowAll : publicOnly;
  const resolve = opts.resolve ?? systemResolver;
  const maxBytes = opts.maxResponseBytes ?? 2 * 1024 * 1024;

  return {
    async search(query, { limit, signal }) {
      const url = new URL('search', base.href.endsWith('/') ? base : `${base.href}/`);
      url.searchParams.set('q', query);
      url.searchParams.set('format', 'json');
      const target = await resolveTarget(url, policy, resolve, signal);
      let body: unknown;
      try {
        const res = await send(
          { method: 'GET', url, headers: { accept: 'application/json' } },
          target,
          signal,
        );
        const raw = await readBody(res, maxBytes, signal, 'GET', url);
        body = toHttpOutput(res.statusCode ?? 0, res.headers, raw, url).body;
      } catch (err) {
        if (signal.aborted || !(err instanceof AobError)) throw err;
        throw failed(err);
      }
      return parseResults(body, url).slice(0, limit);
    },
  };
}

function failed(err: AobError): AobError {
  const status = (err.details as { status?: unknown } | undefined)?.status;
  const retryable =
    typeof status === 'number'
      ? status >= 500 || status === 429
      : err.code !== 'RESPONSE_TOO_LARGE';
  return new AobError('SEARCH_FAILED', `search provider failed: ${err.message}`, {
    retryable,
    details: { cause: err.code, status },
  });
}

function parseResults(body: unknown, url: URL): SearchResult[] {
  const results = (body as { results?: unknown } | null)?.results;
  if (!Array.isArray(results)) {
    throw new AobError(
      'SEARCH_FAILED',
      `${url.origin} did not answer SearXNG JSON (no results array)`,
      {
        retryable: true,
      },
    );
  }
  const out: SearchResult[] = [];
  for (const r of results as unknown[]) {
    if (r === null || typeof r !== 'object') continue;
    const { title, url: link, content } = r as Record<string, unknown>;
    if (typeof link !== 'string' || link === '') continue;
    out.push({
      title: typeof title === 'string' ? title : '',
      url: link,
      snippet: typeof content === 'string' ? content : '',
    });
  }
  return out;
}
