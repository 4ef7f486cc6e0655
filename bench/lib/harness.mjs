// What every benchmark shares: the workflows it drives, a fresh engine home, flags, statistics
// and the one-JSON-document output that bench/run.mjs collects. Timing uses performance.now();
// nothing here is imported by the engine.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalEngine, startTracing } from '@aob/engine';

/**
 * A chain of `length` no-op nodes: n1 -> n2 -> ... -> n<length>; `fidelity` 'fast' records no
 * node's start (the workflow's `fidelity`), 'full' (the default) everything. `node` 'task' (the
 * default): tasks whose handler does nothing, executed by the runner; 'transform': transforms of a
 * constant, pure nodes the orchestrator runs itself unless the engine is opened with inline off.
 */
export function chain(length, fidelity = 'full', node = 'task') {
  if (!NODE_KINDS.includes(node)) throw new Error(`--node must be ${NODE_KINDS.join(' or ')}`);
  const nodes = Array.from({ length }, (_, i) => ({
    id: `n${i + 1}`,
    ...(node === 'task'
      ? { type: 'task', with: { handler: 'noop' } }
      : { type: 'transform', with: { value: i + 1 } }),
  }));
  const edges = nodes.slice(1).map((n, i) => ({ from: `n${i + 1}`, to: n.id }));
  return {
    name: `bench-chain-${length}`,
    version: '1',
    ...(fidelity === 'fast' ? { fidelity } : {}),
    nodes,
    edges,
  };
}

export const NODE_KINDS = ['task', 'transform'];

export const handlers = Object.freeze({ noop: async () => null });

/**
 * With `on`, starts tracing from the OTEL_* variables as a composition root does (the engine's
 * startTracing); the handle's shutdown exports what is left. Off: nothing is started.
 */
export async function traceIf(on) {
  if (!on) return { shutdown: async () => undefined };
  const tracing = await startTracing(process.env, { serviceName: 'aob-bench' });
  if (!tracing.enabled) throw new Error('--tracing: set OTEL_TRACES_EXPORTER (e.g. otlp)');
  return tracing;
}

/**
 * Opens a LocalEngine on a fresh home under the OS temp directory (or `parent` when given); the
 * returned close() also deletes the home.
 * `inline` 'off' sends pure nodes to the runner (LocalEngineOptions.inlinePureNodes).
 */
export async function openEngine({ store, concurrency, parent, inline = 'on' }) {
  if (inline !== 'on' && inline !== 'off') throw new Error('--inline must be on or off');
  const home = mkdtempSync(join(parent ?? tmpdir(), 'aob-bench-'));
  const engine = await LocalEngine.open({
    home,
    store,
    handlers,
    ...(concurrency ? { concurrency } : {}),
    // Off: pure nodes go to the runner like tasks (the engine before they ran inline).
    ...(inline === 'off' ? { inlinePureNodes: false } : {}),
  });
  return {
    engine,
    home,
    async close() {
      await engine.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/**
 * Parses `--name value`, `--name=value` and bare `--flag` into an object; `spec` gives each
 * known option its default (its type decides how a value is parsed). Unknown flags are errors.
 */
export function parseArgs(argv, spec) {
  const out = { ...spec };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const m = /^--([a-z][a-z-]*)(?:=(.*))?$/.exec(arg);
    if (!m) throw new Error(`unexpected argument ${arg}`);
    const key = m[1].replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    if (!(key in spec)) throw new Error(`unknown option --${m[1]}`);
    if (typeof spec[key] === 'boolean') {
      out[key] = m[2] === undefined ? true : m[2] !== 'false';
      continue;
    }
    const raw = m[2] ?? argv[++i];
    if (raw === undefined) throw new Error(`--${m[1]} needs a value`);
    out[key] = typeof spec[key] === 'number' ? Number(raw) : raw;
    if (typeof spec[key] === 'number' && !Number.isFinite(out[key])) {
      throw new Error(`--${m[1]} must be a number, got ${raw}`);
    }
  }
  return out;
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** p50/p90/p99/min/max/mean of a sample, in the sample's unit. */
export function summarise(values) {
  const sorted = Float64Array.from(values).sort();
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    min: sorted[0],
    max: sorted[sorted.length - 1],
    mean: sum / sorted.length,
  };
}

/** The spread of repeated measurements: (max - min) / median, as a fraction. */
export function spread(values) {
  return (Math.max(...values) - Math.min(...values)) / median(values);
}

export const fmt = (x, digits = 3) => (Number.isFinite(x) ? x.toFixed(digits) : String(x));
export const fmtInt = (x) => Math.round(x).toLocaleString('en-US');

/**
 * Ends a benchmark: with --json, `result` is the one document on stdout (progress went to
 * stderr); otherwise `lines` are printed for a person.
 */
export function report(json, result, lines) {
  if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else for (const line of lines) console.log(line);
}

/** Progress for a person; stderr, so --json keeps stdout to one document. */
export function progress(message) {
  process.stderr.write(`${message}\n`);
}
