// The control plane over the local engine, as `aob dev` serves it and `aob mcp` acts on it: the
// same operations, authorisation and views as the api service, with the engine's RunControl and
// an approval desk in this process.
import { ApprovalDesk, ControlPlane } from '@aob/control';
import type { LocalEngine } from '@aob/engine';

export function localControlPlane(engine: LocalEngine): ControlPlane {
  const control = engine.control;
  return new ControlPlane({
    control,
    store: engine.store,
    approvals: new ApprovalDesk({ control }),
    // The engine's own: drafts changed here reach its feeds at once.
    drafts: engine.drafts,
    schedules: engine.schedules,
  });
}
