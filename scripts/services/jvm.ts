// Runs one Java server for the tests: `java` with the arguments given, the tail of its output kept
// for the error should it never come up, and a guard so that it never outlives this process.
// stop() ends exactly the process started here.
import { spawn } from 'node:child_process';
import { OutputTail, isRunning, terminate } from './child-process.js';

export interface JvmOptions {
  /** The server's name in errors ("Zipkin did not start: …"), lower-cased over its output. */
  name: string;
  /** java's arguments: JVM options, then `-jar <jar>` or a class path and a main class. */
  args: string[];
  cwd?: string;
  /** Variables set over this process's environment. */
  env?: NodeJS.ProcessEnv;
  /** How long stop() waits after SIGTERM before it sends SIGKILL. */
  stopGraceMs: number;
  /**
   * Resolves once the server serves, rejects if it will not; `exited` settles (never rejects)
   * with why the JVM ended, as waitUntilReady (wait-ready.ts) takes it.
   */
  ready(exited: Promise<string>): Promise<void>;
  /**
   * Runs if this process exits without stop(), after the JVM is killed; synchronous, as an
   * 'exit' listener must be (e.g. `rmSync` of the server's temporary directory).
   */
  onOrphaned?(): void;
}

export interface RunningJvm {
  pid: number;
  /** SIGTERM, SIGKILL after the grace; resolves once the JVM is gone. */
  stop(): Promise<void>;
}

/**
 * Starts the JVM and resolves once `ready` does. If it never becomes ready the JVM is stopped and
 * the error says why, with the tail of its output.
 */
export async function startJvm(options: JvmOptions): Promise<RunningJvm> {
  const output = new OutputTail();
  const child = spawn('java', options.args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (chunk: Buffer) => output.add(chunk));
  child.stderr.on('data', (chunk: Buffer) => output.add(chunk));
  const exited = new Promise<string>((resolve) => {
    child.once('error', (err) => resolve(`could not start (${err.message}; is Java installed?)`));
    child.once('exit', (code, signal) => resolve(`exited with ${signal ?? `code ${code}`}`));
  });
  // If this process exits without calling stop() (process.exit, an uncaught error), neither the
  // JVM nor what onOrphaned cleans up outlive it. A signal that ends the process by default runs
  // no 'exit' listener: its owner turns signals into process.exit (bench/tools/services.ts), or
  // the signal goes to the whole process group, the JVM's too.
  const killOnExit = (): void => {
    if (isRunning(child)) child.kill('SIGKILL');
    options.onOrphaned?.();
  };
  process.once('exit', killOnExit);

  const stop = async (): Promise<void> => {
    process.removeListener('exit', killOnExit);
    await terminate(child, options.stopGraceMs);
  };

  try {
    await options.ready(exited);
  } catch (err) {
    await stop();
    const message = err instanceof Error ? err.message : String(err);
    const heading = `--- ${options.name.toLowerCase()} output (tail) ---`;
    throw new Error(`${options.name} did not start: ${message}\n${heading}\n${output}`);
  }
  return { pid: child.pid ?? 0, stop };
}
