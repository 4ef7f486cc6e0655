// Fetches s3proxy (an S3 API) from Maven Central and runs one private instance: a free port on
// 127.0.0.1, fresh random credentials, objects in the JVM's memory, its config in a temp dir that
// `stop()` removes. The jar (~50 MB) is cached under `~/.cache/aob/s3proxy-<version>/`
// (maven-jar.ts), so only the first run on a machine downloads it.
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../free-ports.js';
import { startJvm } from '../jvm.js';
import type { RunningJvm } from '../jvm.js';
import { fetchMavenJar } from '../maven-jar.js';
import { waitUntilReady } from '../wait-ready.js';

export const S3PROXY_VERSION = '3.0.0';
const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 10_000;

export interface S3Proxy {
  endpoint: string;
  accessKey: string;
  secretKey: string;
  pid: number;
  /** SIGTERM to the process started, SIGKILL after 10 s; then removes the data directory. */
  stop(): Promise<void>;
}

const log = (message: string): void => {
  process.stderr.write(`[s3proxy] ${message}\n`);
};

/** Starts a private s3proxy and resolves once it answers HTTP. */
export async function launchS3Proxy(): Promise<S3Proxy> {
  const jar = await fetchMavenJar(
    {
      groupId: 'org.gaul',
      artifactId: 's3proxy',
      version: S3PROXY_VERSION,
      classifier: 'jar-with-dependencies',
      cacheName: 's3proxy',
    },
    log,
  );
  const started = Date.now();
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const accessKey = `aob${randomBytes(8).toString('hex')}`;
  const secretKey = randomBytes(24).toString('hex');
  const home = await mkdtemp(join(tmpdir(), 'aob-s3proxy-'));
  let jvm: RunningJvm;
  try {
    const conf = join(home, 's3proxy.conf');
    await writeFile(
      conf,
      [
        's3proxy.authorization=aws-v2-or-v4',
        `s3proxy.identity=${accessKey}`,
        `s3proxy.credential=${secretKey}`,
        `s3proxy.endpoint=${endpoint}`,
        // jclouds' in-memory store: its listings are consistent while objects are written and
        // deleted, as AWS S3's and MinIO's are and the attempt ledger needs. The filesystem
        // providers are not: under concurrent puts and deletes in one prefix, about 2 % of their
        // listings leave out an object that exists (measured: 23 of 944), which would let two
        // runners claim one attempt. Nothing here outlives the process anyway.
        'jclouds.provider=transient',
        '',
      ].join('\n'),
    );
    jvm = await startJvm({
      name: 's3proxy',
      args: ['-Xmx512m', '-jar', jar, '--properties', conf],
      cwd: home,
      // s3proxy's bundled logback.xml reads LOG_LEVEL; errors (e.g. a rejected header) still show.
      env: { LOG_LEVEL: process.env.S3PROXY_LOG_LEVEL ?? 'warn' },
      stopGraceMs: STOP_GRACE_MS,
      ready: (exited) => waitUntilAnswering(endpoint, exited),
      // Exiting without stop(): the temp dir goes with the JVM.
      onOrphaned: () => rmSync(home, { recursive: true, force: true }),
    });
  } catch (err) {
    await rm(home, { recursive: true, force: true });
    throw err;
  }
  log(
    `pid ${jvm.pid} listening on ${endpoint} after ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  const stop = async (): Promise<void> => {
    await jvm.stop();
    await rm(home, { recursive: true, force: true });
  };
  return { endpoint, accessKey, secretKey, pid: jvm.pid, stop };
}

/** Any HTTP answer to `GET /` (anonymous, so 403) means the server is up. */
async function waitUntilAnswering(endpoint: string, exited: Promise<string>): Promise<void> {
  await waitUntilReady({
    probe: async () => {
      try {
        await fetch(`${endpoint}/`, { signal: AbortSignal.timeout(2_000) });
        return true;
      } catch {
        return false; // Not listening yet.
      }
    },
    exited,
    timeoutMs: READY_TIMEOUT_MS,
    intervalMs: 200,
    timedOut: () => `no answer from ${endpoint} within 60 s`,
  });
}
