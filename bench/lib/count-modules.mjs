// Preloaded with `node --import <this file>` by bench/cli-startup.mjs to count the files a process
// loads: ES modules through a load hook (count-modules-hooks.mjs, on the hooks thread), CommonJS
// modules from require.cache at exit (Node 20's hooks do not see require() inside CommonJS). Both
// append absolute paths, one a line, to the file AOB_BENCH_MODULES_FILE names; the reader dedupes
// (a CommonJS module imported from ESM appears in both).
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';

const out = process.env.AOB_BENCH_MODULES_FILE;
if (out) {
  register('./count-modules-hooks.mjs', import.meta.url, { data: { out } });
  const requireCache = createRequire(import.meta.url).cache;
  process.on('exit', () => {
    appendFileSync(out, `${Object.keys(requireCache).join('\n')}\n`);
  });
}
