// Starts what the cluster benchmark needs beyond the machine's PostgreSQL — Kafka and an S3
// server — with the integration tests' own service modules (each uses the service its
// environment variable names, else starts a private one), prints their environment as KEY=VALUE
// lines (the services' names, then the tests' and benchmarks'), then `ready`, and stops them when
// it is told to or left alone. Run by bench/cluster.mjs through vite-node (the service modules are
// TypeScript), or by hand: `npx vite-node bench/tools/services.ts`.
//
// The JVMs must not outlive this process, however it ends:
// - SIGTERM, SIGINT, SIGHUP: each service is stopped (its JVM gets SIGTERM, then SIGKILL), then
//   the process exits; a signal more than a second later exits at once.
// - Its parent, or a process above it, exits: npx passes SIGTERM on to the shell it runs
//   vite-node in, which dies without passing it on; a SIGKILLed npx leaves that shell alive,
//   waiting; a harness may be killed outright. The chain of ancestors is watched: an orphan is
//   re-parented, so the chain changes.
// - Anything that ends it through process.exit (an error, the above): the launchers' 'exit'
//   guards SIGKILL the JVMs still running.
// The JVMs stay in this process's process group, so a signal to the whole group (a terminal's
// Ctrl-C, `kill -- -PGID`) reaches them directly even if this process cannot act (SIGKILL).
import { readFileSync } from 'node:fs';
import { start as startKafka } from '../../scripts/services/kafka.service.js';
import { start as startS3 } from '../../scripts/services/s3.service.js';
import type { StartedService } from '../../scripts/services/global-setup.js';

/**
 * The pids above this process, parent first, up to (not including) pid 1: read from /proc where
 * there is one; elsewhere only the parent.
 */
function ancestors(): number[] {
  const chain: number[] = [];
  for (let pid = process.ppid; pid > 1 && chain.length < 64;) {
    chain.push(pid);
    try {
      // `pid (comm) state ppid …`, where comm may hold spaces and parentheses.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      pid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {
      break;
    }
  }
  return chain;
}

/** Past this, a stop that hangs gives way to process.exit (whose guards SIGKILL the JVMs). */
const STOP_TIMEOUT_MS = 30_000;
const PARENT_POLL_MS = 500;

const started: StartedService[] = [];
let stopping = false;
let stoppingSince = 0;

function stop(why: string, code = 0): void {
  if (stopping) {
    // A terminal's Ctrl-C may arrive twice at once (to the group, and passed on by npx): only a
    // later one means "now".
    if (Date.now() - stoppingSince < 1_000) return;
    process.stderr.write(`[services] ${why} while stopping: exiting now\n`);
    process.exit(1);
  }
  stopping = true;
  stoppingSince = Date.now();
  process.stderr.write(`[services] ${why}: stopping what was started…\n`);
  setTimeout(() => process.exit(1), STOP_TIMEOUT_MS).unref();
  void (async () => {
    for (const s of [...started].reverse()) await s.stop().catch(() => undefined);
    process.exit(code);
  })();
}

// Installed before anything starts: a signal during the (slow) start must not kill this process
// by default, which would run no 'exit' guard and leave a JVM behind.
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const)
  process.on(signal, () => stop(signal));
const lineage = ancestors();
setInterval(() => {
  if (stopping) return;
  const now = ancestors();
  const gone = lineage.find((pid) => !now.includes(pid));
  if (gone !== undefined) stop(`process ${gone} above this one exited`);
}, PARENT_POLL_MS);

try {
  for (const start of [startKafka, startS3]) {
    const service = await start();
    // Stopping already (a signal during this start): the loop in stop() has not seen it.
    if (stopping) {
      await service.stop().catch(() => undefined);
      break;
    }
    started.push(service);
  }
} catch (err) {
  process.stderr.write(`[services] ${err instanceof Error ? err.message : String(err)}\n`);
  if (!stopping) stop('a service did not start', 1);
}
if (!stopping) {
  const env = Object.assign({}, ...started.map((s) => s.env)) as Record<string, string>;
  const lines = [
    '# the services (deploy/README.md): aob server, node services/<name>/dist/main.js',
    `AOB_KAFKA_BROKERS=${env.KAFKA_BROKERS}`,
    `AOB_S3_ENDPOINT=${env.S3_ENDPOINT}`,
    `AOB_S3_BUCKET=${env.S3_BUCKET}`,
    `AOB_S3_REGION=${env.S3_REGION}`,
    'AOB_S3_FORCE_PATH_STYLE=true',
    `AWS_ACCESS_KEY_ID=${env.S3_ACCESS_KEY}`,
    `AWS_SECRET_ACCESS_KEY=${env.S3_SECRET_KEY}`,
    '# the integration tests and the benchmarks',
    ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
  ];
  process.stdout.write(`${lines.join('\n')}\nready\n`);
}
