#!/usr/bin/env node
// The orchestrator service on its own: `node services/orchestrator/dist/main.js` with the environment of
// deploy/README.md (or `aob server --services orchestrator`, which runs the same component).
import { jsonLog, runServer, serviceConfig, stopOnSignals } from '@aob/engine';
import { startOrchestrator } from './index.js';

try {
  const server = await runServer(serviceConfig(process.env, ['orchestrator']), {
    orchestrator: startOrchestrator,
  });
  stopOnSignals(server);
} catch (err) {
  jsonLog.error('orchestrator did not start', {
    error: err instanceof Error ? err.message : String(err),
  });
  process.exit(1);
}
