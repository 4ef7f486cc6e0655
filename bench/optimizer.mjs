// The optimizer (issue 19 item 9): on every example workflow and on the three written for it
// (bench/optimizer/: a dead branch, independent sequential `http` calls, repeated transforms), the
// optimizer's own time and what it proposes; and, for the workflows that run here without a
// model or a person, runs of the definition before and after the applied proposals: node
// executions (NodeScheduled events) and wall time (start to the run's end, median of --runs),
// checking both give the same output.
//
//   node bench/optimizer.mjs [--runs 5] [--latency 100] [--json]
//
// The `http` workflow talks to a local server that answers every request after --latency ms.
import { readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { LocalEngine } from '@aob/engine';
import { availablePasses, optimize } from '@aob/optimizer';
import { fmt, median, parseArgs, progress, report } from './lib/harness.mjs';

const BENCH = dirname(fileURLToPath(import.meta.url));
const REPO = dirname(BENCH);
const opts = parseArgs(process.argv.slice(2), { runs: 5, latency: 100, json: false });

const server = createServer((req, res) => {
  setTimeout(() => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ path: req.url, items: [1, 2, 3] }));
  }, opts.latency);
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}`;

/** Workflows that run here: their handlers module and inputs. */
const RUNNABLE = {
  'bench/optimizer/dead-branch.json': { inputs: { mode: 'fast', n: 21 } },
  'bench/optimizer/sequential-http.json': { inputs: { base } },
  'bench/optimizer/repeated-transforms.json': { inputs: { items: [10, 20.5, 3, 7.25] } },
  'examples/fanout/workflow.json': {
    handlers: 'examples/fanout/handlers.mjs',
    inputs: JSON.parse(readFileSync(join(REPO, 'examples/fanout/inputs.json'), 'utf8')),
  },
  'examples/compensate/workflow.json': { handlers: 'examples/compensate/handlers.mjs', inputs: {} },
  'examples/retry/workflow.json': { handlers: 'examples/retry/handlers.mjs', inputs: {} },
};

function workflows() {
  const files = [];
  for (const dir of readdirSync(join(REPO, 'examples'))) {
    for (const f of readdirSync(join(REPO, 'examples', dir))) {
      if (f.endsWith('.json') && f !== 'inputs.json') files.push(`examples/${dir}/${f}`);
    }
  }
  for (const f of readdirSync(join(BENCH, 'optimizer'))) files.push(`bench/optimizer/${f}`);
  return files.sort();
}

/** Runs `definition` --runs times on a fresh engine: node executions and wall time per run. */
async function measure(definition, { handlers, inputs }) {
  const home = mkdtempSync(join(tmpdir(), 'aob-bench-opt-'));
  const module = handlers ? await import(pathToFileURL(join(REPO, handlers)).href) : {};
  const engine = await LocalEngine.open({
    home,
    store: 'memory',
    handlers: { ...module },
    allowPrivateNetwork: true,
  });
  try {
    const walls = [];
    let executions;
    let output;
    let status;
    for (let i = 0; i < opts.runs + 1; i++) {
      const t0 = performance.now();
      const runId = await engine.control.start(definition, inputs);
      const view = await engine.control.wait(runId, { waitMs: 60_000 });
      const wall = performance.now() - t0;
      const events = await engine.control.events(runId);
      if (i > 0) walls.push(wall); // the first run warms the engine up
      executions = events.filter((e) => e.type === 'NodeScheduled').length;
      output = view.output;
      status = view.status;
    }
    return { executions, wallMs: median(walls), output, status };
  } finally {
    await engine.close();
    rmSync(home, { recursive: true, force: true });
  }
}

const rows = [];
try {
  for (const file of workflows()) {
    const definition = JSON.parse(readFileSync(join(REPO, file), 'utf8'));
    if (!Array.isArray(definition.nodes)) continue;
    progress(`optimizer: ${file}`);
    const result = await optimize({ definition, passes: availablePasses() });
    const applied = result.proposals.filter((p) => p.status === 'applied');
    const row = {
      workflow: relative(REPO, join(REPO, file)),
      nodes: [definition.nodes.length, result.definition.nodes.length],
      applied: applied.map((p) => p.pass),
      rejected: result.proposals.filter((p) => p.status !== 'applied').length,
      failed: result.passes.filter((p) => p.error).map((p) => `${p.pass}: ${p.error.code}`),
      optimizerMs: result.ms,
      passMs: Object.fromEntries(result.passes.map((p) => [p.pass, p.ms])),
    };
    const runnable = RUNNABLE[file];
    if (runnable) {
      const before = await measure(definition, runnable);
      const after = await measure(result.definition, runnable);
      row.before = { executions: before.executions, wallMs: before.wallMs, status: before.status };
      row.after = { executions: after.executions, wallMs: after.wallMs, status: after.status };
      row.sameOutput =
        isDeepStrictEqual(before.output, after.output) && before.status === after.status;
    }
    rows.push(row);
  }
} finally {
  server.close();
}

const lines = [
  `optimizer: every built-in pass; runs: median of ${opts.runs} after one warm-up, memory store; http latency ${opts.latency} ms`,
  '',
  '| workflow | nodes before → after | applied | optimizer ms | executions before → after | wall ms before → after | same output |',
  '| --- | --- | --- | --- | --- | --- | --- |',
  ...rows
    .map((r) =>
      [
        r.workflow,
        `${r.nodes[0]} → ${r.nodes[1]}`,
        r.applied.length ? r.applied.join(', ') : '—',
        fmt(r.optimizerMs, 0),
        r.before ? `${r.before.executions} → ${r.after.executions}` : '(not run)',
        r.before ? `${fmt(r.before.wallMs, 1)} → ${fmt(r.after.wallMs, 1)}` : '',
        r.before ? (r.sameOutput ? 'yes' : 'NO') : '',
      ].join(' | '),
    )
    .map((l) => `| ${l} |`),
];
report(opts.json, { runs: opts.runs, latencyMs: opts.latency, rows }, lines);
if (rows.some((r) => r.before && !r.sameOutput)) process.exitCode = 1;
