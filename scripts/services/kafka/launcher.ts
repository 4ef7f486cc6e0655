// Starts a private single-node Apache Kafka (KRaft, broker + controller in one JVM) for the
// integration tests, without Docker: the jars come from Maven Central (pom.xml beside this file)
// into a cache reused across runs, the storage is formatted fresh in a temporary directory, and
// both listeners take ports that are free right now. stop() ends exactly the process it started.
import { spawn, execFile } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import kafkajs from 'kafkajs';
import { isRunning, terminate } from '../child-process.js';
import { freePorts } from '../free-ports.js';

const KAFKA_VERSION = '3.9.2';
const READY_TIMEOUT_MS = 90_000;
const STOP_GRACE_MS = 15_000;
const here = fileURLToPath(new URL('.', import.meta.url));
const run = promisify(execFile);

export interface RunningKafka {
  /** `host:port` of the PLAINTEXT listener, as kafkajs takes it. */
  brokers: string;
  /** SIGTERM to the started JVM (SIGKILL after 15 s), then removes its data directory. */
  stop(): Promise<void>;
  /**
   * Stops the JVM — SIGTERM (a clean shutdown, SIGKILL after 15 s) or SIGKILL (a crash) — and
   * starts it again on the same ports and data directory; resolves once the broker answers.
   * Crash tests only: what was committed survives, clients see the broker go away and come back.
   */
  restart(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
}

export async function launchKafka(): Promise<RunningKafka> {
  const libs = await ensureJars();
  const dir = await mkdtemp(join(tmpdir(), 'aob-kafka-'));
  /** The JVM running now: the storage formatter, then the broker. */
  let child: ChildProcess | undefined;
  // If this process exits without calling stop() (process.exit, an uncaught error), neither the
  // JVM nor its data outlive it. A signal that ends the process by default runs no 'exit'
  // listener: its owner turns signals into process.exit (bench/tools/services.ts), or the signal
  // goes to the whole process group, the JVM's too.
  const orphanGuard = () => {
    if (child && isRunning(child)) child.kill('SIGKILL');
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      // The dying JVM still writing: the temporary directory stays.
    }
  };
  process.once('exit', orphanGuard);
  try {
    const [brokerPort, controllerPort] = await freePorts(2);
    const props = join(dir, 'server.properties');
    const template = await readFile(join(here, 'server.properties'), 'utf8');
    await writeFile(
      props,
      template
        .replaceAll('${BROKER_PORT}', String(brokerPort))
        .replaceAll('${CONTROLLER_PORT}', String(controllerPort))
        .replaceAll('${DATA_DIR}', dir),
    );
    const log4j = `-Dlog4j.configuration=file:${join(here, 'log4j.properties')}`;
    const classpath = join(libs, '*');
    log(`starting Kafka ${KAFKA_VERSION} on 127.0.0.1:${brokerPort}…`);
    const started = Date.now();
    const format = ['kafka.tools.StorageTool', 'format', '-t', clusterId(), '-c', props];
    const formatting = run('java', [log4j, '-cp', classpath, ...format]);
    child = formatting.child;
    await formatting;
    const logFile = join(dir, 'kafka.log');
    const out = createWriteStream(logFile);
    const jvm = ['-Xms512m', '-Xmx512m', '-XX:+UseG1GC', '-Djava.awt.headless=true', log4j];
    const brokers = `127.0.0.1:${brokerPort}`;
    const boot = async (): Promise<ChildProcess> => {
      const proc = spawn('java', [...jvm, '-cp', classpath, 'kafka.Kafka', props], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child = proc;
      proc.stdout?.pipe(out, { end: false });
      proc.stderr?.pipe(out, { end: false });
      await waitReady(brokers, proc, logFile);
      return proc;
    };
    let proc = await boot();
    log(`Kafka ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return {
      brokers,
      stop: async () => {
        await stopProcess(proc, dir, out);
        process.off('exit', orphanGuard);
      },
      restart: async (signal = 'SIGTERM') => {
        if (signal === 'SIGKILL') await kill(proc);
        else await terminate(proc, STOP_GRACE_MS);
        const again = Date.now();
        proc = await boot();
        log(`Kafka restarted (${signal}) in ${((Date.now() - again) / 1000).toFixed(1)} s`);
      },
    };
  } catch (err) {
    if (child) await terminate(child, STOP_GRACE_MS);
    await rm(dir, { recursive: true, force: true });
    process.off('exit', orphanGuard);
    throw err;
  }
}

/**
 * The jars, downloaded once per machine. Maven copies into a directory of its own that is renamed
 * into place, and the marker is written only after that, so an interrupted or concurrent first
 * run never leaves a half-filled `libs` that a later run would trust.
 */
async function ensureJars(): Promise<string> {
  const cache = join(homedir(), '.cache', 'aob', `kafka-${KAFKA_VERSION}`);
  const libs = join(cache, 'libs');
  const marker = join(cache, 'complete');
  if (existsSync(marker)) return libs;
  mkdirSync(cache, { recursive: true });
  const staging = join(cache, `libs.${process.pid}.${randomBytes(4).toString('hex')}`);
  log(`downloading Kafka ${KAFKA_VERSION} from Maven Central into ${libs} (first run only)…`);
  const started = Date.now();
  try {
    const goal = 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies';
    await run(
      'mvn',
      // runtime, not compile: the server modules are runtime dependencies of kafka_2.13.
      ['-B', '-q', '-f', join(here, 'pom.xml'), goal, '-DincludeScope=runtime'].concat(
        `-DoutputDirectory=${staging}`,
      ),
      { maxBuffer: 16 * 1024 * 1024 },
    );
    if (!existsSync(join(staging, `kafka_2.13-${KAFKA_VERSION}.jar`))) {
      throw new Error(`Maven finished but copied no kafka_2.13-${KAFKA_VERSION}.jar`);
    }
    if (!existsSync(marker)) {
      await rm(libs, { recursive: true, force: true });
      await rename(staging, libs);
      writeFileSync(marker, `${new Date().toISOString()}\n`);
    }
  } catch (err) {
    throw new Error(`could not fetch Kafka ${KAFKA_VERSION} with Maven: ${outputOf(err)}`, {
      cause: err,
    });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  log(`downloaded in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return libs;
}

/** A KRaft cluster id: 16 random bytes, base64url; Kafka's tools reject ids starting with '-'. */
function clusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** Polls `describeCluster` until the broker answers, the JVM exits, or 90 s pass. */
async function waitReady(brokers: string, child: ChildProcess, logFile: string): Promise<void> {
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = `exited with ${signal ?? `code ${code}`}`));
  const kafka = new kafkajs.Kafka({
    clientId: 'aob-launcher',
    brokers: [brokers],
    logLevel: kafkajs.logLevel.NOTHING,
    connectionTimeout: 1_000,
    retry: { retries: 0 },
  });
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last: unknown;
  while (Date.now() < deadline && exited === undefined) {
    const admin = kafka.admin();
    try {
      await admin.connect();
      await admin.describeCluster();
      return;
    } catch (err) {
      last = err;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const why = exited ?? `did not answer within ${READY_TIMEOUT_MS / 1000} s (${String(last)})`;
  throw new Error(`Kafka on ${brokers} ${why}. Last lines of ${logFile}:\n${tail(logFile)}`);
}

async function stopProcess(
  child: ChildProcess,
  dir: string,
  out: ReturnType<typeof createWriteStream>,
): Promise<void> {
  await terminate(child, STOP_GRACE_MS);
  out.end();
  await rm(dir, { recursive: true, force: true });
}

/** SIGKILL to the PID we started (a crash); resolves once it is gone. */
async function kill(child: ChildProcess): Promise<void> {
  if (!isRunning(child)) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  await exited;
}

function tail(file: string, lines = 40): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function outputOf(err: unknown): string {
  const e = err as { stdout?: string; stderr?: string; message?: string };
  return [e.stdout, e.stderr].filter(Boolean).join('\n').trim().slice(-4_000) || String(e.message);
}

function log(line: string): void {
  process.stderr.write(`[kafka] ${line}\n`);
}
