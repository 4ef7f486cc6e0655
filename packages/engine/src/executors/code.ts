import { chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AobError } from '@aob/core';
import { abortError, throwIfAborted } from './abort.js';
import { runChild } from './sandbox/child.js';
import type { ChildOutcome } from './sandbox/child.js';
import { sandboxPlatform } from './sandbox/platform.js';
import { JS_NO_NETWORK, JS_RUNNER, PY_RUNNER } from './sandbox/runners.js';
import type { Executor } from './types.js';

export const CODE_DEFAULT_TIMEOUT_MS = 10_000;
export const CODE_MAX_TIMEOUT_MS = 300_000;
export const CODE_DEFAULT_MEMORY_MB = 256;
const MAX_LOG_BYTES = 64 * 1024;
const MAX_RESULT_BYTES = 10 * 1024 * 1024;
const EXCERPT_CHARS = 2000;

interface CodeConfig {
  language: 'javascript' | 'python';
  source: string;
  timeoutMs: number;
  memoryMb: number;
  network: boolean;
}

export interface CodeOutput {
  result: unknown;
  logs: { stdout: string; stderr: string; truncated: boolean };
}

/**
 * `code`: `with { language: javascript | python, source, timeoutMs = 10 s, memoryMb = 256,
 * network = false }` → `{ result, logs: { stdout, stderr, truncated } }`.
 *
 * The snippet runs in a child process: empty environment, a fresh temp dir as cwd (removed
 * afterwards), its own process group (SIGKILLed as a whole on timeout or abort), a memory limit,
 * an unprivileged uid when the runner is root, and — unless `network: true` — a fresh network
 * namespace when the host allows one plus in-process stubs. What this does and does not stop:
 * sandbox/README.md.
 *
 * Errors: 'BAD_CONFIG'; 'CODE_TIMEOUT' (non-retryable: the same code would time out again);
 * 'CODE_OOM'; 'CODE_FAILED' (a throw or a non-zero exit, with a stderr excerpt), all
 * non-retryable; 'CODE_UNAVAILABLE' when python3 is missing.
 */
export const codeExecutor: Executor = async (job, ctx) => {
  throwIfAborted(ctx.signal);
  const config = parseConfig(job.config, job.nodeId);
  const platform = sandboxPlatform();
  if (config.language === 'python' && platform.python === undefined) {
    throw new AobError('CODE_UNAVAILABLE', 'code: python3 is not installed on this runner');
  }
  let stdin: string;
  try {
    stdin = JSON.stringify(job.input ?? null);
  } catch (err) {
    throw new AobError('BAD_INPUT', `code: input is not JSON: ${(err as Error).message}`);
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'aob-code-'));
  try {
    const isolateNet = !config.network && platform.netns !== undefined;
    const argv = await prepare(dir, config);
    if (platform.dropTo !== undefined) {
      for (const name of ['', 'runner', 'snippet', 'no-network.cjs']) {
        await chown(path.join(dir, fileName(config, name)), platform.dropTo, platform.dropTo).catch(
          () => undefined,
        );
      }
    }
    const outcome = await runChild({
      argv: isolateNet ? [...(platform.netns ?? []), ...argv] : argv,
      cwd: dir,
      stdin,
      timeoutMs: config.timeoutMs,
      signal: ctx.signal,
      // unshare drops privileges itself (--setuid) after creating the namespace.
      ...(platform.dropTo !== undefined && !isolateNet ? { uid: platform.dropTo } : {}),
      maxLogBytes: MAX_LOG_BYTES,
      maxResultBytes: MAX_RESULT_BYTES,
    });
    if (outcome.aborted) throw abortError(ctx.signal);
    return interpret(outcome, config, job.nodeId);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
};

function fileName(config: CodeConfig, role: string): string {
  const ext = config.language === 'python' ? 'py' : config.language === 'javascript' ? 'js' : '';
  if (role === 'runner') return config.language === 'python' ? 'runner.py' : 'runner.cjs';
  if (role === 'snippet') return `snippet.${ext}`;
  return role;
}

async function prepare(dir: string, config: CodeConfig): Promise<string[]> {
  const runner = path.join(dir, fileName(config, 'runner'));
  await writeFile(path.join(dir, fileName(config, 'snippet')), config.source);
  if (config.language === 'python') {
    await writeFile(runner, PY_RUNNER);
    const python = sandboxPlatform().python ?? 'python3';
    const bytes = config.memoryMb * 1024 * 1024;
    return [python, '-I', '-B', runner, String(bytes), config.network ? '0' : '1'];
  }
  await writeFile(runner, JS_RUNNER);
  const argv = [
    process.execPath,
    '--experimental-permission',
    `--allow-fs-read=${dir}${path.sep}`,
    '--no-warnings',
    `--max-old-space-size=${config.memoryMb}`,
  ];
  if (!config.network) {
    const preload = path.join(dir, 'no-network.cjs');
    await writeFile(preload, JS_NO_NETWORK);
    argv.push('--require', preload);
  }
  argv.push(runner);
  return argv;
}

function interpret(outcome: ChildOutcome, config: CodeConfig, nodeId: string): CodeOutput {
  const logs = { stdout: outcome.stdout, stderr: outcome.stderr, truncated: outcome.logsTruncated };
  const details = { logs, exitCode: outcome.code, signal: outcome.signal };
  if (outcome.timedOut) {
    throw new AobError('CODE_TIMEOUT', `code node ${nodeId}: killed after ${config.timeoutMs} ms`, {
      retryable: false,
      details,
    });
  }
  let message:
    | {
        ok?: unknown;
        output?: unknown;
        set?: unknown;
        error?: { name?: unknown; message?: unknown };
      }
    | undefined;
  if (outcome.result !== undefined) {
    try {
      message = JSON.parse(outcome.result) as typeof message;
    } catch {
      message = undefined;
    }
  }
  const excerpt = outcome.stderr.slice(-EXCERPT_CHARS);
  const oom =
    message?.error?.name === 'MemoryError' ||
    /JavaScript heap out of memory|Reached heap limit|MemoryError/.test(outcome.stderr);
  if (oom) {
    throw new AobError('CODE_OOM', `code node ${nodeId}: exceeded ${config.memoryMb} MB`, {
      retryable: false,
      details,
    });
  }
  if (message?.ok === true && outcome.code === 0) {
    let result: unknown = message.output ?? null;
    if (config.language === 'python' && message.set === false)
      result = lastJsonLine(outcome.stdout);
    return { result, logs };
  }
  const reason =
    message?.ok === false && typeof message.error?.message === 'string'
      ? `${String(message.error.name)}: ${message.error.message}`
      : outcome.signal !== null
        ? `killed by ${outcome.signal}`
        : outcome.code === 0
          ? 'exited without a result'
          : `exited with code ${outcome.code}`;
  const code = message?.error?.name === 'BAD_OUTPUT' ? 'BAD_OUTPUT' : 'CODE_FAILED';
  throw new AobError(code, `code node ${nodeId}: ${reason}${excerpt ? `\n${excerpt}` : ''}`, {
    retryable: false,
    details,
  });
}

/** Python snippets may print their output instead of setting it: the last stdout line, as JSON. */
function lastJsonLine(stdout: string): unknown {
  const line = stdout.trimEnd().split('\n').at(-1)?.trim();
  if (line === undefined || line === '') return null;
  try {
    return JSON.parse(line) as unknown;
  } catch {
    return line;
  }
}

function parseConfig(config: Record<string, unknown>, nodeId: string): CodeConfig {
  const bad = (what: string): AobError =>
    new AobError('BAD_CONFIG', `code node ${nodeId}: ${what}`);
  const language = config['language'];
  if (language !== 'javascript' && language !== 'python') {
    throw bad('with.language must be "javascript" or "python"');
  }
  const source = config['source'];
  if (typeof source !== 'string') throw bad('with.source must be a string');
  const timeoutMs = config['timeoutMs'] ?? CODE_DEFAULT_TIMEOUT_MS;
  if (typeof timeoutMs !== 'number' || !(timeoutMs > 0) || timeoutMs > CODE_MAX_TIMEOUT_MS) {
    throw bad(`with.timeoutMs must be a number in (0, ${CODE_MAX_TIMEOUT_MS}]`);
  }
  const memoryMb = config['memoryMb'] ?? CODE_DEFAULT_MEMORY_MB;
  if (
    typeof memoryMb !== 'number' ||
    !Number.isInteger(memoryMb) ||
    memoryMb < 16 ||
    memoryMb > 8192
  ) {
    throw bad('with.memoryMb must be an integer from 16 to 8192');
  }
  const network = config['network'] ?? false;
  if (typeof network !== 'boolean') throw bad('with.network must be a boolean');
  return { language, source, timeoutMs, memoryMb, network };
}
