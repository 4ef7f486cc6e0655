#!/usr/bin/env node
// The api service on its own: `node services/api/dist/main.js` with the environment of
// deploy/README.md (or `aob server --services api`, which runs the same component).
import { runServiceMain } from '@aob/engine';
import { startApi } from './index.js';

await runServiceMain('api', startApi);
