import { AobError } from '@aob/core';
import { throwIfAborted } from './abort.js';
import { createSearxngProvider } from './search-provider.js';
import type { SearchProvider } from './search-provider.js';
import type { Executor, ExecutorOptions } from './types.js';

export const SEARCH_DEFAULT_LIMIT = 10;
export const SEARCH_MAX_LIMIT = 50;

export interface SearchExecutorOptions {
  /** Replaces the provider built from `ctx.options.search` (a test or embedding seam). */
  provider?: SearchProvider;
}

/**
 * `search`: `with { query, limit = 10 }` → `{ query, results: [{ title, url, snippet }] }`.
 * The provider comes from `ctx.options.search` ('SEARCH_NOT_CONFIGURED' when absent).
 */
export function createSearchExecutor(opts: SearchExecutorOptions = {}): Executor {
  return async (job, ctx) => {
    throwIfAborted(ctx.signal);
    const query = job.config['query'];
    if (typeof query !== 'string' || query.trim() === '') {
      throw new AobError(
        'BAD_CONFIG',
        `search node ${job.nodeId}: with.query must be a non-empty string`,
      );
    }
    const limit = job.config['limit'] ?? SEARCH_DEFAULT_LIMIT;
    if (
      typeof limit !== 'number' ||
      !Number.isInteger(limit) ||
      limit < 1 ||
      limit > SEARCH_MAX_LIMIT
    ) {
      throw new AobError(
        'BAD_CONFIG',
        `search node ${job.nodeId}: with.limit must be an integer from 1 to ${SEARCH_MAX_LIMIT}`,
      );
    }
    const provider = opts.provider ?? providerFrom(ctx.options);
    const results = await provider.search(query, { limit, signal: ctx.signal });
    return { query, results: results.slice(0, limit) };
  };
}

function providerFrom(options: ExecutorOptions): SearchProvider {
  const config = options.search;
  if (config === undefined) {
    throw new AobError('SEARCH_NOT_CONFIGURED', 'search: no search provider configured');
  }
  if (config.provider !== 'searxng') {
    throw new AobError(
      'SEARCH_NOT_CONFIGURED',
      `search: unknown provider "${String(config.provider)}"`,
    );
  }
  return createSearxngProvider({
    baseUrl: config.baseUrl,
    allowPrivateNetwork: options.allowPrivateNetwork,
  });
}

export const searchExecutor: Executor = createSearchExecutor();
