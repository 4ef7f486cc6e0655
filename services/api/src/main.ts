#!/usr/bin/env node
// The api service on its own: `node services/api/dist/main.js` with the environment of
// deploy/README.md (or `aob server --services api`, which runs the same component).
import { jsonLog, runServer, serviceConfig, stopOnSignals } from '@aob/engine';
import { startApi } from './index.js';

try {
  const server = await runServer(serviceConfig(process.env, ['api']), {
    api: startApi,
  });
  stopOnSignals(server);
} catch (err) {
  jsonLog.error('api did not start', {
    error: err instanceof Error ? err.message : String(err),
  });
  process.exit(1);
}
