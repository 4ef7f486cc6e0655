// How a proposal's verdict reads to an agent (PatchOutcome), the same whichever way it reached
// its run: in process (local/agent-host.ts) or through the API (runner/api-agent-host.ts).
import type { PatchView } from '@aob/client';
import type { PatchOutcome } from '../types.js';

export function patchOutcome(view: PatchView): PatchOutcome {
  return {
    patchId: view.patchId,
    status: view.status === 'held' ? 'held' : view.status === 'applied' ? 'applied' : 'rejected',
    violations: view.violations,
    ...(view.irHash !== undefined ? { irHash: view.irHash } : {}),
  };
}
