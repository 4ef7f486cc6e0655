#!/usr/bin/env node
// The runner service on its own: `node services/runner/dist/main.js` with the environment of
// deploy/README.md (or `aob server --services runner`, which runs the same component).
import { jsonLog, runServer, serviceConfig, stopOnSignals } from '@aob/engine';
import { startRunner } from './index.js';

try {
  const server = await runServer(serviceConfig(process.env, ['runner']), { runner: startRunner });
  stopOnSignals(server);
} catch (err) {
  jsonLog.error('runner did not start', {
    error: err instanceof Error ? err.message : String(err),
  });
  process.exit(1);
}
