#!/usr/bin/env node
// The fanout service on its own: `node services/fanout/dist/main.js` with the environment of
// deploy/README.md plus AOB_FANOUT_PORT (or `aob server --services fanout`, the same component).
import { jsonLog, runServer, serviceConfig, stopOnSignals } from '@aob/engine';
import { startFanout } from './index.js';

try {
  const server = await runServer(serviceConfig(process.env, ['fanout']), {
    fanout: startFanout,
  });
  stopOnSignals(server);
} catch (err) {
  jsonLog.error('fanout did not start', {
    error: err instanceof Error ? err.message : String(err),
  });
  process.exit(1);
}
