import { constants } from 'node:fs';
import { lstat, mkdir, open, readdir, realpath, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { AobError } from '@aob/core';
import { abortError, throwIfAborted } from './abort.js';
import { checkPath, forbidden } from './fs-path.js';
import type { Executor } from './types.js';

export const FS_MAX_BYTES = 10 * 1024 * 1024;

const OPS = ['read', 'write', 'list', 'move', 'delete', 'stat', 'mkdir'] as const;
type FsOp = (typeof OPS)[number];
type EntryType = 'file' | 'dir' | 'symlink' | 'other';

interface FsConfig {
  op: FsOp;
  path: unknown;
  to?: unknown;
  content?: unknown;
  encoding: 'utf8' | 'base64';
  recursive: boolean;
}

/**
 * `fs`: `with { op, path, to?, content?, encoding = utf8 | base64, recursive? }`, confined to
 * `ctx.options.workspaceRoot` ('FS_NO_WORKSPACE' when unset). Paths are relative to the root;
 * absolute paths, `..`, NUL bytes and anything whose realpath (or whose parent's realpath, for a
 * path that does not exist yet) leaves the root are refused with 'FS_FORBIDDEN_PATH'. Files are
 * opened with O_NOFOLLOW on their resolved real path, so a final component swapped for a symlink
 * between the check and the open fails instead of being followed. Reads and writes are capped at
 * 10 MiB ('FS_TOO_LARGE').
 */
export const fsExecutor: Executor = async (job, ctx) => {
  throwIfAborted(ctx.signal);
  const config = parseConfig(job.config, job.nodeId);
  const configured = ctx.options.workspaceRoot;
  if (configured === undefined || configured === '') {
    throw new AobError('FS_NO_WORKSPACE', `fs node ${job.nodeId}: no workspace root configured`);
  }
  try {
    const root = await realpath(configured);
    throwIfAborted(ctx.signal);
    return await runOp(root, config, ctx.signal);
  } catch (err) {
    throw toFsError(err, ctx.signal);
  }
};

async function runOp(root: string, c: FsConfig, signal: AbortSignal): Promise<unknown> {
  switch (c.op) {
    case 'read': {
      const p = await checkPath(root, c.path, true);
      if (!p.exists) throw notFound(p.rel);
      const handle = await open(p.abs, constants.O_RDONLY | constants.O_NOFOLLOW);
      try {
        const info = await handle.stat();
        if (!info.isFile()) throw wrongType(p.rel, 'is not a file');
        if (info.size > FS_MAX_BYTES) throw tooLarge(p.rel, info.size);
        const data = await handle.readFile({ signal });
        if (data.length > FS_MAX_BYTES) throw tooLarge(p.rel, data.length);
        return { path: p.rel, content: data.toString(c.encoding), size: data.length };
      } finally {
        await handle.close();
      }
    }
    case 'write': {
      if (typeof c.content !== 'string') throw badConfig('with.content must be a string');
      const data = Buffer.from(c.content, c.encoding);
      if (data.length > FS_MAX_BYTES) throw tooLarge(String(c.path), data.length);
      const p = await checkPath(root, c.path, true);
      if (p.rel === '.') throw wrongType(p.rel, 'is the workspace root');
      await mkdir(path.dirname(p.abs), { recursive: true });
      throwIfAborted(signal);
      const flags =
        constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW;
      const handle = await open(p.abs, flags, 0o644);
      try {
        await handle.writeFile(data);
      } finally {
        await handle.close();
      }
      return { path: p.rel, size: data.length };
    }
    case 'list': {
      const p = await checkPath(root, c.path ?? '.', true);
      if (!p.exists) throw notFound(p.rel);
      const dirents = await readdir(p.abs, { withFileTypes: true });
      const entries: { name: string; type: EntryType; size: number }[] = [];
      for (const d of dirents) {
        const info = await lstat(path.join(p.abs, d.name)).catch(() => undefined);
        if (info === undefined) continue; // removed while we listed
        entries.push({ name: d.name, type: typeOf(info), size: info.isFile() ? info.size : 0 });
      }
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      return { path: p.rel, entries };
    }
    case 'stat': {
      const p = await checkPath(root, c.path, true);
      if (!p.exists) return { path: p.rel, exists: false };
      const link = await lstat(path.join(root, p.rel));
      const info = await stat(p.abs);
      return {
        path: p.rel,
        exists: true,
        type: link.isSymbolicLink() ? 'symlink' : typeOf(info),
        target: link.isSymbolicLink() ? typeOf(info) : undefined,
        size: info.isFile() ? info.size : 0,
        mtime: info.mtime.toISOString(),
      };
    }
    case 'mkdir': {
      const p = await checkPath(root, c.path, true);
      if (p.exists) {
        if (!(await stat(p.abs)).isDirectory())
          throw wrongType(p.rel, 'exists and is not a directory');
        return { path: p.rel, created: false };
      }
      await mkdir(p.abs, { recursive: c.recursive });
      return { path: p.rel, created: true };
    }
    case 'delete': {
      const p = await checkPath(root, c.path, false);
      if (p.rel === '.') throw forbidden(c.path, 'the workspace root cannot be deleted');
      if (!p.exists) throw notFound(p.rel);
      const info = await lstat(p.abs);
      if (info.isDirectory() && !c.recursive) {
        const children = await readdir(p.abs);
        if (children.length > 0) {
          throw new AobError(
            'FS_NOT_EMPTY',
            `fs: ${p.rel} is a non-empty directory; set recursive`,
          );
        }
      }
      // rm never follows symlinks: a link is removed, not what it points to.
      await rm(p.abs, { recursive: info.isDirectory(), force: false });
      return { path: p.rel, deleted: true };
    }
    case 'move': {
      if (c.to === undefined) throw badConfig('with.to is required for move');
      const from = await checkPath(root, c.path, false);
      const to = await checkPath(root, c.to, false);
      if (from.rel === '.' || to.rel === '.')
        throw forbidden(c.path, 'cannot move the workspace root');
      if (!from.exists) throw notFound(from.rel);
      if (to.exists) {
        throw new AobError('FS_EXISTS', `fs: ${to.rel} already exists`, {
          details: { path: to.rel },
        });
      }
      await mkdir(path.dirname(to.abs), { recursive: true });
      await rename(from.abs, to.abs);
      return { path: from.rel, to: to.rel };
    }
  }
}

function parseConfig(config: Record<string, unknown>, nodeId: string): FsConfig {
  const op = config['op'];
  if (typeof op !== 'string' || !(OPS as readonly string[]).includes(op)) {
    throw badConfig(`fs node ${nodeId}: with.op must be one of ${OPS.join(', ')}`);
  }
  const encoding = config['encoding'] ?? 'utf8';
  if (encoding !== 'utf8' && encoding !== 'base64') {
    throw badConfig(`fs node ${nodeId}: with.encoding must be utf8 or base64`);
  }
  const recursive = config['recursive'] ?? op === 'mkdir';
  if (typeof recursive !== 'boolean')
    throw badConfig(`fs node ${nodeId}: with.recursive must be a boolean`);
  return {
    op: op as FsOp,
    path: config['path'],
    to: config['to'],
    content: config['content'],
    encoding,
    recursive,
  };
}

function typeOf(info: {
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
}): EntryType {
  if (info.isSymbolicLink()) return 'symlink';
  if (info.isDirectory()) return 'dir';
  if (info.isFile()) return 'file';
  return 'other';
}

function badConfig(message: string): AobError {
  return new AobError('BAD_CONFIG', message, { retryable: false });
}
function notFound(rel: string): AobError {
  return new AobError('FS_NOT_FOUND', `fs: ${rel} does not exist`, { details: { path: rel } });
}
function wrongType(rel: string, what: string): AobError {
  return new AobError('FS_WRONG_TYPE', `fs: ${rel} ${what}`, { details: { path: rel } });
}
function tooLarge(rel: string, size: number): AobError {
  return new AobError('FS_TOO_LARGE', `fs: ${rel} is ${size} bytes; the limit is ${FS_MAX_BYTES}`, {
    details: { path: rel, size, limit: FS_MAX_BYTES },
  });
}

/** Maps errno codes to stable codes; only transient conditions are retryable. */
function toFsError(err: unknown, signal: AbortSignal): unknown {
  if (err instanceof AobError) return err;
  if (signal.aborted) return abortError(signal);
  const code = (err as NodeJS.ErrnoException).code;
  const message = `fs: ${(err as Error).message}`;
  switch (code) {
    case 'ELOOP':
      return forbidden(undefined, 'a symlink appeared in the final path component');
    case 'ENOENT':
      return new AobError('FS_NOT_FOUND', message);
    case 'EEXIST':
      return new AobError('FS_EXISTS', message);
    case 'ENOTDIR':
    case 'EISDIR':
      return new AobError('FS_WRONG_TYPE', message);
    case 'ENOTEMPTY':
      return new AobError('FS_NOT_EMPTY', message);
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new AobError('FS_ACCESS_DENIED', message);
    default:
      return new AobError('FS_IO', message, {
        retryable: true,
        details: typeof code === 'string' ? { code } : undefined,
      });
  }
}
