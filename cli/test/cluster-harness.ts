// Private services and real `aob server` processes for the crash tests (cluster-crash.e2e.test.ts):
// a Kafka broker, a PostgreSQL cluster and an S3 server of their own (so killing and restarting
// them disturbs no other test), the orchestrator and runner as separate processes that can be
// SIGKILLed, and a handlers module that appends one line per execution to a file (O_APPEND), so
// executions are counted across processes.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import {
  chownSync,
  createWriteStream,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import type { WriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { bin, repo } from './helpers.js';

export { launchKafka } from '../../scripts/services/kafka/launcher.js';
export type { RunningKafka } from '../../scripts/services/kafka/launcher.js';
export { launchZipkin } from '../../scripts/services/zipkin/launcher.js';
export type { RunningZipkin } from '../../scripts/services/zipkin/launcher.js';

/** Ports free at this moment (held open together so they differ, then released). */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const server = createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((s) => {
    const a = s.address();
    if (a === null || typeof a === 'string') throw new Error('no port assigned');
    return a.port;
  });
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function exitOf(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((r) => child.once('exit', () => r()));
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

export interface PrivatePostgres {
  /** postgres://postgres@127.0.0.1:<port>/aob */
  url: string;
  pid(): number;
  /**
   * Stops the postmaster — SIGINT (fast shutdown: clients are disconnected, a checkpoint is
   * written) or SIGKILL (a crash: the next start recovers from the WAL) — and starts it again on
   * the same port and data directory, `downMs` after the old one exited.
   */
  restart(signal: 'SIGINT' | 'SIGKILL', downMs?: number): Promise<void>;
  stop(): Promise<void>;
}

function pgBinDir(): string {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) throw new Error(`no PostgreSQL binaries under ${base}`);
  const versions = readdirSync(base).sort((a, b) => Number(b) - Number(a));
  return join(base, versions[0]!, 'bin');
}

/** initdb into a temp dir, postgres on a free port; as the postgres user when we are root. */
export async function launchPostgres(): Promise<PrivatePostgres> {
  const binDir = pgBinDir();
  const home = mkdtempSync(join(tmpdir(), 'aob-pg-'));
  const data = join(home, 'data');
  const asUser: { uid?: number; gid?: number } = {};
  if (process.getuid?.() === 0) {
    const { uid, gid } = pgUser();
    chownSync(home, uid, gid);
    asUser.uid = uid;
    asUser.gid = gid;
  }
  await runTo(
    join(binDir, 'initdb'),
    ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync'],
    asUser,
  );
  const [port] = await freePorts(1);
  const logFile = join(home, 'postgres.log');
  const out = createWriteStream(logFile, { flags: 'a' });
  let child: ChildProcess;
  const boot = async () => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const proc = spawn(
        join(binDir, 'postgres'),
        ['-D', data, '-p', String(port), '-k', home, '-c', 'listen_addresses=127.0.0.1'].concat([
          '-c',
          'fsync=off',
          '-c',
          'max_connections=200',
        ]),
        { ...asUser, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      proc.stdout!.pipe(out, { end: false });
      proc.stderr!.pipe(out, { end: false });
      const guard = () => proc.kill('SIGKILL');
      process.once('exit', guard);
      proc.once('exit', () => process.off('exit', guard));
      child = proc;
      // After a SIGKILL the old backends may hold the shared memory a moment: start again.
      const up = await answering(port!, proc, 30_000);
      if (up) return;
      if (Date.now() > deadline) {
        throw new Error(`PostgreSQL did not start on ${port}:\n${tail(logFile)}`);
      }
      await sleep(300);
    }
  };
  await boot();
  const admin = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
  await admin.connect();
  await admin.query('CREATE DATABASE aob');
  await admin.end();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/aob`,
    pid: () => child.pid ?? 0,
    restart: async (signal, downMs = 0) => {
      child.kill(signal);
      await exitOf(child);
      await sleep(downMs); // the database stays away this long
      await boot();
    },
    stop: async () => {
      child.kill('SIGINT');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exitOf(child);
      clearTimeout(t);
      out.end();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

function pgUser(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  if (!line) throw new Error('running as root and there is no postgres user for initdb');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/** Whether the server accepts connections before it exits or the time runs out. */
async function answering(port: number, proc: ChildProcess, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null || proc.signalCode !== null) return false;
    const c = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
    c.on('error', () => undefined);
    try {
      await c.connect();
      await c.query('SELECT 1');
      await c.end();
      return true;
    } catch {
      await c.end().catch(() => undefined);
    }
    await sleep(150);
  }
  return false;
}

async function runTo(
  command: string,
  args: string[],
  opts: { uid?: number; gid?: number },
): Promise<void> {
  const child = spawn(command, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  if (code !== 0) throw new Error(`${command} exited with ${code}:\n${output.slice(-4000)}`);
}

function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

// ---------------------------------------------------------------------------------------------
// S3

export interface PrivateS3 {
  env: Record<string, string>;
  stop(): Promise<void>;
}

export async function launchS3(): Promise<PrivateS3> {
  const { launchS3Proxy } = await import('../../scripts/services/s3proxy/launcher.js');
  const proxy = await launchS3Proxy();
  const client = new S3Client({
    endpoint: proxy.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: proxy.accessKey, secretAccessKey: proxy.secretKey },
  });
  try {
    await client.send(new CreateBucketCommand({ Bucket: 'aob' }));
  } finally {
    client.destroy();
  }
  return {
    env: {
      AOB_S3_ENDPOINT: proxy.endpoint,
      AOB_S3_BUCKET: 'aob',
      AOB_S3_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: proxy.accessKey,
      AWS_SECRET_ACCESS_KEY: proxy.secretKey,
    },
    stop: proxy.stop,
  };
}

// ---------------------------------------------------------------------------------------------
// aob server processes

export class ServiceProcess {
  child: ChildProcess | undefined;
  /** Every process started, the current one last: all of them pipe into the log. */
  private readonly children: ChildProcess[] = [];
  private log: WriteStream;
  private starts = 0;
  /** The health port of the current process (/healthz, /readyz, /metrics). */
  httpPort = 0;

  constructor(
    readonly services: string,
    private readonly env: Record<string, string>,
    readonly logFile: string,
  ) {
    this.log = createWriteStream(logFile, { flags: 'a' });
  }

  /** Starts `aob server --services …` on a free health port; resolves once /readyz is 200. */
  async start(extraEnv: Record<string, string> = {}): Promise<void> {
    const [port] = await freePorts(1);
    this.httpPort = port!;
    this.starts++;
    const child = spawn(process.execPath, [bin, 'server', '--services', this.services], {
      cwd: repo,
      env: {
        ...process.env,
        NO_COLOR: '1',
        ...this.env,
        AOB_HTTP_PORT: String(port),
        AOB_INSTANCE: `${this.services}-${this.starts}-${process.pid}`,
        ...extraEnv,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.children.push(child);
    this.log.write(`--- start ${this.starts} pid ${child.pid} ${new Date().toISOString()}\n`);
    child.stdout!.pipe(this.log, { end: false });
    child.stderr!.pipe(this.log, { end: false });
    const guard = () => child.kill('SIGKILL');
    process.once('exit', guard);
    child.once('exit', (code, signal) => {
      process.off('exit', guard);
      this.log.write(`--- pid ${child.pid} exited ${signal ?? code} ${new Date().toISOString()}\n`);
    });
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`aob server --services ${this.services} exited:\n${tail(this.logFile)}`);
      }
      try {
        const res = await fetch(`http://127.0.0.1:${port}/readyz`, {
          signal: AbortSignal.timeout(1_000),
        });
        if (res.status === 200) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        throw new Error(`aob server --services ${this.services} not ready:\n${tail(this.logFile)}`);
      }
      await sleep(100);
    }
  }

  get alive(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!this.child) return;
    this.child.kill(signal);
    await exitOf(this.child);
  }

  /** Waits for the process to exit by itself (the fault injection's own SIGKILL). */
  async exited(timeoutMs: number): Promise<NodeJS.Signals | number | null> {
    const child = this.child!;
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await exitOf(child);
    clearTimeout(t);
    return child.signalCode ?? child.exitCode;
  }

  async stop(): Promise<void> {
    if (this.alive) {
      const child = this.child!;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exitOf(child);
      clearTimeout(t);
    }
  }

  /**
   * Stops the process and closes its log (it cannot be started again). A child's pipes may still
   * hold output after its 'exit' (they close later): they are detached first, so nothing is
   * written to the log after its end.
   */
  async close(): Promise<void> {
    await this.stop();
    for (const child of this.children) {
      child.stdout?.unpipe(this.log);
      child.stderr?.unpipe(this.log);
    }
    this.log.end();
  }
}

// ---------------------------------------------------------------------------------------------
// The handlers module and its execution marks

export interface Mark {
  runId: string;
  nodeId: string;
  attempt: number;
  at: number;
}

/** Writes a handlers module whose `step` sleeps `sleepMs` and marks each execution as it starts. */
export function writeHandlers(dir: string, sleepMs: number): { file: string; marks: string } {
  const marks = join(dir, 'marks.jsonl');
  const file = join(dir, 'crash-handlers.mjs');
  writeFileSync(marks, '');
  writeFileSync(
    file,
    `import { appendFileSync } from 'node:fs';
const MARKS = ${JSON.stringify(marks)};
export async function step(input, ctx) {
  // One write per execution: appends of a line this short are atomic with O_APPEND.
  appendFileSync(MARKS, JSON.stringify({ runId: ctx.runId, nodeId: ctx.nodeId, attempt: ctx.attempt, at: Date.now() }) + '\\n', { flag: 'a' });
  await new Promise((r) => setTimeout(r, ${sleepMs}));
  return { node: ctx.nodeId, n: (input && typeof input.n === 'number' ? input.n : 0) + 1 };
}
`,
  );
  return { file, marks };
}

export function readMarks(file: string): Mark[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Mark);
}

// ---------------------------------------------------------------------------------------------
// The cluster topology's backends, shared with the other tests of the run

export interface ClusterBackends {
  /** The services' environment: AOB_DATABASE_URL, the Kafka and S3 variables, with prefixes. */
  env: Record<string, string>;
  /** The test's own database (AOB_DATABASE_URL). */
  databaseUrl: string;
  /** Stops what was started here and drops the database. */
  stop(): Promise<void>;
}

/**
 * PostgreSQL (a database `aob_<tag>` of this test's own on $DATABASE_URL, else the machine's on
 * 127.0.0.1:5432), Kafka ($KAFKA_BROKERS, else a private broker) and S3 ($S3_ENDPOINT, else a
 * private s3proxy), the latter two under the prefix `<tag>`, for services that are separate
 * processes. A backend that cannot be reached fails the start, naming it; what did start is
 * stopped again.
 */
export async function clusterBackends(tag: string): Promise<ClusterBackends> {
  const { start: startKafka } = await import('../../scripts/services/kafka.service.js');
  const { start: startS3 } = await import('../../scripts/services/s3.service.js');
  const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const database = `aob_${tag}`;
  const sql = async (statement: string) => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect().catch((err: Error) => {
      throw new Error(`PostgreSQL is not reachable at ${adminUrl}: ${err.message}`);
    });
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  const [k, s, d] = await Promise.allSettled([
    startKafka(),
    startS3(),
    sql(`CREATE DATABASE ${database}`),
  ]);
  const stop = async () => {
    await Promise.all([
      k.status === 'fulfilled' ? k.value.stop() : undefined,
      s.status === 'fulfilled' ? s.value.stop() : undefined,
      d.status === 'fulfilled'
        ? sql(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
        : undefined,
    ]);
  };
  if (k.status === 'rejected' || s.status === 'rejected' || d.status === 'rejected') {
    await stop();
    const failed = [k, s, d].find((r) => r.status === 'rejected') as PromiseRejectedResult;
    throw failed.reason;
  }
  const kafka = k.value.env;
  const s3 = s.value.env;
  const databaseUrl = new URL(adminUrl);
  databaseUrl.pathname = `/${database}`;
  return {
    databaseUrl: databaseUrl.toString(),
    env: {
      AOB_BUS: 'kafka',
      AOB_KAFKA_BROKERS: kafka.KAFKA_BROKERS!,
      AOB_KAFKA_PREFIX: `${tag}.`,
      AOB_DATABASE_URL: databaseUrl.toString(),
      AOB_S3_ENDPOINT: s3.S3_ENDPOINT!,
      AOB_S3_BUCKET: s3.S3_BUCKET!,
      AOB_S3_REGION: s3.S3_REGION!,
      AOB_S3_PREFIX: `${tag}/`,
      AWS_ACCESS_KEY_ID: s3.S3_ACCESS_KEY!,
      AWS_SECRET_ACCESS_KEY: s3.S3_SECRET_KEY!,
    },
    stop,
  };
}
