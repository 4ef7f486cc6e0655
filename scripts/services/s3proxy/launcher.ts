// Fetches s3proxy (an S3 API) from Maven Central and runs one private instance: a free port on
// 127.0.0.1, fresh random credentials, objects in the JVM's memory, its config in a temp dir that
// `stop()` removes. The jar (~50 MB) is cached under `~/.cache/aob/s3proxy-<version>/`, so only
// the first run on a machine downloads it; a marker file written after the download says the
// cached jar is whole.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

export const S3PROXY_VERSION = '3.0.0';
const JAR = `s3proxy-${S3PROXY_VERSION}-jar-with-dependencies.jar`;
const MARKER = '.complete';
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

export function cacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'aob', `s3proxy-${S3PROXY_VERSION}`);
}

/** The path of the cached jar, downloading it with Maven first if it is not there yet. */
export async function fetchJar(dir = cacheDir()): Promise<string> {
  const jar = join(dir, JAR);
  if (existsSync(join(dir, MARKER)) && existsSync(jar)) return jar;
  const started = Date.now();
  log(`downloading s3proxy ${S3PROXY_VERSION} from Maven Central into ${dir}`);
  await mkdir(dir, { recursive: true });
  // Maven writes into a directory of its own, renamed into place only once complete: an
  // interrupted download (or a second test run downloading at the same time) never leaves a
  // partial jar where the marker would vouch for it.
  const staging = await mkdtemp(join(dir, 'download-'));
  try {
    await run('mvn', [
      '-B',
      '-q',
      'org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy',
      `-Dartifact=org.gaul:s3proxy:${S3PROXY_VERSION}:jar:jar-with-dependencies`,
      `-DoutputDirectory=${staging}`,
    ]);
    await rename(join(staging, JAR), jar);
    await writeFile(join(dir, MARKER), `${new Date().toISOString()}\n`);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  log(`downloaded in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return jar;
}

/** Starts a private s3proxy and resolves once it answers HTTP. */
export async function launchS3Proxy(): Promise<S3Proxy> {
  const jar = await fetchJar();
  const started = Date.now();
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const accessKey = `aob${randomBytes(8).toString('hex')}`;
  const secretKey = randomBytes(24).toString('hex');
  const home = await mkdtemp(join(tmpdir(), 'aob-s3proxy-'));
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

  const output = new OutputTail();
  const child = spawn('java', ['-Xmx512m', '-jar', jar, '--properties', conf], {
    cwd: home,
    // s3proxy's bundled logback.xml reads LOG_LEVEL; errors (e.g. a rejected header) still show.
    env: { ...process.env, LOG_LEVEL: process.env.S3PROXY_LOG_LEVEL ?? 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => output.add(chunk));
  child.stderr?.on('data', (chunk: Buffer) => output.add(chunk));
  const exited = new Promise<string>((resolve) => {
    child.once('error', (err) => resolve(`could not start (${err.message})`));
    child.once('exit', (code, signal) => resolve(`exited with ${signal ?? `code ${code}`}`));
  });
  // If this process exits without calling stop() (process.exit, an uncaught error), neither the
  // JVM nor its data outlive it. A signal that ends the process by default runs no 'exit'
  // listener: its owner turns signals into process.exit (bench/tools/services.ts), or the signal
  // goes to the whole process group, the JVM's too.
  const killOnExit = (): void => {
    if (isRunning(child)) child.kill('SIGKILL');
    rmSync(home, { recursive: true, force: true });
  };
  process.once('exit', killOnExit);

  const stop = async (): Promise<void> => {
    process.removeListener('exit', killOnExit);
    if (isRunning(child)) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    }
    await rm(home, { recursive: true, force: true });
  };

  try {
    await waitUntilAnswering(endpoint, exited);
  } catch (err) {
    await stop();
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(`s3proxy did not start: ${message}\n--- s3proxy output (tail) ---\n${output}`);
  }
  log(
    `pid ${child.pid} listening on ${endpoint} after ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  return { endpoint, accessKey, secretKey, pid: child.pid ?? 0, stop };
}

/** Any HTTP answer to `GET /` (anonymous, so 403) means the server is up. */
async function waitUntilAnswering(endpoint: string, exited: Promise<string>): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let exit: string | undefined;
  void exited.then((e) => (exit = e));
  for (;;) {
    if (exit !== undefined) throw new Error(`the process ${exit}`);
    try {
      await fetch(`${endpoint}/`, { signal: AbortSignal.timeout(2_000) });
      return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`no answer from ${endpoint} within 60 s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function isRunning(child: ChildProcess): boolean {
  return child.pid !== undefined && child.exitCode === null && child.signalCode === null;
}

/** A port the OS just handed out; s3proxy binds it a moment later. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

/** Runs a command to completion; on failure the error carries the tail of its output. */
async function run(command: string, args: string[]): Promise<void> {
  const output = new OutputTail();
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (chunk: Buffer) => output.add(chunk));
  child.stderr.on('data', (chunk: Buffer) => output.add(chunk));
  const result = await new Promise<string | undefined>((resolve) => {
    child.once('error', (err) => resolve(`could not run ${command}: ${err.message}`));
    child.once('exit', (code, signal) =>
      resolve(code === 0 ? undefined : `${command} exited with ${signal ?? `code ${code}`}`),
    );
  });
  if (result !== undefined) throw new Error(`${result}\n${output}`);
}

/** The last few kilobytes a process wrote, for error messages. */
class OutputTail {
  private text = '';
  constructor(private readonly maxChars = 8_000) {}
  add(chunk: Buffer): void {
    this.text = (this.text + chunk.toString('utf8')).slice(-this.maxChars);
  }
  toString(): string {
    return this.text.trimEnd() || '(no output)';
  }
}
