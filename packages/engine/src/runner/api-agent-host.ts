// How an agent node on a cluster runner reads its run and proposes patches (executors/types.ts
// AgentHost; ARCHITECTURE §9): through the API, as any client, with the job token its job carries
// (cluster/job-tokens.ts) — runners hold no database credentials. The token is the agent's
// identity (`agent:<nodeId>`, the author of its proposals) and reaches this run only; a proposal
// is a `POST /v1/patches`, judged by the validator service and the run's patch policy like
// anyone's. Answers read as the local host's do (local/agent-host.ts): same shapes, same codes.
import type { NodeJob, WorkflowDefinition } from '@aob/core';
import { AobError } from '@aob/core';
import { AobApiError, AobHttpClient } from '@aob/client';
import type { AgentHost, GraphView } from '../executors/types.js';
import { patchOutcome } from '../executors/agent/patch-outcome.js';

export interface ApiAgentHostOptions {
  /** The API's base URL (AOB_API_URL), e.g. `http://aob-api:8090`. */
  apiUrl: string;
  now?: () => number;
  /** For tests. */
  fetch?: typeof fetch;
}

export function apiAgentHost(opts: ApiAgentHostOptions): (job: NodeJob) => AgentHost {
  const now = opts.now ?? Date.now;
  return (job) => {
    const grant = job.jobToken;
    if (grant === undefined) {
      throw new AobError(
        'AGENT_NOT_CONFIGURED',
        `agent node ${job.nodeId}: its job carries no job token (the orchestrators mint one as they publish an agent job), so it cannot reach run ${job.runId}`,
        { retryable: false },
      );
    }
    if (grant.expiresAt <= now()) {
      throw new AobError(
        'JOB_TOKEN_EXPIRED',
        `agent node ${job.nodeId}: its job token expired ${now() - grant.expiresAt} ms before the job started (it waited past its timeout and AOB_JOB_TOKEN_GRACE_MS); the next attempt gets a fresh one`,
        { retryable: true },
      );
    }
    const client = new AobHttpClient({
      baseUrl: opts.apiUrl,
      token: grant.token,
      ...(opts.fetch ? { fetch: opts.fetch } : {}),
    });
    const runId = job.runId;
    return {
      async graph(): Promise<GraphView> {
        const run = await client.getRun(runId);
        // The IR's definition is content of the run, by its hash: immutable, so read after the
        // view it stays the definition the view's statuses belong to.
        const definition = (await client.getRunContent(runId, run.irHash)) as WorkflowDefinition;
        const nodes: GraphView['nodes'] = {};
        for (const n of definition.nodes) {
          nodes[n.id] = { status: run.nodes[n.id]?.status ?? 'pending' };
        }
        return { runId, irHash: run.irHash, definition, nodes };
      },
      async nodeOutput(nodeId) {
        let detail;
        try {
          detail = await client.getRunNode(runId, nodeId);
        } catch (err) {
          if (err instanceof AobApiError && err.code === 'NODE_NOT_FOUND') {
            throw new AobError('UNKNOWN_NODE', `run ${runId} has no node ${nodeId}`);
          }
          throw err;
        }
        if (detail.status !== 'succeeded' || detail.outputRef === undefined) {
          throw new AobError(
            'NODE_NOT_FINISHED',
            `node ${nodeId} has no output (it is ${detail.status})`,
          );
        }
        return detail.output;
      },
      // The author is the token's subject (`agent:<nodeId>`): the API takes identity from the
      // token, never from the request.
      async proposePatch({ ops, rationale, baseIrHash }) {
        const view = await client.proposePatch({
          target: runId,
          patch: { ops, ...(baseIrHash !== undefined ? { baseIrHash } : {}) },
          ...(rationale !== undefined ? { rationale } : {}),
        });
        return patchOutcome(view);
      },
    };
  };
}
