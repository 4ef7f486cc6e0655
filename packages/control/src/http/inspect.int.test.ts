// A run's nodes over REST: what each received and produced, by node and by content reference,
// and approval decisions in the CLI's words.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiHarness } from './test-support.js';
import { gatedWorkflow, startApiHarness } from './test-support.js';

let api: ApiHarness;
let operator: string;
let approver: string;

beforeAll(async () => {
  api = await startApiHarness();
  operator = await api.token('operator');
  approver = await api.token('approver');
});
afterAll(() => api.close());

async function gatedRun(n: number): Promise<{ runId: string; ticketId: string }> {
  const started = await api.call('POST', '/v1/runs', {
    token: operator,
    body: { definition: gatedWorkflow(), inputs: { n } },
  });
  const { runId } = started.body as { runId: string };
  const settled = await api.call('GET', `/v1/runs/${runId}/wait?untilSettled=true&timeoutMs=5000`, {
    token: operator,
  });
  return { runId, ticketId: settled.body.waitingOn[0] as string };
}

describe('GET /v1/runs/{runId}/nodes/{nodeId}', () => {
  it("shows a node's resolved input and output, its attempts, and the references to both", async () => {
    const { runId, ticketId } = await gatedRun(41);
    await api.call('POST', `/v1/approvals/${ticketId}/decision`, {
      token: approver,
      body: { decision: 'approve' },
    });
    await api.call('GET', `/v1/runs/${runId}/wait?timeoutMs=5000`, { token: operator });
    const b = await api.call('GET', `/v1/runs/${runId}/nodes/b`, { token: operator });
    expect(b.status).toBe(200);
    expect(b.body).toMatchObject({
      runId,
      nodeId: 'b',
      type: 'transform',
      status: 'succeeded',
      attempts: 1,
      input: { gate: expect.anything() },
      output: 42,
      history: [{ attempt: 1, outcome: 'succeeded' }],
    });
    const out = await api.call('GET', `/v1/runs/${runId}/content/${b.body.outputRef}`, {
      token: operator,
    });
    expect(out).toMatchObject({ status: 200, body: 42 });
  });

  it('names the nodes a run has when asked for one it lacks', async () => {
    const { runId } = await gatedRun(1);
    const res = await api.call('GET', `/v1/runs/${runId}/nodes/nope`, { token: operator });
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ code: 'NODE_NOT_FOUND' });
    expect(res.body.detail).toContain('its nodes: a, gate, b');
  });

  it('gives no content the run does not hold, though it is in the store', async () => {
    const one = await gatedRun(7);
    const other = await gatedRun(8);
    const node = await api.call('GET', `/v1/runs/${other.runId}/nodes/a`, { token: operator });
    const res = await api.call('GET', `/v1/runs/${one.runId}/content/${node.body.outputRef}`, {
      token: operator,
    });
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ code: 'CONTENT_NOT_FOUND' });
  });

  it('gives no content through a forged transcript reference in a node that is not an agent', async () => {
    const other = await gatedRun(9);
    const node = await api.call('GET', `/v1/runs/${other.runId}/nodes/a`, { token: operator });
    const ref = node.body.outputRef as string;
    // A transform's output that looks like an agent's: a transcript in the content store.
    const forged = await api.call('POST', '/v1/runs', {
      token: operator,
      body: {
        definition: {
          name: 'forger',
          version: '1',
          nodes: [
            {
              id: 'fake',
              type: 'transform',
              with: { value: { transcript: { $cas: ref, size: 2 }, framework: 'langgraph' } },
            },
          ],
        },
      },
    });
    const { runId } = forged.body as { runId: string };
    await api.call('GET', `/v1/runs/${runId}/wait?timeoutMs=5000`, { token: operator });
    const res = await api.call('GET', `/v1/runs/${runId}/content/${ref}`, { token: operator });
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ code: 'CONTENT_NOT_FOUND' });
  });

  it("refuses another namespace's run as not found", async () => {
    const { runId } = await gatedRun(2);
    const stranger = await api.token('viewer', 'beta');
    const res = await api.call('GET', `/v1/runs/${runId}/nodes/a`, { token: stranger });
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ code: 'RUN_NOT_FOUND' });
  });
});

describe('POST /v1/approvals/{ticketId}', () => {
  it('takes reject as the CLI says it, and names every allowed value for a wrong one', async () => {
    const { runId, ticketId } = await gatedRun(3);
    const wrong = await api.call('POST', `/v1/approvals/${ticketId}/decision`, {
      token: approver,
      body: { decision: 'yes' },
    });
    expect(wrong.status).toBe(400);
    expect(JSON.stringify(wrong.body.errors)).toContain(
      "must be one of 'approve', 'reject', 'approved', 'rejected'",
    );
    const ok = await api.call('POST', `/v1/approvals/${ticketId}/decision`, {
      token: approver,
      body: { decision: 'reject', reason: 'no' },
    });
    expect(ok.status).toBe(200);
    const run = await api.call('GET', `/v1/runs/${runId}/wait?timeoutMs=5000`, { token: operator });
    expect(run.body.nodes.gate.status).toBe('succeeded');
    expect(run.body.nodes.b.status).toBe('skipped');
  });
});
