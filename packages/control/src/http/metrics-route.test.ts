// GET /metrics on the API's port (`aob dev`'s): Prometheus text without a token, to loopback
// clients only; and the SSE clients it counts while timelines are open.
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '@aob/bus';
import { MemoryContentStore, MemoryEventStore } from '@aob/store';
import type { Metrics } from '@aob/engine';
import { clusterRunControl, startMetrics } from '@aob/engine';
import { ControlPlane } from '../control-plane.js';
import { ApprovalDesk } from '../hitl/index.js';
import { Fanout, ListenerLiveSource, TimelineStreams } from '../fanout/index.js';
import { issueToken } from '../auth/index.js';
import type { ApiServerOptions } from './server.js';
import { createApiServer, isLoopback } from './server.js';

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

async function api(metrics?: ApiServerOptions['metrics']) {
  const store = new MemoryEventStore();
  const bus = new MemoryBus();
  const control = clusterRunControl({ events: store, content: new MemoryContentStore(), bus });
  const plane = new ControlPlane({ control, store, approvals: new ApprovalDesk({ control }) });
  const fanout = new Fanout({ store, source: new ListenerLiveSource(() => () => undefined) });
  await fanout.start();
  const timelines = new TimelineStreams(fanout);
  const app = await createApiServer({
    plane,
    tokens: store,
    timelines,
    ...(metrics ? { metrics } : {}),
  });
  closers.push(async () => {
    timelines.close();
    await fanout.stop();
    await app.close();
    await bus.close();
  });
  return { app, store };
}

/** The value of the one series of `name` with `label` in a scrape (no full parse needed here). */
function series(text: string, name: string, label: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${label}}`));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
}

describe('GET /metrics on the API port', () => {
  it('answers loopback clients without a token, 403 (problem+json) to any other', async () => {
    const scrapes: string[] = [];
    const { app } = await api((_req, res) => {
      scrapes.push('x');
      res.writeHead(200, { 'content-type': 'text/plain' }).end('# TYPE up gauge\nup 1\n');
    });
    const local = await app.inject({ method: 'GET', url: '/metrics' });
    expect(local.statusCode).toBe(200);
    expect(local.body).toBe('# TYPE up gauge\nup 1\n');
    for (const remoteAddress of ['10.1.2.3', '192.168.0.9', '::ffff:10.0.0.1', '2001:db8::1']) {
      const far = await app.inject({ method: 'GET', url: '/metrics', remoteAddress });
      expect(far.statusCode, remoteAddress).toBe(403);
      expect(far.headers['content-type']).toContain('application/problem+json');
      expect(far.json()).toMatchObject({ status: 403, code: 'FORBIDDEN' });
    }
    expect(scrapes).toHaveLength(1);
  });

  it('is no route without metrics (the cluster api serves them on its health port)', async () => {
    const { app } = await api();
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(404);
  });

  it('counts the open SSE timelines by feed, down again as a client goes', async () => {
    const metrics: Metrics = await startMetrics({ serviceName: 'test' });
    closers.push(() => metrics.shutdown());
    const { app, store } = await api(metrics.handler);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const { token } = await issueToken(
      store,
      { subject: 'vera', role: 'viewer', namespace: 'acme', groups: [] },
      'test',
    );
    const scrape = async () => (await fetch(`${url}/metrics`)).text();
    const stream = new AbortController();
    const res = await fetch(`${url}/v1/timeline`, {
      headers: { authorization: `Bearer ${token}` },
      signal: stream.signal,
    });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    await reader.read();
    expect(series(await scrape(), 'aob_sse_clients', 'feed="namespace"')).toBe(1);
    stream.abort();
    await reader.cancel().catch(() => undefined);
    let after: number | undefined;
    for (let i = 0; i < 100; i++) {
      after = series(await scrape(), 'aob_sse_clients', 'feed="namespace"');
      if (after === 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(after).toBe(0);
  });
});

describe('isLoopback', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.8.9.10', true],
    ['::1', true],
    ['::ffff:127.0.0.1', true],
    ['10.0.0.1', false],
    ['::ffff:10.0.0.1', false],
    ['128.0.0.1', false],
    ['fe80::1', false],
    [undefined, false],
  ])('%s → %s', (address, loopback) => {
    expect(isLoopback(address)).toBe(loopback);
  });
});
