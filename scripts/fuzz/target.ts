// A server ready to be fuzzed: a token per role and a revoked one, a registered workflow, and for
// each chunk of requests fresh resources (a run waiting on a person, its ticket, a patch, a token
// to revoke) so generated requests reach real ones though earlier ones ended them; and the counts
// a refused request must leave as they were.
import type { ApiHarness } from '../../packages/control/src/http/test-support.js';
import { gatedWorkflow } from '../../packages/control/src/http/test-support.js';
import type { FuzzTarget, StoreCounts } from './drive.js';
import { ROLES } from './requests.js';

export async function fuzzTarget(api: ApiHarness): Promise<FuzzTarget> {
  const tokens: Record<string, string> = {};
  for (const role of ROLES) tokens[role] = await api.token(role);
  const call = (method: string, path: string, body?: unknown) =>
    api.call(method, path, { token: tokens['admin']!, ...(body !== undefined ? { body } : {}) });
  const made = await call('POST', '/v1/tokens', { subject: 'fuzz-revoked', role: 'admin' });
  await call('DELETE', `/v1/tokens/${made.body.tokenId}`);
  tokens['revoked'] = made.body.token as string;
  await call('POST', '/v1/workflows', { definition: gatedWorkflow('fuzz') });
  const waitingRun = async (): Promise<{ runId: string; ticketId: string }> => {
    const started = await call('POST', '/v1/runs', { workflow: 'fuzz' });
    const runId = started.body.runId as string;
    const settled = await call('GET', `/v1/runs/${runId}/wait?untilSettled=true&timeoutMs=5000`);
    return { runId, ticketId: settled.body.waitingOn[0] as string };
  };
  const workflowPatch = await call('POST', '/v1/patches', {
    target: 'fuzz',
    ops: [{ op: 'replace', path: '/nodes/2/with/value', value: '{% 3 %}' }],
  });
  const ids = async (): Promise<string[]> => {
    const { runId, ticketId } = await waitingRun();
    const patch = await call('POST', '/v1/patches', {
      target: runId,
      ops: [{ op: 'replace', path: '/nodes/2/with/value', value: '{% 5 %}' }],
    });
    const spare = await call('POST', '/v1/tokens', { subject: 'fuzz-spare', role: 'viewer' });
    return [
      runId,
      ticketId,
      patch.body.patchId as string,
      workflowPatch.body.patchId as string,
      spare.body.tokenId as string,
      made.body.tokenId as string,
      'fuzz',
      'fuzz@1',
      'a',
      'gate',
      'b',
    ];
  };
  const store = api.engine.store;
  // The in-memory content store keeps its objects in a private map: counted, not read.
  const content = api.engine.content as unknown as { texts?: Map<string, string> };
  if (!(content.texts instanceof Map)) throw new Error('cannot count the content store objects');
  const stored = async (): Promise<StoreCounts> => ({
    runs: (await store.listRuns({})).length,
    workflows: (await store.listWorkflows()).length,
    workflowPatches: (await store.listWorkflowPatches()).length,
    tokens: (await store.listTokens()).length,
  });
  return {
    url: api.url,
    tokens,
    ids,
    waitingRun: async () => (await waitingRun()).runId,
    stored,
    storedAll: async () => {
      const runs = await store.listRuns({});
      return {
        ...(await stored()),
        events: runs.reduce((n, r) => n + r.lastSeq, 0),
        commands: (await store.pendingCommands()).length,
        contentObjects: content.texts!.size,
      };
    },
  };
}
