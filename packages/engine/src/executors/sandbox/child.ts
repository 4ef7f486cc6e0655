import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';

export interface ChildSpec {
  argv: string[];
  cwd: string;
  stdin: string;
  timeoutMs: number;
  signal: AbortSignal;
  /** Set only when the runner is root and no namespace wrapper drops privileges itself. */
  uid?: number;
  maxLogBytes: number;
  maxResultBytes: number;
}

export interface ChildOutcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  aborted: boolean;
  stdout: string;
  stderr: string;
  logsTruncated: boolean;
  /** The raw result-channel message (fd 3), or undefined when nothing (or too much) arrived. */
  result?: string;
}

/**
 * Runs one child in its own process group (detached → setsid) with an empty environment. On
 * timeout or abort the whole group gets SIGKILL, so forked grandchildren die with it (unless they
 * started a session of their own). Resolves once the child has exited and its pipes closed.
 */
export function runChild(spec: ChildSpec): Promise<ChildOutcome> {
  return new Promise((resolve, reject) => {
    const [command, ...args] = spec.argv;
    if (command === undefined) return reject(new Error('empty argv'));
    const child = spawn(command, args, {
      cwd: spec.cwd,
      env: {},
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
      ...(spec.uid === undefined ? {} : { uid: spec.uid, gid: spec.uid }),
    });
    let timedOut = false;
    let aborted = false;
    let truncated = false;
    const killGroup = (): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, spec.timeoutMs);
    const onAbort = (): void => {
      aborted = true;
      killGroup();
    };
    spec.signal.addEventListener('abort', onAbort, { once: true });

    const collect = (stream: Readable | null | undefined, limit: number): (() => string) => {
      const chunks: Buffer[] = [];
      let size = 0;
      stream?.on('data', (chunk: Buffer) => {
        if (size >= limit) {
          truncated = true;
          return;
        }
        const room = limit - size;
        if (chunk.length > room) truncated = true;
        const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
        chunks.push(part);
        size += part.length;
      });
      stream?.on('error', () => undefined);
      return () => Buffer.concat(chunks).toString('utf8');
    };
    const stdout = collect(child.stdout, spec.maxLogBytes);
    const stderr = collect(child.stderr, spec.maxLogBytes);
    const resultStream = child.stdio[3] as Readable | null;
    const resultChunks: Buffer[] = [];
    let resultSize = 0;
    resultStream?.on('data', (chunk: Buffer) => {
      resultSize += chunk.length;
      if (resultSize <= spec.maxResultBytes) resultChunks.push(chunk);
    });
    resultStream?.on('error', () => undefined);

    child.stdin?.on('error', () => undefined); // the child may exit without reading its input
    child.stdin?.end(spec.stdin);

    child.once('error', (err) => {
      clearTimeout(timer);
      spec.signal.removeEventListener('abort', onAbort);
      reject(err);
    });
    // A leader that exits leaves no helpers behind: they would hold the pipes open until timeout.
    child.once('exit', killGroup);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      spec.signal.removeEventListener('abort', onAbort);
      // The leader is gone; anything it left behind in its group goes too.
      killGroup();
      const outcome: ChildOutcome = {
        code,
        signal,
        timedOut,
        aborted,
        stdout: stdout(),
        stderr: stderr(),
        logsTruncated: truncated,
      };
      if (resultSize > 0 && resultSize <= spec.maxResultBytes) {
        outcome.result = Buffer.concat(resultChunks).toString('utf8');
      }
      resolve(outcome);
    });
    if (spec.signal.aborted) onAbort();
  });
}
