// POST /v1/runs while no orchestrator takes runs (all of them restarting): the API answers within
// about a second, 202 with the run id and `pending: true`, instead of holding the request for the
// whole wait; the start command is on the bus for the first orchestrator that comes back, and the
// run is not readable until one applies it.
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Topic } from '@aob/core';
import { MemoryBus } from '@aob/bus';
import { MemoryContentStore, MemoryEventStore } from '@aob/store';
import { clusterRunControl } from '@aob/engine';
import { ControlPlane } from '../control-plane.js';
import { ApprovalDesk } from '../hitl/index.js';
import { Fanout, ListenerLiveSource, TimelineStreams } from '../fanout/index.js';
import { issueToken } from '../auth/index.js';
import { createApiServer } from './server.js';

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

describe('POST /v1/runs with no orchestrator running', () => {
  it('answers 202 pending within a second; the start waits on the bus; GET is 404 meanwhile', async () => {
    const store = new MemoryEventStore();
    const bus = new MemoryBus();
    const control = clusterRunControl({
      events: store,
      content: new MemoryContentStore(),
      bus,
      startWaitMs: 300,
    });
    const plane = new ControlPlane({ control, store, approvals: new ApprovalDesk({ control }) });
    const fanout = new Fanout({ store, source: new ListenerLiveSource(() => () => undefined) });
    await fanout.start();
    const timelines = new TimelineStreams(fanout);
    const app = await createApiServer({ plane, tokens: store, timelines, validateResponses: true });
    await app.listen({ port: 0, host: '127.0.0.1' });
    closers.push(async () => {
      timelines.close();
      await fanout.stop();
      await app.close();
      await bus.close();
    });
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const { token } = await issueToken(
      store,
      { subject: 'ops', role: 'operator', namespace: 'acme', groups: [] },
      'test',
    );
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    await bus.ensureGroup('orchestrators', [Topic.commands]);

    const t0 = Date.now();
    const res = await fetch(`${url}/v1/runs`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        definition: {
          name: 'w',
          version: '1',
          nodes: [{ id: 'a', type: 'transform', with: { value: '{% 1 %}' } }],
        },
      }),
    });
    const elapsed = Date.now() - t0;
    const body = (await res.json()) as { runId: string; pending?: boolean };
    expect(res.status).toBe(202);
    expect(body).toEqual({ runId: expect.stringMatching(/^run_/), pending: true });
    expect(elapsed).toBeLessThan(1_000);

    const get = await fetch(`${url}/v1/runs/${body.runId}`, { headers });
    expect(get.status).toBe(404);
    const commands = await bus.read({
      group: 'orchestrators',
      consumer: 'o',
      topics: [Topic.commands],
    });
    expect(commands.map((m) => m.value)).toMatchObject([{ type: 'start', runId: body.runId }]);
  });
});
