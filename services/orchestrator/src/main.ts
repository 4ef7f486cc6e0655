#!/usr/bin/env node
// The orchestrator service on its own: `node services/orchestrator/dist/main.js` with the environment of
// deploy/README.md (or `aob server --services orchestrator`, which runs the same component).
import { runServiceMain } from '@aob/engine';
import { startOrchestrator } from './index.js';

await runServiceMain('orchestrator', startOrchestrator);
