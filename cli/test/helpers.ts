import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repo = fileURLToPath(new URL('../../', import.meta.url));
export const bin = join(repo, 'cli/bin/run.js');
export const example = (...p: string[]) => join(repo, 'examples', ...p);

export interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Running {
  child: ChildProcess;
  done: Promise<Result>;
  /** What the process has printed so far. */
  printed(): { stdout: string; stderr: string };
}

/** Starts the real `aob` binary with AOB_HOME set, as a user's shell would (not a TTY). */
export function start(args: string[], env: Record<string, string>, cwd = repo): Running {
  const child = spawn(process.execPath, [bin, ...args], {
    cwd,
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<Result>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done, printed: () => ({ stdout, stderr }) };
}

export function aob(args: string[], env: Record<string, string>, cwd?: string): Promise<Result> {
  return start(args, env, cwd).done;
}

export function json<T = unknown>(r: Result): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(
      `stdout is not one JSON document (exit ${r.code}):\n${r.stdout}\nstderr:\n${r.stderr}`,
    );
  }
}

export function tempHome(): { home: string; cleanup: () => void } {
  const home = mkdtempSync(join(tmpdir(), 'aob-e2e-'));
  return { home, cleanup: () => rmSync(home, { recursive: true, force: true }) };
}

export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 20_000,
  /** Appended to the timeout's message: what the caller knows of why it did not come. */
  explain: () => string = () => '',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${explain()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * `until`, for something another process is to bring about: fails at once, with what that process
 * printed, when it exits first, and prints it too when the wait times out — a bare timeout would
 * not say whether the process died, hung or was merely slow. Patient (45 s): a loaded CI machine
 * spawns a CLI process in seconds, not milliseconds.
 */
export function untilFrom<T>(
  from: Running,
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 45_000,
): Promise<T> {
  const printed = () => {
    const { stdout, stderr } = from.printed();
    return `\nits stdout:\n${stdout}\nits stderr:\n${stderr}`;
  };
  return until(
    what,
    async () => {
      // Read before the probe: what the process did before it exited is seen by this probe.
      const { exitCode, signalCode } = from.child;
      const v = await probe();
      if (v !== undefined || (exitCode === null && signalCode === null)) return v;
      throw new Error(
        `waiting for ${what}: the process exited (${exitCode ?? signalCode}) first${printed()}`,
      );
    },
    timeoutMs,
    () => ` (${timeoutMs} ms); the process still runs${printed()}`,
  );
}

/**
 * An example's scripted OpenAI-compatible server (the agent-patch planner by default), on a free
 * port: the model the real agent clients talk to in these tests. Its base URL ends in `/v1`.
 */
export async function startScriptedLlm(
  script = 'agent-patch/scripted-llm.mjs',
): Promise<{ baseUrl: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [example(script), '--port', '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const baseUrl = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /(http:\/\/127\.0\.0\.1:\d+\/v1)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`scripted LLM exited with ${code}`)));
  });
  return { baseUrl, child };
}

/** A running `aob dev --port 0 --json`: its URL and the admin token it printed. */
export interface Dev {
  running: Running;
  url: string;
  token: string;
  /** Kills it (SIGKILL) if it still runs, and waits until it is gone. */
  stop(): Promise<void>;
}

/** Starts `aob dev` on a free port with `env` (AOB_HOME at least) and waits for its URL. */
export async function startDev(env: Record<string, string>): Promise<Dev> {
  const running = start(['dev', '--port', '0', '--json'], env);
  let stdout = '';
  running.child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  const printed = await until(
    'aob dev to print its URL',
    async () => {
      try {
        return JSON.parse(stdout) as { url: string; token: string };
      } catch {
        return undefined;
      }
    },
    30_000,
  );
  return {
    running,
    url: printed.url,
    token: printed.token,
    stop: async () => {
      if (running.child.exitCode === null) running.child.kill('SIGKILL');
      await running.done;
    },
  };
}
