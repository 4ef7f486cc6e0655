#!/usr/bin/env node
// The fanout service on its own: `node services/fanout/dist/main.js` with the environment of
// deploy/README.md plus AOB_FANOUT_PORT (or `aob server --services fanout`, the same component).
import { runServiceMain } from '@aob/engine';
import { startFanout } from './index.js';

await runServiceMain('fanout', startFanout);
