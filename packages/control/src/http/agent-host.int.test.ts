// An agent on a cluster runner reaches its run through this API with its job token
// (@aob/engine's apiAgentHost), and must find it as an agent of the local engine finds it in
// process (localAgentHost): the same graph, the same outputs and errors, the same verdicts on the
// same proposals, authored by the same `agent:<nodeId>`. The token reaches its own run only, and
// a host is not even built from an expired one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeJob } from '@aob/core';
import { NodeType } from '@aob/core';
import type { AgentHost } from '@aob/engine';
import { apiAgentHost, irLoader, localAgentHost } from '@aob/engine';
import type { ApiHarness } from './test-support.js';
import { gatedWorkflow, startApiHarness } from './test-support.js';

let api: ApiHarness;
let runId: string;
let otherRun: string;

const jobOf = (run: string, jobToken?: NodeJob['jobToken']): NodeJob => ({
  runId: run,
  nodeId: 'planner',
  attempt: 1,
  irHash: 'sha256:00',
  type: NodeType.agent,
  config: {},
  input: null,
  inputRef: { $cas: 'sha256:00', size: 0 },
  timeoutMs: 60_000,
  priority: 'medium',
  idempotencyKey: `${run}:planner`,
  ...(jobToken ? { jobToken } : {}),
});

async function hosts(run = runId): Promise<{ remote: AgentHost; local: AgentHost }> {
  const engine = api.engine;
  const grant = await api.jobToken(run, 'planner');
  return {
    remote: apiAgentHost({ apiUrl: api.url })(jobOf(run, grant)),
    local: localAgentHost({
      store: engine.store,
      content: engine.content,
      loadIr: irLoader(engine.content),
      proposePatch: (r, patch, o) => engine.control.proposePatch(r, patch, o),
    })(jobOf(run)),
  };
}

/** What a call settled to: its value, or its error's code and message. */
async function outcome(p: Promise<unknown>): Promise<unknown> {
  try {
    return { value: await p };
  } catch (err) {
    const e = err as { code?: string; message: string };
    return { code: e.code, message: e.message };
  }
}

beforeAll(async () => {
  api = await startApiHarness();
  const operator = await api.token('operator');
  const start = async () => {
    const { body } = await api.call('POST', '/v1/runs', {
      token: operator,
      body: { definition: gatedWorkflow('agent-host') },
    });
    await api.call('GET', `/v1/runs/${body.runId}/wait?untilSettled=true&timeoutMs=5000`, {
      token: operator,
    });
    return body.runId as string;
  };
  runId = await start();
  otherRun = await start();
}, 30_000);
afterAll(() => api.close());

describe('an agent through the API finds its run as an agent in process does', () => {
  it('reads the same graph, outputs and errors', async () => {
    const { remote, local } = await hosts();
    expect(await remote.graph()).toEqual(await local.graph());
    for (const nodeId of ['a', 'b', 'nope']) {
      expect(await outcome(remote.nodeOutput(nodeId)), nodeId).toEqual(
        await outcome(local.nodeOutput(nodeId)),
      );
    }
    expect(await outcome(remote.nodeOutput('b'))).toMatchObject({ code: 'NODE_NOT_FINISHED' });
    expect(await outcome(remote.nodeOutput('nope'))).toMatchObject({ code: 'UNKNOWN_NODE' });
  });

  it('gets the same verdicts: rejected and held proposals, then an applied one, as agent:<nodeId>', async () => {
    const { remote, local } = await hosts();
    const base = (await local.graph()).irHash;
    const rejected = { ops: [{ op: 'add', path: '/edges/-', value: { from: 'b', to: 'a' } }] };
    const held = {
      ops: [
        {
          op: 'add',
          path: '/nodes/-',
          value: { id: 'calc', type: 'code', with: { language: 'javascript', source: 'return 1' } },
        },
        { op: 'add', path: '/edges/-', value: { from: 'a', to: 'calc' } },
      ],
    };
    for (const proposal of [rejected, held]) {
      const r = await remote.proposePatch({
        ...proposal,
        author: 'agent:planner',
        baseIrHash: base,
      });
      const l = await local.proposePatch({
        ...proposal,
        author: 'agent:planner',
        baseIrHash: base,
      });
      expect({ ...r, patchId: '' }).toEqual({ ...l, patchId: '' });
    }
    const applied = await remote.proposePatch({
      ops: [
        {
          op: 'add',
          path: '/nodes/-',
          value: { id: 'note', type: 'transform', with: { value: 1 } },
        },
        { op: 'add', path: '/edges/-', value: { from: 'a', to: 'note' } },
      ],
      author: 'agent:planner',
      rationale: 'a note',
      baseIrHash: base,
    });
    expect(applied).toMatchObject({ status: 'applied', violations: [] });
    const after = await local.graph();
    expect(after.irHash).toBe(applied.irHash);
    expect(await remote.graph()).toEqual(after);
    const patches = await api.engine.control.patches({ runId });
    expect(patches.map((p) => [p.status, p.author])).toEqual([
      ['rejected', 'agent:planner'],
      ['rejected', 'agent:planner'],
      ['held', 'agent:planner'],
      ['held', 'agent:planner'],
      ['applied', 'agent:planner'],
    ]);
  });
});

describe("an agent's job token", () => {
  it('reaches no other run, even one of its namespace', async () => {
    const grant = await api.jobToken(runId, 'planner');
    const astray = apiAgentHost({ apiUrl: api.url })(jobOf(otherRun, grant));
    expect(await outcome(astray.graph())).toMatchObject({ code: 'RUN_NOT_FOUND' });
    expect(await outcome(astray.nodeOutput('a'))).toMatchObject({ code: 'RUN_NOT_FOUND' });
    expect(await outcome(astray.proposePatch({ ops: [], author: 'agent:planner' }))).toMatchObject({
      code: 'RUN_NOT_FOUND',
    });
    // The run itself is untouched and readable with its own token.
    const { remote } = await hosts(otherRun);
    expect((await remote.graph()).runId).toBe(otherRun);
  });

  it('builds no host when the job has none or it expired before the job started', async () => {
    const host = apiAgentHost({ apiUrl: api.url, now: () => 10_000 });
    expect(() => host(jobOf(runId))).toThrow(
      expect.objectContaining({ code: 'AGENT_NOT_CONFIGURED', retryable: false }),
    );
    expect(() => host(jobOf(runId, { token: 'aob_x', expiresAt: 9_000 }))).toThrow(
      expect.objectContaining({ code: 'JOB_TOKEN_EXPIRED', retryable: true }),
    );
  });

  it('stops working when it expires while the agent runs', async () => {
    const grant = await api.jobToken(runId, 'planner', { timeoutMs: 100 });
    const remote = apiAgentHost({ apiUrl: api.url })(jobOf(runId, grant));
    expect((await remote.graph()).runId).toBe(runId);
    await new Promise((r) => setTimeout(r, Math.max(0, grant.expiresAt - Date.now()) + 10));
    expect(await outcome(remote.graph())).toMatchObject({ code: 'UNAUTHENTICATED' });
  });
});
