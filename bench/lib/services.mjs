// The services the cluster benchmarks need besides the machine's PostgreSQL: Kafka and an S3
// server, as the environment names them (KAFKA_BROKERS, S3_*), else started privately by
// bench/tools/services.ts (through vite-node: the launchers are TypeScript) and stopped at the end.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { progress } from './harness.mjs';

const REPO = dirname(dirname(dirname(fileURLToPath(import.meta.url))));

export /** The services' environment: given, or started by bench/tools/services.ts (stopped at the end). */
async function ensureServices() {
  if (process.env.KAFKA_BROKERS && process.env.S3_ENDPOINT) return { stop: () => undefined };
  progress('starting Kafka and s3proxy (bench/tools/services.ts)…');
  const child = spawn(
    join(REPO, 'node_modules/.bin/vite-node'),
    [join(REPO, 'bench/tools/services.ts')],
    {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  await new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d.toString();
      if (/^ready$/m.test(out)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`bench/tools/services.ts exited with ${code}`)));
  });
  for (const line of out.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    if (m) process.env[m[1]] = m[2];
  }
  return { stop: () => child.kill('SIGTERM') };
}
