#!/usr/bin/env node
// The validator service on its own: `node services/validator/dist/main.js` with the environment of
// deploy/README.md (or `aob server --services validator`, which runs the same component).
import { runServiceMain } from '@aob/engine';
import { startValidator } from './index.js';

await runServiceMain('validator', startValidator);
