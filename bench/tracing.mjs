// What tracing costs (issue 17): the same benchmark with tracing off and on, in separate
// processes, interleaved (off, on, off, on, …) so the machine's drift hits both alike. On means
// the SDK started from the OTEL_* variables as every composition root starts it, exporting OTLP
// (http/protobuf, batched) to a receiver in this process that reads each request whole and
// answers 200 — a collector that keeps up. The figure is each side's median of the processes'
// own medians, and the cost is 1 − on/off.
//
//   node bench/tracing.mjs [--bench file|cluster] [--pairs 3] [--runs 1000] [--json]
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { fmt, fmtInt, median, parseArgs, progress, report } from './lib/harness.mjs';

const opts = parseArgs(process.argv.slice(2), { bench: 'file', pairs: 3, runs: 1000, json: false });
const TARGET_COST = 0.1;
const BENCHES = {
  file: ['concurrent-runs.mjs', '--store', 'file', '--rounds', '5', '--warmup', '2'],
  cluster: ['cluster.mjs', '--rounds', '3', '--warmup', '1', '--chain-runs', '10'],
};
if (!(opts.bench in BENCHES)) throw new Error(`--bench must be file or cluster, got ${opts.bench}`);

// The receiver: OTLP/HTTP traces, read whole and counted.
const received = { requests: 0, bytes: 0 };
const receiver = createServer((req, res) => {
  let bytes = 0;
  req.on('data', (d) => (bytes += d.length));
  req.on('end', () => {
    received.requests++;
    received.bytes += bytes;
    res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
  });
});
await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const endpoint = `http://127.0.0.1:${receiver.address().port}`;

function runOnce(tracing) {
  const [script, ...args] = BENCHES[opts.bench];
  const env = { ...process.env };
  if (tracing) {
    Object.assign(env, {
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    });
  } else {
    delete env.OTEL_TRACES_EXPORTER;
  }
  const file = fileURLToPath(new URL(script, import.meta.url));
  const argv = [
    file,
    ...args,
    '--runs',
    String(opts.runs),
    '--json',
    ...(tracing ? ['--tracing'] : []),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`${script} exited with ${code}`));
      resolve(JSON.parse(out.trim().split('\n').pop()).medianTransitionsPerSec);
    });
  });
}

const off = [];
const on = [];
try {
  for (let i = 0; i < opts.pairs; i++) {
    for (const tracing of i % 2 === 0 ? [false, true] : [true, false]) {
      const tps = await runOnce(tracing);
      (tracing ? on : off).push(tps);
      progress(`pair ${i + 1}: tracing ${tracing ? 'on ' : 'off'} ${fmtInt(tps)} transitions/s`);
    }
  }
} finally {
  receiver.close();
}
const cost = 1 - median(on) / median(off);
const result = {
  benchmark: 'tracing',
  bench: opts.bench,
  runs: opts.runs,
  off,
  on,
  medianOff: median(off),
  medianOn: median(on),
  cost,
  exported: received,
  target: { metric: 'cost', op: '<=', value: TARGET_COST },
  met: cost <= TARGET_COST,
};
report(opts.json, result, [
  `tracing cost on ${opts.bench === 'file' ? 'the local file store' : 'the cluster topology'} (${opts.runs} concurrent 3-node runs, ${opts.pairs} interleaved pairs of processes)`,
  `  off: ${off.map(fmtInt).join(', ')} transitions/s; median ${fmtInt(result.medianOff)}`,
  `  on (OTLP to a local receiver): ${on.map(fmtInt).join(', ')}; median ${fmtInt(result.medianOn)}`,
  `  cost ${fmt(cost * 100, 1)} % (target ≤ ${TARGET_COST * 100} %): ${result.met ? 'MET' : 'MISSED'}; exported ${fmtInt(received.requests)} requests, ${fmtInt(received.bytes / 1024)} KiB`,
]);
