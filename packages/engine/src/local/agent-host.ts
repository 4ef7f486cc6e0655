// How an agent node of a local run reads its run and proposes patches (executors/types.ts
// AgentHost): from the store, and through the same proposePatch path as `aob patch propose`, so
// its proposals meet the same validator and land in the same log.
import type { IR, NodeJob } from '@aob/core';
import { AobError, fold } from '@aob/core';
import type { ContentStore, RunLogStore } from '@aob/store';
import type { AgentHost, PatchOutcome } from '../executors/types.js';
import type { PatchView } from '../app/patches.js';
import { patchOutcome } from '../executors/agent/patch-outcome.js';

export interface LocalAgentHostDeps {
  store: RunLogStore;
  content: ContentStore;
  loadIr: (irHash: string) => Promise<IR>;
  proposePatch: (
    runId: string,
    patch: Record<string, unknown>,
    opts: { author: string; rationale?: string },
  ) => Promise<PatchView>;
}

export function localAgentHost(deps: LocalAgentHostDeps): (job: NodeJob) => AgentHost {
  return (job) => {
    const state = async () => fold(await deps.store.read(job.runId), job.runId);
    return {
      async graph() {
        const s = await state();
        const ir = await deps.loadIr(s.irHash);
        const nodes: Record<string, { status: string }> = {};
        for (const n of ir.nodes) nodes[n.id] = { status: s.nodes[n.id]?.status ?? 'pending' };
        return { runId: job.runId, irHash: s.irHash, definition: ir.definition, nodes };
      },
      async nodeOutput(nodeId) {
        const s = await state();
        const ir = await deps.loadIr(s.irHash);
        if (!ir.byId.has(nodeId)) {
          throw new AobError('UNKNOWN_NODE', `run ${job.runId} has no node ${nodeId}`);
        }
        const n = s.nodes[nodeId];
        if (!n?.output || n.status !== 'succeeded') {
          throw new AobError(
            'NODE_NOT_FINISHED',
            `node ${nodeId} has no output (it is ${n?.status ?? 'pending'})`,
          );
        }
        return deps.content.get(n.output);
      },
      async proposePatch({ ops, author, rationale, baseIrHash }): Promise<PatchOutcome> {
        const view = await deps.proposePatch(
          job.runId,
          { ops, ...(baseIrHash !== undefined ? { baseIrHash } : {}) },
          { author, ...(rationale !== undefined ? { rationale } : {}) },
        );
        return patchOutcome(view);
      },
    };
  };
}
