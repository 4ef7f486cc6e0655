#!/usr/bin/env node
// The validator service on its own: `node services/validator/dist/main.js` with the environment of
// deploy/README.md (or `aob server --services validator`, which runs the same component).
import { jsonLog, runServer, serviceConfig, stopOnSignals } from '@aob/engine';
import { startValidator } from './index.js';

try {
  const server = await runServer(serviceConfig(process.env, ['validator']), {
    validator: startValidator,
  });
  stopOnSignals(server);
} catch (err) {
  jsonLog.error('validator did not start', {
    error: err instanceof Error ? err.message : String(err),
  });
  process.exit(1);
}
