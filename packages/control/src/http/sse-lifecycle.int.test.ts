// Open timelines hold a client's buffers and a feed in the hub: both must go when the client
// goes, and a stream must end when the token that opened it is revoked.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiHarness } from './test-support.js';
import { eventually, gatedWorkflow, startApiHarness } from './test-support.js';

let api: ApiHarness;
let operator: string;
let runId: string;

beforeAll(async () => {
  api = await startApiHarness();
  operator = await api.token('operator');
  const started = await api.call('POST', '/v1/runs', {
    token: operator,
    body: { definition: gatedWorkflow('sse') },
  });
  runId = started.body.runId as string;
  await api.call('GET', `/v1/runs/${runId}/wait?untilSettled=true&timeoutMs=5000`, {
    token: operator,
  });
});
afterAll(() => api.close());

/** Opens a timeline and reads its first bytes; the caller aborts it. */
async function open(
  path: string,
  token: string,
): Promise<{ abort: () => void; rest: Promise<string> }> {
  const ctrl = new AbortController();
  const res = await fetch(api.url + path, {
    headers: { authorization: `Bearer ${token}` },
    signal: ctrl.signal,
  });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  await reader.read();
  const rest = (async () => {
    let text = '';
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return text;
        text += decoder.decode(value);
      }
    } catch {
      return text;
    }
  })();
  return { abort: () => ctrl.abort(), rest };
}

describe('SSE timelines', () => {
  it('release every connection and feed once 200 clients have gone', async () => {
    const clients = [];
    for (let i = 0; i < 200; i++) {
      const path = i % 2 === 0 ? `/v1/runs/${runId}/timeline?follow=true` : '/v1/timeline';
      clients.push(await open(path, operator));
    }
    expect(api.timelines.size).toBe(200);
    expect(api.fanout.subscriptions).toEqual({ run: 100, namespace: 100 });
    for (const c of clients) c.abort();
    await eventually(async () => (api.timelines.size === 0 ? true : undefined), 5_000);
    await eventually(
      async () =>
        api.fanout.subscriptions.run === 0 && api.fanout.subscriptions.namespace === 0
          ? true
          : undefined,
      5_000,
    );
  });

  it('end, with TOKEN_REVOKED, when the token that opened them is revoked', async () => {
    const admin = await api.token('admin');
    const made = await api.call('POST', '/v1/tokens', {
      token: admin,
      body: { subject: 'watcher', role: 'viewer' },
    });
    expect(made.status).toBe(201);
    const token = made.body.token as string;
    const run = await open(`/v1/runs/${runId}/timeline?follow=true`, token);
    const feed = await open('/v1/timeline', token);
    const other = await open('/v1/timeline', operator);
    const revoked = await api.call('DELETE', `/v1/tokens/${made.body.tokenId}`, { token: admin });
    expect(revoked.status).toBeLessThan(300);
    const t0 = Date.now();
    const [a, b] = await Promise.all([run.rest, feed.rest]);
    expect(Date.now() - t0).toBeLessThan(3_000);
    for (const text of [a, b]) {
      expect(text).toContain('event: error');
      expect(text).toContain('TOKEN_REVOKED');
    }
    // A stream of a token still valid stays open.
    expect(api.timelines.size).toBe(1);
    other.abort();
  });
});
