#!/usr/bin/env node
// The hitl service on its own: `node services/hitl/dist/main.js` with the environment of
// deploy/README.md plus AOB_HITL_PORT (or `aob server --services hitl`, the same component).
import { jsonLog, runServer, serviceConfig, stopOnSignals } from '@aob/engine';
import { startHitl } from './index.js';

try {
  const server = await runServer(serviceConfig(process.env, ['hitl']), {
    hitl: startHitl,
  });
  stopOnSignals(server);
} catch (err) {
  jsonLog.error('hitl did not start', {
    error: err instanceof Error ? err.message : String(err),
  });
  process.exit(1);
}
