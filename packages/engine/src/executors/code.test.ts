import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeJob } from '@aob/core';
import { codeExecutor } from './code.js';
import type { CodeOutput } from './code.js';
import { sandboxPlatform } from './sandbox/platform.js';
import type { ExecutorContext } from './types.js';

let server: Server;
let port: number;
let connections = 0;
let scratch: string;

beforeAll(async () => {
  server = createServer((socket) => {
    connections++;
    socket.end('hello from the host\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  scratch = await mkdtemp(path.join(tmpdir(), 'aob-code-test-'));
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(scratch, { recursive: true, force: true });
});

function job(config: Record<string, unknown>, input: unknown = null): NodeJob {
  return {
    runId: 'r',
    nodeId: 'c',
    attempt: 1,
    irHash: 'h',
    type: 'code',
    config,
    input,
    inputRef: { $cas: 'sha256:00', size: 0 },
    timeoutMs: 30_000,
    priority: 'medium',
    idempotencyKey: 'k',
  };
}
function ctx(signal = new AbortController().signal): ExecutorContext {
  const log = { info: () => undefined, warn: () => undefined, error: () => undefined };
  return {
    runId: 'r',
    nodeId: 'c',
    attempt: 1,
    idempotencyKey: 'k',
    signal,
    log,
    options: { handlers: {}, allowPrivateNetwork: false },
  };
}
const run = async (config: Record<string, unknown>, input?: unknown): Promise<CodeOutput> =>
  (await codeExecutor(job(config, input), ctx())) as CodeOutput;
async function failure(config: Record<string, unknown>, input?: unknown, signal?: AbortSignal) {
  try {
    await codeExecutor(job(config, input), ctx(signal));
  } catch (err) {
    return err as { code: string; retryable: boolean; message: string; details?: unknown };
  }
  throw new Error('expected a failure');
}

/** Dead, or a zombie nobody has reaped yet. */
function isDead(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  try {
    return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

describe('code executor: javascript', () => {
  it('returns the value of the snippet, receives the input and captures logs', async () => {
    const out = await run(
      {
        language: 'javascript',
        source:
          'console.log("hi", input.n); console.error("warn!"); return { doubled: input.n * 2 };',
      },
      { n: 21 },
    );
    expect(out).toEqual({
      result: { doubled: 42 },
      logs: { stdout: 'hi 21\n', stderr: 'warn!\n', truncated: false },
    });
  });

  it('has an empty environment and cannot write files or spawn processes', async () => {
    const out = await run({
      language: 'javascript',
      source: `const fs = require('node:fs');
        const tryIt = (f) => { try { f(); return 'allowed'; } catch (e) { return e.code; } };
        return { env: Object.keys(process.env), write: tryIt(() => fs.writeFileSync('x', '1')),
          spawn: tryIt(() => require('node:child_process').execSync('true')) };`,
    });
    expect(out.result).toEqual({ env: [], write: 'ERR_ACCESS_DENIED', spawn: 'ERR_ACCESS_DENIED' });
  });

  it('reports a throw or a non-zero exit as CODE_FAILED with stderr', async () => {
    const thrown = await failure({ language: 'javascript', source: 'throw new TypeError("nope")' });
    expect(thrown).toMatchObject({ code: 'CODE_FAILED', retryable: false });
    expect(thrown.message).toContain('TypeError: nope');
    const exited = await failure({
      language: 'javascript',
      source: 'console.error("bye"); process.exit(3)',
    });
    expect(exited).toMatchObject({ code: 'CODE_FAILED', retryable: false });
    expect(exited.message).toContain('exited with code 3');
    expect(exited.message).toContain('bye');
  });

  it('kills a snippet that runs past its timeout', async () => {
    const started = Date.now();
    expect(
      await failure({ language: 'javascript', source: 'while (true) {}', timeoutMs: 500 }),
    ).toMatchObject({ code: 'CODE_TIMEOUT', retryable: false });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('stops a snippet at its memory limit', async () => {
    const err = await failure({
      language: 'javascript',
      memoryMb: 32,
      source: 'const a = []; for (;;) a.push(new Array(1e5).fill(Math.random()));',
    });
    expect(err).toMatchObject({ code: 'CODE_OOM', retryable: false });
  });

  it('blocks the network unless declared', async () => {
    const source = `const net = require('node:net');
      return await new Promise((resolve) => {
        try {
          const s = net.connect(${port}, '127.0.0.1');
          s.on('data', (d) => resolve('connected: ' + d.toString().trim()));
          s.on('error', (e) => resolve('error: ' + e.code));
        } catch (e) { resolve('error: ' + e.code); }
      });`;
    const blocked = await run({ language: 'javascript', source });
    expect(blocked.result).toMatch(/^error: /);
    const fetched = await run({
      language: 'javascript',
      source:
        'try { await fetch("http://127.0.0.1:1/"); return "ok"; } catch (e) { return e.code ?? e.cause?.code; }',
    });
    expect(fetched.result).not.toBe('ok');
    const before = connections;
    const allowed = await run({ language: 'javascript', source, network: true });
    expect(allowed.result).toBe('connected: hello from the host');
    expect(connections).toBe(before + 1);
  });
});

describe('code executor: python', () => {
  it('returns output, receives input, captures logs, or takes printed JSON', async () => {
    const out = await run(
      {
        language: 'python',
        source:
          'import sys\nprint("hi", input["n"])\nprint("warn!", file=sys.stderr)\noutput = {"doubled": input["n"] * 2}',
      },
      { n: 21 },
    );
    expect(out).toEqual({
      result: { doubled: 42 },
      logs: { stdout: 'hi 21\n', stderr: 'warn!\n', truncated: false },
    });
    const printed = await run(
      { language: 'python', source: 'import json\nprint(json.dumps({"sum": sum(input)}))' },
      [1, 2, 3],
    );
    expect(printed.result).toEqual({ sum: 6 });
  });

  it('reports exceptions and non-zero exits as CODE_FAILED', async () => {
    const raised = await failure({ language: 'python', source: 'raise ValueError("bad value")' });
    expect(raised).toMatchObject({ code: 'CODE_FAILED', retryable: false });
    expect(raised.message).toContain('bad value');
    expect(await failure({ language: 'python', source: 'import sys\nsys.exit(4)' })).toMatchObject({
      code: 'CODE_FAILED',
    });
  });

  it('kills the whole process group on timeout, grandchildren included', async () => {
    const pidFile = path.join(scratch, 'grandchild.pid');
    const source = `import os, subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
fd = os.open(input["pidFile"], os.O_WRONLY | os.O_CREAT, 0o666)
os.write(fd, str(child.pid).encode())
os.close(fd)
time.sleep(60)`;
    // The grandchild writes into our scratch dir, which must be writable for the sandbox uid.
    const { chmod } = await import('node:fs/promises');
    await chmod(scratch, 0o777);
    const started = Date.now();
    expect(
      await failure({ language: 'python', source, timeoutMs: 1500, network: true }, { pidFile }),
    ).toMatchObject({ code: 'CODE_TIMEOUT' });
    expect(Date.now() - started).toBeLessThan(6000);
    const pid = Number(await readFile(pidFile, 'utf8'));
    expect(pid).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 200));
    expect(isDead(pid)).toBe(true);
  });

  it('stops a snippet at its memory limit', async () => {
    expect(
      await failure({
        language: 'python',
        memoryMb: 64,
        source: 'x = bytearray(512 * 1024 * 1024)',
      }),
    ).toMatchObject({ code: 'CODE_OOM', retryable: false });
  });

  it('blocks the network unless declared, and a namespace stops a snippet that undoes the stubs', async () => {
    const connect = `import socket
s = socket.create_connection(("127.0.0.1", ${port}), timeout=2)
output = s.recv(100).decode().strip()`;
    expect(await failure({ language: 'python', source: connect })).toMatchObject({
      code: 'CODE_FAILED',
    });
    expect((await run({ language: 'python', source: connect, network: true })).result).toBe(
      'hello from the host',
    );
    // Reaches past the monkeypatch to the real socket type: only an OS-level namespace stops this.
    const bypass = `import socket
real = socket.socket.__mro__[2]
s = real(socket.AF_INET, socket.SOCK_STREAM)
s.settimeout(2)
s.connect(("127.0.0.1", ${port}))
output = s.recv(100).decode().strip()`;
    if (sandboxPlatform().netns !== undefined) {
      expect(await failure({ language: 'python', source: bypass })).toMatchObject({
        code: 'CODE_FAILED',
      });
    } else {
      expect((await run({ language: 'python', source: bypass })).result).toBe(
        'hello from the host',
      );
    }
  });
});

describe('code executor: config and cancellation', () => {
  it('rejects an unknown language', async () => {
    expect(await failure({ language: 'ruby', source: 'puts 1' })).toMatchObject({
      code: 'BAD_CONFIG',
      retryable: false,
    });
  });

  it('kills the child when the signal aborts', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    expect(
      await failure({ language: 'javascript', source: 'while (true) {}' }, null, ac.signal),
    ).toMatchObject({ code: 'CANCELLED' });
  });
});

it('this host offers a network namespace (unshare), so network=false is enforced by the kernel', () => {
  // Documented in sandbox/README.md: where unshare is unavailable only in-process stubs remain.
  expect(sandboxPlatform().netns).toBeDefined();
});
