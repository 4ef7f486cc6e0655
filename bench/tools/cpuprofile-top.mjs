// Prints the functions with the most self time in a V8 .cpuprofile (as written by
// `node --cpu-prof`), with their file and line, and the same totals grouped by file and by
// package. Paths are shown relative to the repository; node internals keep their `node:` names.
//
// Inclusive time (a function and everything it called, each sample counted once per function)
// is listed too, for the repository's own code; --callers NAME shows the call paths that lead
// to a function (say `sha256` or `contentOf`), weighted by the time spent under it.
//
//   node bench/tools/cpuprofile-top.mjs PROFILE.cpuprofile [--top 30] [--callers NAME]
//                                       [--depth 4] [--json]
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from '../lib/harness.mjs';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

const [file, ...rest] = process.argv.slice(2);
if (!file) throw new Error('usage: cpuprofile-top.mjs PROFILE.cpuprofile [--top N] [--json]');
const opts = parseArgs(rest, { top: 30, callers: '', depth: 4, json: false });

const profile = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parentOf = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);

// Self time of a node = its samples x the sampling interval; timeDeltas[i] is the time before
// sample i, so attribute each delta to the sample it precedes.
const selfUs = new Map();
let totalUs = 0;
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
  totalUs += dt;
});

function where(cf) {
  if (!cf.url) return '(native)';
  let path = cf.url.startsWith('file://') ? fileURLToPath(cf.url) : cf.url;
  if (path.startsWith('/')) path = relative(REPO, path);
  return `${path}:${cf.lineNumber + 1}`;
}

function pkgOf(cf) {
  const url = cf.url ?? '';
  if (!url) return '(native / gc / idle)';
  if (url.startsWith('node:')) return 'node internals';
  const m = /\/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url) ?? /\/packages\/([^/]+)\//.exec(url);
  if (!m) return 'other';
  return m[1].startsWith('@') || url.includes('/node_modules/') ? m[1] : `@aob/${m[1]}`;
}

const fns = new Map();
const files = new Map();
const pkgs = new Map();
const add = (map, key, us) => map.set(key, (map.get(key) ?? 0) + us);
for (const [id, us] of selfUs) {
  const cf = byId.get(id).callFrame;
  const name = cf.functionName || '(anonymous)';
  add(fns, `${name}\t${where(cf)}`, us);
  add(files, cf.url ? where(cf).replace(/:\d+$/, '') : name, us);
  add(pkgs, pkgOf(cf), us);
}

/** The call frames of a sample's stack, innermost first. */
function stackOf(id) {
  const frames = [];
  for (let at = id; at !== undefined; at = parentOf.get(at)) frames.push(byId.get(at).callFrame);
  return frames;
}
const label = (cf) => `${cf.functionName || '(anonymous)'} ${where(cf)}`;
const ours = (cf) => /\/(packages|cli)\/[^/]+\/(dist|src)\//.test(cf.url ?? '');

const inclusive = new Map();
const callers = new Map();
for (const [id, us] of selfUs) {
  const stack = stackOf(id);
  const seen = new Set();
  for (const cf of stack) {
    if (!ours(cf)) continue;
    const key = label(cf);
    if (seen.has(key)) continue;
    seen.add(key);
    add(inclusive, key, us);
  }
  if (opts.callers) {
    // The outermost frame of the named function, and the frames that called it.
    let outer = -1;
    stack.forEach((cf, i) => {
      if (cf.functionName === opts.callers) outer = i;
    });
    if (outer >= 0) {
      const path = stack
        .slice(outer, outer + 1 + opts.depth)
        .map(label)
        .join(' <- ');
      add(callers, path, us);
    }
  }
}

const top = (map, n) =>
  [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([key, us]) => ({ key, ms: us / 1000, pct: (100 * us) / totalUs }));

const result = {
  totalMs: totalUs / 1000,
  functions: top(fns, opts.top).map(({ key, ms, pct }) => {
    const [fn, at] = key.split('\t');
    return { function: fn, at, ms, pct };
  }),
  files: top(files, opts.top),
  packages: top(pkgs, 20),
  inclusive: top(inclusive, opts.top),
  ...(opts.callers ? { callers: top(callers, opts.top) } : {}),
};

if (opts.json) {
  console.log(JSON.stringify(result, null, 2));
} else {
  const pct = (p) => `${p.toFixed(1).padStart(5)}%`;
  console.log(`total sampled: ${result.totalMs.toFixed(0)} ms\n\nself time by package`);
  for (const p of result.packages) console.log(`  ${pct(p.pct)}  ${p.key}`);
  console.log('\nself time by file');
  for (const f of result.files) console.log(`  ${pct(f.pct)}  ${f.key}`);
  console.log('\nself time by function');
  for (const f of result.functions) console.log(`  ${pct(f.pct)}  ${f.function}  ${f.at}`);
  console.log('\ninclusive time, repository code');
  for (const f of result.inclusive) console.log(`  ${pct(f.pct)}  ${f.key}`);
  if (result.callers) {
    console.log(`\ncall paths to ${opts.callers} (time under it)`);
    for (const c of result.callers) console.log(`  ${pct(c.pct)}  ${c.key}`);
  }
}
