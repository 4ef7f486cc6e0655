// A server ready to be fuzzed: a token per role, a registered workflow and a run waiting on a
// person (so generated paths reach real resources), and the counts a refused request must leave.
import type { ApiHarness } from '../../packages/control/src/http/test-support.js';
import { gatedWorkflow } from '../../packages/control/src/http/test-support.js';
import type { FuzzTarget } from './drive.js';

export async function fuzzTarget(api: ApiHarness): Promise<FuzzTarget> {
  const tokens: Record<string, string> = {};
  for (const role of ['viewer', 'operator', 'approver', 'admin', 'agent']) {
    tokens[role] = await api.token(role);
  }
  const call = (method: string, path: string, body?: unknown) =>
    api.call(method, path, { token: tokens['admin']!, ...(body !== undefined ? { body } : {}) });
  await call('POST', '/v1/workflows', { definition: gatedWorkflow('fuzz') });
  const waitingRun = async (): Promise<{ runId: string; ticketId: string }> => {
    const started = await call('POST', '/v1/runs', { workflow: 'fuzz' });
    const runId = started.body.runId as string;
    const settled = await call('GET', `/v1/runs/${runId}/wait?untilSettled=true&timeoutMs=5000`);
    return { runId, ticketId: settled.body.waitingOn[0] as string };
  };
  const { runId, ticketId } = await waitingRun();
  const store = api.engine.store;
  return {
    url: api.url,
    tokens,
    known: [runId, ticketId, 'fuzz', 'fuzz@1', 'a', 'gate'],
    waitingRun: async () => (await waitingRun()).runId,
    stored: async () => ({
      runs: (await store.listRuns({})).length,
      workflows: (await store.listWorkflows()).length,
      workflowPatches: (await store.listWorkflowPatches()).length,
      tokens: (await store.listTokens()).length,
    }),
  };
}
