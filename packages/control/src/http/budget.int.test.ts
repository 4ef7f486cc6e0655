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

  it('a run paused by its budget waits until an approver raises the limit, then goes on', async () => {
    const started = await api.call('POST', '/v1/runs', {
      token: operator,
      body: { definition: chain, budget: { nodes: 2, onExceeded: 'pause' } },
    });
    const runId = started.body.runId as string;
    const paused = await api.call(
      'GET',
      `/v1/runs/${runId}/wait?untilSettled=true&timeoutMs=10000`,
      {
        token: operator,
      },
    );
    expect(paused.body, JSON.stringify(paused.body)).toMatchObject({
      status: 'waiting',
      budgetExceeded: { limit: 'nodes', budget: 2, used: 3 },
    });
    const path = `/v1/runs/${runId}/budget`;

    // Who may: an approver; not an operator. What: a raise, every problem named.
    const denied = await api.call('PUT', path, { token: operator, body: { budget: { nodes: 9 } } });
    expect(denied.status).toBe(403);
    const approver = await api.token('approver');
    const bad = await api.call('PUT', path, {
      token: approver,
      body: { budget: { nodes: 1, tokens: -5, colour: 'red' } },
    });
    expect(bad.status).toBe(400);
    const said = JSON.stringify(bad.body);
    for (const where of ['/budget/nodes', '/budget/tokens', '/budget/colour'])
      expect(said).toContain(where);
    expect((await api.call('GET', `/v1/runs/${runId}`, { token: operator })).body.status).toBe(
      'waiting',
    );

    const raised = await api.call('PUT', path, {
      token: approver,
      body: { budget: { nodes: 10 }, reason: 'the last two steps are worth it' },
    });
    expect(raised.status, JSON.stringify(raised.body)).toBe(200);
    expect(raised.body.budget).toMatchObject({ nodes: 10, onExceeded: 'pause' });
    const done = await api.call('GET', `/v1/runs/${runId}/wait?timeoutMs=10000`, {
      token: operator,
    });
    expect(done.body).toMatchObject({ status: 'completed', usage: { nodes: 4 } });
    const events = (await api.call('GET', `/v1/runs/${runId}/events`, { token: operator })).body;
    const raise = (events.items ?? events).find((e: { type: string }) => e.type === 'BudgetRaised');
    expect(raise).toMatchObject({
      data: { by: expect.any(String), reason: 'the last two steps are worth it' },
    });

    const over = await api.call('PUT', path, { token: approver, body: { budget: { nodes: 20 } } });
    expect(over.status).toBe(409);
    expect(over.body.code).toBe('RUN_OVER');
  });
});
