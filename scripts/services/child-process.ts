// Small pieces for driving the processes the test services start: running a command to the end,
// keeping the tail of what a process writes, and ending a process that runs. They act only on the
// ChildProcess handed to them, never on a name or a process group, so nothing but the process
// started here is ever signalled.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';

/** Started (it has a pid) and neither exited nor ended by a signal yet. */
export function isRunning(child: ChildProcess): boolean {
  return child.pid !== undefined && child.exitCode === null && child.signalCode === null;
}

/**
 * SIGTERM to the process, SIGKILL if it is still alive `graceMs` later; resolves once it is gone.
 * A process that is not running (never started, already ended) is left alone.
 */
export async function terminate(child: ChildProcess, graceMs: number): Promise<void> {
  if (!isRunning(child)) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Runs a command to completion; on failure the error carries the tail of its output. */
export async function run(command: string, args: string[]): Promise<void> {
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
export class OutputTail {
  private text = '';
  constructor(private readonly maxChars = 8_000) {}
  add(chunk: Buffer): void {
    this.text = (this.text + chunk.toString('utf8')).slice(-this.maxChars);
  }
  toString(): string {
    return this.text.trimEnd() || '(no output)';
  }
}
