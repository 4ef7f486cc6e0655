import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeJob } from '@aob/core';
import { runExecutor } from './registry.js';
import { searchExecutor } from './search.js';
import { startSearxngFake } from '../testing/searxng-fake.js';
import type { SearxngFake } from '../testing/searxng-fake.js';
import type { ExecutorContext, ExecutorOptions } from './types.js';

// A fake SearXNG on 127.0.0.1 answering in its real JSON format (../testing/searxng-fake.ts).
let searxng: SearxngFake;
let base: string;
let queries: readonly string[];

beforeAll(async () => {
  searxng = await startSearxngFake();
  base = searxng.baseUrl;
  queries = searxng.queries;
});
afterAll(() => searxng.close());

function job(config: Record<string, unknown>): NodeJob {
  return {
    runId: 'r',
    nodeId: 's',
    attempt: 1,
    irHash: 'h',
    type: 'search',
    config,
    input: null,
    inputRef: { $cas: 'sha256:00', size: 0 },
    timeoutMs: 5000,
    priority: 'medium',
    idempotencyKey: 'k',
  };
}
function ctx(options: Partial<ExecutorOptions>): ExecutorContext {
  const log = { info: () => undefined, warn: () => undefined, error: () => undefined };
  return {
    runId: 'r',
    nodeId: 's',
    attempt: 1,
    idempotencyKey: 'k',
    signal: new AbortController().signal,
    log,
    options: {
      handlers: {},
      allowPrivateNetwork: true,
      search: { provider: 'searxng', baseUrl: base },
      ...options,
    },
  };
}
async function failure(p: Promise<unknown>): Promise<{ code: string; retryable: boolean }> {
  try {
    await p;
  } catch (err) {
    return err as { code: string; retryable: boolean };
  }
  throw new Error('expected a failure');
}

describe('search executor (SearXNG)', () => {
  it('maps SearXNG results and honours the default limit', async () => {
    const out = (await runExecutor(job({ query: 'aob engine' }), ctx({}))) as {
      query: string;
      results: { title: string; url: string; snippet: string }[];
    };
    expect(queries.at(-1)).toBe('aob engine');
    expect(out.query).toBe('aob engine');
    expect(out.results).toHaveLength(10);
    expect(out.results[0]).toEqual({
      title: 'Result 0 for aob engine',
      url: 'https://example.org/aob%20engine/0',
      snippet: 'Snippet 0',
    });
  });

  it('applies the limit', async () => {
    const out = (await searchExecutor(job({ query: 'q', limit: 3 }), ctx({}))) as {
      results: unknown[];
    };
    expect(out.results).toHaveLength(3);
    expect(await failure(searchExecutor(job({ query: 'q', limit: 0 }), ctx({})))).toMatchObject({
      code: 'BAD_CONFIG',
    });
  });

  it('reports a provider error as retryable SEARCH_FAILED', async () => {
    expect(await failure(searchExecutor(job({ query: 'boom' }), ctx({})))).toMatchObject({
      code: 'SEARCH_FAILED',
      retryable: true,
    });
    const wrongPath = ctx({ search: { provider: 'searxng', baseUrl: `${base}/nothing-here` } });
    expect(await failure(searchExecutor(job({ query: 'q' }), wrongPath))).toMatchObject({
      code: 'SEARCH_FAILED',
      retryable: false,
    });
  });

  it('refuses a private provider address unless allowPrivateNetwork', async () => {
    expect(
      await failure(searchExecutor(job({ query: 'q' }), ctx({ allowPrivateNetwork: false }))),
    ).toMatchObject({ code: 'SSRF', retryable: false });
    const metadata = ctx({
      allowPrivateNetwork: false,
      search: { provider: 'searxng', baseUrl: 'http://169.254.169.254' },
    });
    expect(await failure(searchExecutor(job({ query: 'q' }), metadata))).toMatchObject({
      code: 'SSRF',
    });
  });

  it('fails when no provider is configured', async () => {
    const c = ctx({});
    delete c.options.search;
    expect(await failure(searchExecutor(job({ query: 'q' }), c))).toMatchObject({
      code: 'SEARCH_NOT_CONFIGURED',
      retryable: false,
    });
  });
});
