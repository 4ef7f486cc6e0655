// How long `POST /v1/runs` takes to answer on the small install's one process: `aob server
// --services api,orchestrator,runner` over the machine's PostgreSQL, Redis Streams and S3. The API
// answers 201 once the run's RunStarted is in the log, which an orchestrator commits after reading
// the start command from the bus; this measures that round, sequentially, one start at a time.
//
//   node bench/api-start.mjs [--starts 60] [--warmup 10] [--rounds 2] [--baseline DIR] [--json]
//
// Each round starts a fresh server (its own database, Redis prefix and S3 prefix), creates an admin
// token with `aob token create`, registers a one-node workflow and starts it --warmup + --starts
// times. --baseline DIR runs the same against another built checkout's CLI (DIR/cli/bin/run.js),
// alternating with this one's in every round, so both see the same load. Needs S3_* (or starts
// Kafka and s3proxy with bench/lib/services.mjs) and Redis on REDIS_URL (default 127.0.0.1:6379).
import { execFileSync, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { freshDatabase } from './lib/databases.mjs';
import { fmt, median, parseArgs, progress, report, summarise } from './lib/harness.mjs';
import { freePort } from './lib/ports.mjs';
import { dropRedisKeys } from './lib/redis-keys.mjs';
import { ensureServices } from './lib/services.mjs';

const REPO = dirname(dirname(fileURLToPath(import.meta.url)));
const opts = parseArgs(process.argv.slice(2), {
  starts: 60,
  warmup: 10,
  rounds: 2,
  baseline: '',
  json: false,
});
const PG = process.env.AOB_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const DEFINITION = {
  name: 'api-start-bench',
  version: '1',
  nodes: [{ id: 'only', type: 'transform', with: { value: 1 } }],
  edges: [],
};

/** One round on one CLI: the answer times of the measured starts, in ms. */
async function measure(root, tag) {
  const aob = join(root, 'cli', 'bin', 'run.js');
  const dbUrl = await freshDatabase(pg, PG, `aob_bench_api_${tag}`);
  const [apiPort, grpcPort, healthPort] = [await freePort(), await freePort(), await freePort()];
  const prefix = `aob-api-start-${tag}-${Date.now()}`;
  const e = process.env;
  const env = {
    ...e,
    AOB_DATABASE_URL: dbUrl,
    AOB_BUS: 'redis',
    AOB_REDIS_URL: REDIS_URL,
    AOB_REDIS_PREFIX: `${prefix}:`,
    AOB_S3_ENDPOINT: e.S3_ENDPOINT,
    AOB_S3_BUCKET: e.S3_BUCKET,
    AOB_S3_REGION: e.S3_REGION || 'us-east-1',
    AOB_S3_FORCE_PATH_STYLE: 'true',
    AOB_S3_PREFIX: `${prefix}/`,
    AWS_ACCESS_KEY_ID: e.S3_ACCESS_KEY,
    AWS_SECRET_ACCESS_KEY: e.S3_SECRET_KEY,
    AOB_API_PORT: String(apiPort),
    AOB_GRPC_PORT: String(grpcPort),
    AOB_HTTP_PORT: String(healthPort),
  };
  const server = spawn(process.execPath, [aob, 'server', '--services', 'api,orchestrator,runner'], {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  server.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  try {
    for (let waited = 0; ; waited += 100) {
      const ready = await fetch(`http://127.0.0.1:${healthPort}/readyz`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ready) break;
      if (waited > 30_000 || server.exitCode !== null) {
        throw new Error(`aob server (${tag}) did not become ready:\n${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const created = execFileSync(
      process.execPath,
      [
        aob,
        'token',
        'create',
        '--role',
        'admin',
        '--subject',
        'bench',
        '--database-url',
        dbUrl,
        '--json',
      ],
      { env },
    );
    const { token } = JSON.parse(created.toString());
    const call = (path, body) =>
      fetch(`http://127.0.0.1:${apiPort}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const registered = await call('/v1/workflows', { definition: DEFINITION });
    if (registered.status !== 201) {
      throw new Error(`registering: ${registered.status} ${await registered.text()}`);
    }
    const times = [];
    for (let i = 0; i < opts.warmup + opts.starts; i++) {
      const t0 = performance.now();
      const res = await call('/v1/runs', { workflow: DEFINITION.name, inputs: {} });
      const body = await res.text();
      const ms = performance.now() - t0;
      if (res.status !== 201) throw new Error(`POST /v1/runs (${tag}): ${res.status} ${body}`);
      if (i >= opts.warmup) times.push(ms);
    }
    return times;
  } finally {
    server.kill('SIGTERM');
    await new Promise((resolve) =>
      server.exitCode !== null ? resolve() : server.once('exit', resolve),
    );
    await dropRedisKeys(REDIS_URL, `${prefix}:`);
  }
}

const services = await ensureServices();
const cases = [{ tag: 'current', root: REPO }];
if (opts.baseline) cases.push({ tag: 'baseline', root: opts.baseline });
const rounds = Object.fromEntries(cases.map((c) => [c.tag, []]));
try {
  for (let round = 0; round < opts.rounds; round++) {
    // Alternate which goes first, so neither always meets the other's leftovers.
    const order = round % 2 === 0 ? cases : [...cases].reverse();
    for (const c of order) {
      const summary = summarise(await measure(c.root, c.tag));
      rounds[c.tag].push(summary);
      progress(`  round ${round + 1}/${opts.rounds} ${c.tag}: p50 ${fmt(summary.p50, 1)} ms`);
    }
  }
} finally {
  services.stop();
}
const result = Object.fromEntries(
  Object.entries(rounds).map(([tag, list]) => [
    tag,
    { p50: median(list.map((s) => s.p50)), p90: median(list.map((s) => s.p90)), rounds: list },
  ]),
);
report(opts.json, result, [
  `POST /v1/runs answered 201 on aob server --services api,orchestrator,runner (PostgreSQL, Redis Streams, S3); ${opts.starts} starts a round, one at a time, medians of ${opts.rounds} rounds`,
  ...Object.entries(result).map(
    ([tag, r]) => `  ${tag.padEnd(9)} p50 ${fmt(r.p50, 1)} ms, p90 ${fmt(r.p90, 1)} ms`,
  ),
]);
