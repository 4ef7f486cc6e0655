#!/usr/bin/env node
// The runner service on its own: `node services/runner/dist/main.js` with the environment of
// deploy/README.md (or `aob server --services runner`, which runs the same component).
import { runServiceMain } from '@aob/engine';
import { startRunner } from './index.js';

await runServiceMain('runner', startRunner);
