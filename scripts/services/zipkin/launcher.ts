// A real trace backend for the tests, without Docker: Zipkin's server (`io.zipkin:zipkin-server`,
// the runnable `exec` jar) fetched from Maven Central and run on a free port of 127.0.0.1, spans
// kept in the JVM's memory. The jar (~130 MB) is cached under `~/.cache/aob/zipkin-<version>/`, so
// only the first run on a machine downloads it; a marker written after the download says the
// cached jar is whole. With ZIPKIN_URL set (a Zipkin of your own), that one is used as it is.
// `stop()` ends exactly the process it started.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const ZIPKIN_VERSION = '3.5.1';
const JAR = `zipkin-server-${ZIPKIN_VERSION}-exec.jar`;
const MARKER = '.complete';
const READY_TIMEOUT_MS = 120_000;
const STOP_GRACE_MS = 10_000;

export interface RunningZipkin {
  /** The server's base URL, e.g. http://127.0.0.1:9411. */
  url: string;
  /** Where spans are posted (`OTEL_EXPORTER_ZIPKIN_ENDPOINT`): `<url>/api/v2/spans`. */
  spansEndpoint: string;
  /** SIGTERM to the JVM started here (SIGKILL after 10 s); nothing for a ZIPKIN_URL given. */
  stop(): Promise<void>;
}

const log = (message: string): void => {
  process.stderr.write(`[zipkin] ${message}\n`);
};

export function cacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'aob', `zipkin-${ZIPKIN_VERSION}`);
}

/** The path of the cached jar, downloading it with Maven first if it is not there yet. */
export async function fetchJar(dir = cacheDir()): Promise<string> {
  const jar = join(dir, JAR);
  if (existsSync(join(dir, MARKER)) && existsSync(jar)) return jar;
  const started = Date.now();
  log(
    `downloading zipkin-server ${ZIPKIN_VERSION} from Maven Central into ${dir} (first run only)`,
  );
  await mkdir(dir, { recursive: true });
  // Maven writes into a directory of its own, renamed into place only once complete: an
  // interrupted download (or a second run downloading at the same time) never leaves a partial
  // jar where the marker would vouch for it.
  const staging = await mkdtemp(join(dir, 'download-'));
  try {
    await run('mvn', [
      '-B',
      '-q',
      'org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy',
      `-Dartifact=io.zipkin:zipkin-server:${ZIPKIN_VERSION}:jar:exec`,
      `-DoutputDirectory=${staging}`,
    ]);
    if (!existsSync(join(staging, JAR))) throw new Error(`Maven finished but copied no ${JAR}`);
    await rename(join(staging, JAR), jar);
    await writeFile(join(dir, MARKER), `${new Date().toISOString()}\n`);
  } catch (err) {
    throw new Error(
      `could not fetch zipkin-server ${ZIPKIN_VERSION} with Maven (is mvn installed, and Java?): ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  log(`downloaded in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return jar;
}

/**
 * Starts a private Zipkin (or takes ZIPKIN_URL's) and resolves once `GET /health` says UP. A
 * machine without Java or Maven fails here, loudly: no test that needs it skips.
 */
export async function launchZipkin(): Promise<RunningZipkin> {
  const given = process.env.ZIPKIN_URL;
  if (given) {
    const url = given.replace(/\/+$/, '');
    log(`using the Zipkin at ${url}`);
    await waitUp(url, new Promise<string>(() => undefined));
    return { url, spansEndpoint: `${url}/api/v2/spans`, stop: async () => {} };
  }
  const jar = await fetchJar();
  const started = Date.now();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const output = new OutputTail();
  const child = spawn('java', ['-Xmx256m', '-XX:+UseSerialGC', '-jar', jar], {
    // Spans in memory, no self-tracing. QUERY_PORT is where it serves its API and takes spans
    // (POST /api/v2/spans).
    env: {
      ...process.env,
      QUERY_PORT: String(port),
      STORAGE_TYPE: 'mem',
      SELF_TRACING_ENABLED: 'false',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => output.add(chunk));
  child.stderr?.on('data', (chunk: Buffer) => output.add(chunk));
  const exited = new Promise<string>((resolve) => {
    child.once('error', (err) => resolve(`could not start (${err.message}; is Java installed?)`));
    child.once('exit', (code, signal) => resolve(`exited with ${signal ?? `code ${code}`}`));
  });
  // If this process exits without calling stop(), the JVM does not outlive it.
  const killOnExit = (): void => {
    if (isRunning(child)) child.kill('SIGKILL');
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
  };
  try {
    await waitUp(url, exited);
  } catch (err) {
    await stop();
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(`Zipkin did not start: ${message}\n--- zipkin output (tail) ---\n${output}`);
  }
  log(`pid ${child.pid} on ${url}, up after ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { url, spansEndpoint: `${url}/api/v2/spans`, stop };
}

/** Polls `GET /health` until it answers `UP`, the process exits, or two minutes pass. */
async function waitUp(url: string, exited: Promise<string>): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let exit: string | undefined;
  void exited.then((e) => (exit = e));
  let last = 'no answer';
  for (;;) {
    if (exit !== undefined) throw new Error(`the process ${exit}`);
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) });
      const body = await res.text();
      if (res.ok && body.includes('UP')) return;
      last = `${res.status} ${body.slice(0, 200)}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline) {
      throw new Error(`${url}/health did not say UP within ${READY_TIMEOUT_MS / 1000} s (${last})`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

function isRunning(child: ChildProcess): boolean {
  return child.pid !== undefined && child.exitCode === null && child.signalCode === null;
}

/** A port the OS just handed out; Zipkin binds it a moment later. */
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
