// CLI start-up (issue 18 item 8): the wall time of whole `aob` processes, from spawn to exit, over
// repeated runs; the files each loads; and the resting memory of a CLI that waits on a run.
//
// Cases, run in interleaved rounds (each round runs every case once, in a rotating order, so load
// from other work on the machine falls on all of them alike):
//   node -e 0                       the floor: starting node itself
//   aob --version                   oclif and whatever start-up loads before any command
//   aob run start one.json --store memory   a one-node workflow (a transform) on the memory store
//   aob run start one.json          the same on the default local store (file: SQLite under
//                                   AOB_HOME, a fresh home reused by every round, as a project's
//                                   (a baseline gets its own: its schema may be older)
//                                   .aob is)
//
// Files loaded: one extra process per case preloads bench/lib/count-modules.mjs (ES modules through
// a load hook, CommonJS from require.cache), kept apart from the timed runs; the most loaded
// packages are listed. Resting RSS: `aob run start` of a workflow that waits on a 20 s timer
// (memory store), read from /proc once the process has used no CPU for 300 ms, then killed.
//
//   node bench/cli-startup.mjs [--runs 20] [--warmup 2] [--top 12] [--baseline DIR] [--json]
//
// `aob` is cli/bin/run.js as built (`npm run build` first). --baseline DIR adds the same cases for
// another built checkout's CLI (DIR/cli/bin/run.js, e.g. the commit before a change), run in the
// same interleaved rounds, so a before/after comparison sees the same load.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, sep } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { fmt, parseArgs, progress, report, summarise } from './lib/harness.mjs';

const BENCH = dirname(fileURLToPath(import.meta.url));
const REPO = dirname(BENCH);
const AOB = join(REPO, 'cli', 'bin', 'run.js');
const COUNTER = join(BENCH, 'lib', 'count-modules.mjs');
const TARGET = { versionMs: 200, runStartMs: 300, restingRssMiB: 60 };

const opts = parseArgs(process.argv.slice(2), {
  runs: 20,
  warmup: 2,
  top: 12,
  baseline: '',
  json: false,
});

const work = mkdtempSync(join(tmpdir(), 'aob-startup-'));
const oneNode = join(work, 'one.json');
writeFileSync(
  oneNode,
  JSON.stringify({
    name: 'bench-one-node',
    version: '1',
    nodes: [{ id: 'only', type: 'transform', with: { value: 'done' } }],
    edges: [],
  }),
);
const waiting = join(work, 'waiting.json');
writeFileSync(
  waiting,
  JSON.stringify({
    name: 'bench-waiting',
    version: '1',
    nodes: [{ id: 'wait', type: 'timer', with: { durationMs: 20_000 } }],
    edges: [],
  }),
);
const env = { ...process.env, AOB_HOME: join(work, 'home') };
for (const name of Object.keys(env)) if (name.startsWith('OTEL_')) delete env[name];

/** The timed cases of one CLI binary; `tag` tells a baseline's apart. */
function cliCases(aob, tag) {
  const suffix = tag ? ` [${tag}]` : '';
  const idSuffix = tag ? `:${tag}` : '';
  const home = { AOB_HOME: join(work, `home${idSuffix.replace(':', '-')}`) };
  return [
    {
      id: `version${idSuffix}`,
      label: `aob --version${suffix}`,
      argv: [aob, '--version'],
      target: TARGET.versionMs,
    },
    {
      id: `runStartMemory${idSuffix}`,
      label: `aob run start (1 node, memory)${suffix}`,
      argv: [aob, 'run', 'start', oneNode, '--store', 'memory'],
      target: TARGET.runStartMs,
    },
    {
      id: `runStartFile${idSuffix}`,
      label: `aob run start (1 node, file)${suffix}`,
      argv: [aob, 'run', 'start', oneNode],
      env: home,
      target: TARGET.runStartMs,
    },
  ];
}

const baselineAob = opts.baseline ? join(opts.baseline, 'cli', 'bin', 'run.js') : undefined;
const CASES = [
  { id: 'node', label: 'node -e 0 (floor)', argv: ['-e', '0'] },
  ...cliCases(AOB),
  ...(baselineAob ? cliCases(baselineAob, 'baseline') : []),
];
const RSS_CLIS = [
  { tag: '', aob: AOB },
  ...(baselineAob ? [{ tag: 'baseline', aob: baselineAob }] : []),
];

/** Runs `node …argv` to its end; resolves with the wall time in ms. A non-zero exit is an error. */
function timedRun(argv, extraEnv = {}) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, argv, {
      env: { ...env, ...extraEnv },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      const ms = performance.now() - started;
      if (code === 0) resolve(ms);
      else reject(new Error(`node ${argv.join(' ')} exited ${code ?? signal}: ${stderr.trim()}`));
    });
  });
}

/** The distinct files one process of `argv` loads, counted by the preloaded counter. */
async function filesLoaded(argv, caseEnv = {}) {
  const out = join(work, `modules-${process.hrtime.bigint()}.txt`);
  writeFileSync(out, '');
  await timedRun(['--import', COUNTER, ...argv], { ...caseEnv, AOB_BENCH_MODULES_FILE: out });
  const files = new Set(readFileSync(out, 'utf8').split('\n').filter(Boolean));
  files.delete(COUNTER);
  return [...files];
}

/** Who a loaded file belongs to: its npm package, a workspace of this repository, or `other`. */
function ownerOf(file) {
  const marker = `${sep}node_modules${sep}`;
  const at = file.lastIndexOf(marker);
  if (at >= 0) {
    const parts = file.slice(at + marker.length).split(sep);
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  // This checkout's or a baseline's workspaces alike.
  const workspace = /(?:^|\/)((?:packages|services|apps)\/[^/]+|cli|schemas)\//.exec(file);
  return workspace ? workspace[1] : 'other';
}

function byOwner(files, top) {
  const counts = new Map();
  for (const file of files) counts.set(ownerOf(file), (counts.get(ownerOf(file)) ?? 0) + 1);
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([owner, files]) => ({ owner, files }));
}

/** CPU ticks (utime + stime) of a live process, from /proc. */
function cpuTicks(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

function statusKiB(pid, field) {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${field}:`));
  return Number(/(\d+)/.exec(line)[1]);
}

/**
 * Starts `aob run start` of the waiting workflow, waits until it has used no CPU for 300 ms (it
 * waits on its timer), reads its RSS and peak RSS, and kills it.
 */
async function restingRss(aob) {
  const child = spawn(process.execPath, [aob, 'run', 'start', waiting, '--store', 'memory'], {
    env,
    stdio: 'ignore',
  });
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  try {
    let last = -1;
    let quietPolls = 0;
    for (let waited = 0; quietPolls < 3; waited += 100) {
      if (waited > 15_000) throw new Error('the waiting CLI never came to rest');
      if (child.exitCode !== null) throw new Error(`the waiting CLI exited ${child.exitCode}`);
      await sleep(100);
      const ticks = cpuTicks(child.pid);
      quietPolls = ticks === last ? quietPolls + 1 : 0;
      last = ticks;
    }
    return {
      rssMiB: statusKiB(child.pid, 'VmRSS') / 1024,
      peakMiB: statusKiB(child.pid, 'VmHWM') / 1024,
    };
  } finally {
    child.kill('SIGKILL');
  }
}

try {
  progress(
    `cli-startup: ${opts.warmup} warm-up and ${opts.runs} measured rounds of ${CASES.length} cases`,
  );
  const samples = Object.fromEntries(CASES.map((c) => [c.id, []]));
  for (let round = 0; round < opts.warmup + opts.runs; round++) {
    for (let i = 0; i < CASES.length; i++) {
      const c = CASES[(round + i) % CASES.length];
      const ms = await timedRun(c.argv, c.env);
      if (round >= opts.warmup) samples[c.id].push(ms);
    }
  }
  const files = {};
  for (const c of CASES) {
    const loaded = await filesLoaded(c.argv, c.env);
    files[c.id] = { total: loaded.length, top: byOwner(loaded, opts.top) };
  }
  const rests = {};
  for (const { tag, aob } of RSS_CLIS) {
    const samples = [];
    for (let i = 0; i < 3; i++) samples.push(await restingRss(aob));
    samples.sort((a, b) => a.rssMiB - b.rssMiB);
    rests[tag || 'current'] = { ...samples[1], samples, target: TARGET.restingRssMiB };
  }

  const cases = CASES.map((c) => ({
    id: c.id,
    label: c.label,
    wallMs: summarise(samples[c.id]),
    filesLoaded: files[c.id].total,
    target: c.target,
  }));
  const result = {
    bench: 'cli-startup',
    node: process.version,
    runs: opts.runs,
    cases,
    filesByOwner: Object.fromEntries(CASES.map((c) => [c.id, files[c.id].top])),
    restingRss: rests,
  };
  const lines = [
    `CLI start-up, ${opts.runs} rounds (node ${process.version}); wall ms from spawn to exit`,
    '',
    `${'case'.padEnd(44)}   p50      p90      min   files  target`,
    ...cases.map(
      (c) =>
        `${c.label.padEnd(44)} ${fmt(c.wallMs.p50, 0).padStart(5)}    ${fmt(c.wallMs.p90, 0).padStart(5)}    ${fmt(c.wallMs.min, 0).padStart(5)}  ${String(c.filesLoaded).padStart(6)}  ${c.target ? `≤ ${c.target}` : ''}`,
    ),
    '',
    ...Object.entries(rests).map(
      ([tag, rest]) =>
        `resting RSS [${tag}] (aob run start waiting on a timer, memory store; median of 3): ${fmt(rest.rssMiB, 1)} MiB (peak ${fmt(rest.peakMiB, 1)} MiB; target ≤ ${TARGET.restingRssMiB} MiB)`,
    ),
    '',
    ...CASES.filter((c) => c.id !== 'node').flatMap((c) => [
      `files loaded by ${c.label}, most first:`,
      ...files[c.id].top.map((o) => `  ${String(o.files).padStart(5)}  ${o.owner}`),
    ]),
  ];
  report(opts.json, result, lines);
} finally {
  rmSync(work, { recursive: true, force: true });
}
