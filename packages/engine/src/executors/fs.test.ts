import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NodeJob } from '@aob/core';
import { FS_MAX_BYTES, fsExecutor } from './fs.js';
import type { ExecutorContext } from './types.js';

let base: string;
let root: string;
let outside: string;

beforeEach(async () => {
  base = await mkdtemp(path.join(tmpdir(), 'aob-fs-'));
  root = path.join(base, 'root');
  outside = path.join(base, 'outside');
  await mkdir(root);
  await mkdir(outside);
  await writeFile(path.join(outside, 'secret.txt'), 'top secret');
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

function job(config: Record<string, unknown>): NodeJob {
  return {
    runId: 'r',
    nodeId: 'f',
    attempt: 1,
    irHash: 'h',
    type: 'fs',
    config,
    input: null,
    inputRef: { $cas: 'sha256:00', size: 0 },
    timeoutMs: 5000,
    priority: 'medium',
    idempotencyKey: 'k',
  };
}
function ctx(workspaceRoot: string | null = root): ExecutorContext {
  const log = { info: () => undefined, warn: () => undefined, error: () => undefined };
  return {
    runId: 'r',
    nodeId: 'f',
    attempt: 1,
    idempotencyKey: 'k',
    signal: new AbortController().signal,
    log,
    options: {
      handlers: {},
      allowPrivateNetwork: false,
      ...(workspaceRoot === null ? {} : { workspaceRoot }),
    },
  };
}
const run = (config: Record<string, unknown>, c = ctx()) => fsExecutor(job(config), c);
async function failure(
  config: Record<string, unknown>,
  c = ctx(),
): Promise<{ code: string; retryable: boolean }> {
  try {
    await run(config, c);
  } catch (err) {
    return err as { code: string; retryable: boolean };
  }
  throw new Error('expected a failure');
}

describe('fs executor', () => {
  it('writes, reads, stats, lists, moves and deletes under the root', async () => {
    expect(await run({ op: 'write', path: 'a/b/hello.txt', content: 'héllo' })).toEqual({
      path: 'a/b/hello.txt',
      size: 6,
    });
    expect(await readFile(path.join(root, 'a/b/hello.txt'), 'utf8')).toBe('héllo');
    expect(await run({ op: 'read', path: 'a/b/hello.txt' })).toEqual({
      path: 'a/b/hello.txt',
      content: 'héllo',
      size: 6,
    });
    expect(await run({ op: 'read', path: './a//b/hello.txt', encoding: 'base64' })).toMatchObject({
      content: Buffer.from('héllo').toString('base64'),
    });
    await run({
      op: 'write',
      path: 'bin.dat',
      content: Buffer.from([0, 1, 2]).toString('base64'),
      encoding: 'base64',
    });
    expect([...(await readFile(path.join(root, 'bin.dat')))]).toEqual([0, 1, 2]);
    expect(await run({ op: 'stat', path: 'a/b/hello.txt' })).toMatchObject({
      exists: true,
      type: 'file',
      size: 6,
    });
    expect(await run({ op: 'stat', path: 'nope' })).toEqual({ path: 'nope', exists: false });
    expect(await run({ op: 'mkdir', path: 'x/y' })).toEqual({ path: 'x/y', created: true });
    expect(await run({ op: 'mkdir', path: 'x/y' })).toEqual({ path: 'x/y', created: false });
    expect(await run({ op: 'list', path: '.' })).toEqual({
      path: '.',
      entries: [
        { name: 'a', type: 'dir', size: 0 },
        { name: 'bin.dat', type: 'file', size: 3 },
        { name: 'x', type: 'dir', size: 0 },
      ],
    });
    expect(await run({ op: 'move', path: 'a/b/hello.txt', to: 'x/y/moved.txt' })).toEqual({
      path: 'a/b/hello.txt',
      to: 'x/y/moved.txt',
    });
    expect(await failure({ op: 'read', path: 'a/b/hello.txt' })).toMatchObject({
      code: 'FS_NOT_FOUND',
      retryable: false,
    });
    expect(await failure({ op: 'move', path: 'bin.dat', to: 'x/y/moved.txt' })).toMatchObject({
      code: 'FS_EXISTS',
    });
    expect(await failure({ op: 'delete', path: 'x' })).toMatchObject({ code: 'FS_NOT_EMPTY' });
    expect(await run({ op: 'delete', path: 'x', recursive: true })).toEqual({
      path: 'x',
      deleted: true,
    });
    expect(await run({ op: 'list', path: '.' })).toMatchObject({
      entries: [{ name: 'a' }, { name: 'bin.dat' }],
    });
  });

  it('refuses without a workspace root', async () => {
    expect(await failure({ op: 'list', path: '.' }, ctx(null))).toMatchObject({
      code: 'FS_NO_WORKSPACE',
      retryable: false,
    });
  });

  it.each([
    ['..', '../outside/secret.txt'],
    ['a nested ..', 'a/../../outside/secret.txt'],
    ['an absolute path', path.join(tmpdir(), 'outside/secret.txt')],
    ['/etc/passwd', '/etc/passwd'],
    ['a NUL byte', 'a\0b'],
    ['an empty path', ''],
  ])('refuses %s', async (_name, p) => {
    for (const op of ['read', 'write', 'delete', 'stat']) {
      expect(await failure({ op, path: p, content: 'x' })).toMatchObject({
        code: 'FS_FORBIDDEN_PATH',
        retryable: false,
      });
    }
  });

  it('refuses symlinks that escape the root, for files and directories', async () => {
    await symlink(path.join(outside, 'secret.txt'), path.join(root, 'file-link'));
    await symlink(outside, path.join(root, 'dir-link'));
    for (const config of [
      { op: 'read', path: 'file-link' },
      { op: 'write', path: 'file-link', content: 'pwned' },
      { op: 'stat', path: 'file-link' },
      { op: 'read', path: 'dir-link/secret.txt' },
      { op: 'write', path: 'dir-link/new.txt', content: 'pwned' },
      { op: 'write', path: 'dir-link/deeper/new.txt', content: 'pwned' },
      { op: 'list', path: 'dir-link' },
      { op: 'mkdir', path: 'dir-link/sub' },
      { op: 'delete', path: 'dir-link/secret.txt' },
      { op: 'move', path: 'dir-link/secret.txt', to: 'stolen.txt' },
      { op: 'move', path: 'file-link', to: 'dir-link/planted' },
    ]) {
      expect(await failure(config), JSON.stringify(config)).toMatchObject({
        code: 'FS_FORBIDDEN_PATH',
      });
    }
    expect(await readFile(path.join(outside, 'secret.txt'), 'utf8')).toBe('top secret');
    // Deleting the link itself is fine: it removes the link, not its target.
    expect(await run({ op: 'delete', path: 'dir-link' })).toEqual({
      path: 'dir-link',
      deleted: true,
    });
    expect(await readFile(path.join(outside, 'secret.txt'), 'utf8')).toBe('top secret');
  });

  it('allows symlinks that stay inside the root', async () => {
    await mkdir(path.join(root, 'real'));
    await writeFile(path.join(root, 'real/data.txt'), 'inside');
    await symlink('real', path.join(root, 'alias'));
    await symlink('real/data.txt', path.join(root, 'data-link'));
    expect(await run({ op: 'read', path: 'alias/data.txt' })).toMatchObject({ content: 'inside' });
    expect(await run({ op: 'read', path: 'data-link' })).toMatchObject({ content: 'inside' });
    await run({ op: 'write', path: 'data-link', content: 'changed' });
    expect(await readFile(path.join(root, 'real/data.txt'), 'utf8')).toBe('changed');
    expect(await run({ op: 'stat', path: 'data-link' })).toMatchObject({
      type: 'symlink',
      target: 'file',
    });
    expect(await run({ op: 'list', path: '.' })).toMatchObject({
      entries: [
        { name: 'alias', type: 'symlink' },
        { name: 'data-link', type: 'symlink' },
        { name: 'real', type: 'dir' },
      ],
    });
  });

  it('refuses files over the size limit', async () => {
    await writeFile(path.join(root, 'big.bin'), Buffer.alloc(FS_MAX_BYTES + 1));
    expect(await failure({ op: 'read', path: 'big.bin' })).toMatchObject({
      code: 'FS_TOO_LARGE',
      retryable: false,
    });
    expect(
      await failure({ op: 'write', path: 'big2.bin', content: 'x'.repeat(FS_MAX_BYTES + 1) }),
    ).toMatchObject({ code: 'FS_TOO_LARGE' });
  });

  it('rejects a bad op and honours an aborted signal', async () => {
    expect(await failure({ op: 'chmod', path: 'a' })).toMatchObject({ code: 'BAD_CONFIG' });
    const c = ctx();
    const ac = new AbortController();
    ac.abort();
    expect(await failure({ op: 'list', path: '.' }, { ...c, signal: ac.signal })).toMatchObject({
      code: 'CANCELLED',
    });
  });
});
