// An Orchestrator for unit tests: a fixed clock and random, real ids, no subworkflows; the test
// gives the stores, the bus and the IRs, and may override the rest. Not part of the build.
import { newId } from '../app/ids.js';
import { Orchestrator } from '../orchestrator/orchestrator.js';
import type { OrchestratorDeps } from '../orchestrator/orchestrator.js';

export function testOrchestrator(
  deps: Pick<OrchestratorDeps, 'events' | 'content' | 'bus' | 'loadIr'> & Partial<OrchestratorDeps>,
): Orchestrator {
  return new Orchestrator({
    now: () => 1_000,
    random: () => 0.5,
    newId,
    resolveWorkflow: async () => {
      throw new Error('no subworkflows here');
    },
    ...deps,
  });
}
