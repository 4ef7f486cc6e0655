// Starts what the cluster benchmark needs beyond the machine's PostgreSQL — Kafka and an S3
// server — with the integration tests' own service modules (each uses the service its
// environment variable names, else starts a private one), prints their environment as KEY=VALUE
// lines, then `ready`, and stops them on SIGTERM. Run by bench/cluster.mjs through vite-node (the
// service modules are TypeScript).
import { start as startKafka } from '../../scripts/services/kafka.service.js';
import { start as startS3 } from '../../scripts/services/s3.service.js';

const started = [await startKafka(), await startS3()];
for (const s of started) {
  for (const [k, v] of Object.entries(s.env)) process.stdout.write(`${k}=${v}\n`);
}
process.stdout.write('ready\n');
const stop = async () => {
  for (const s of started.reverse()) await s.stop().catch(() => undefined);
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
setInterval(() => undefined, 1 << 30);
