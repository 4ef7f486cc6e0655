// Budgets over REST: an admin sets the namespace's budget, a run's own budget comes with its
// start, RunView shows usage against them; bad budgets are refused naming every problem.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiHarness } from './test-support.js';
import { startApiHarness } from './test-support.js';

let api: ApiHarness;
let admin: string;
let operator: string;
let viewer: string;
let beta: string;
beforeAll(async () => {
  api = await startApiHarness();
  admin = await api.token('admin');
  operator = await api.token('operator');
  viewer = await api.token('viewer');
  beta = await api.token('admin', 'beta');
});
afterAll(() => api.close());

/** Four transforms in a row: four executions. */
const chain = {
  name: 'chain',
  version: '1',
  nodes: ['a', 'b', 'c', 'd'].map((id) => ({ id, type: 'transform', with: { value: id } })),
  edges: [
    { from: 'a', to: 'b' },
    { from: 'b', to: 'c' },
    { from: 'c', to: 'd' },
  ],
};

async function runTo(body: Record<string, unknown>, token = operator) {
  const started = await api.call('POST', '/v1/runs', {
    token,
    body: { definition: chain, ...body },
  });
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  const done = await api.call('GET', `/v1/runs/${started.body.runId}/wait?timeoutMs=10000`, {
    token,
  });
  return done.body;
}

describe('budgets over REST', () => {
  it("holds runs to the namespace's budget and their own, and shows usage against them", async () => {
    expect((await api.call('GET', '/v1/budget', { token: viewer })).status).toBe(404);
    const set = await api.call('PUT', '/v1/budget', {
      token: admin,
      body: { nodes: 2, onExceeded: 'cancel' },
    });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({
      namespace: 'acme',
      budget: { nodes: 2, onExceeded: 'cancel' },
    });
    expect((await api.call('GET', '/v1/budget', { token: viewer })).body.budget).toEqual({
      nodes: 2,
      onExceeded: 'cancel',
    });

    const capped = await runTo({});
    expect(capped.status).toBe('cancelled');
    expect(capped.usage).toMatchObject({ nodes: 2, tokens: 0 });
    expect(capped.budgetExceeded).toEqual({ limit: 'nodes', budget: 2, used: 3 });

    // Another namespace is not held to acme's budget; a run's own budget applies there.
    const free = await runTo({}, beta);
    expect(free.status).toBe('completed');
    const own = await runTo({ budget: { nodes: 1 } }, beta);
    expect(own).toMatchObject({
      status: 'failed',
      budget: { nodes: 1 },
      error: { code: 'BUDGET_EXCEEDED' },
    });

    expect((await api.call('DELETE', '/v1/budget', { token: admin })).status).toBe(200);
    expect((await runTo({})).status).toBe('completed');
  });

  it('refuses bad budgets naming every problem, storing nothing', async () => {
    const before = (await api.call('GET', '/v1/runs?limit=500', { token: operator })).body.items
      .length;
    const bad = await api.call('POST', '/v1/runs', {
      token: operator,
      body: { definition: chain, budget: { tokens: -1, wallMs: 'soon', colour: 'red' } },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('VALIDATION');
    expect(JSON.stringify(bad.body)).toContain('/budget/tokens');
    expect(JSON.stringify(bad.body)).toContain('/budget/wallMs');
    expect(JSON.stringify(bad.body)).toContain('/budget/colour');
    expect(
      (await api.call('GET', '/v1/runs?limit=500', { token: operator })).body.items.length,
    ).toBe(before);

    const set = await api.call('PUT', '/v1/budget', { token: admin, body: { nodes: 0 } });
    expect(set.status).toBe(400);
    expect(JSON.stringify(set.body)).toContain('/budget/nodes');
    expect((await api.call('GET', '/v1/budget', { token: admin })).status).toBe(404);
    expect(
      (await api.call('PUT', '/v1/budget', { token: operator, body: { nodes: 5 } })).status,
    ).toBe(403);
  });
});
