#!/usr/bin/env node
// The hitl service on its own: `node services/hitl/dist/main.js` with the environment of
// deploy/README.md plus AOB_HITL_PORT (or `aob server --services hitl`, the same component).
import { runServiceMain } from '@aob/engine';
import { startHitl } from './index.js';

await runServiceMain('hitl', startHitl);
