import { lstat, realpath } from 'node:fs/promises';
import path from 'node:path';
import { AobError } from '@aob/core';

/** A workspace-relative path checked against the root: `rel` is normalised, `abs` is real. */
export interface CheckedPath {
  /** Normalised, '/'-separated, relative to the root ('.' for the root itself). */
  rel: string;
  /** The real (symlink-free) absolute path of the target, or of its parent plus the last name. */
  abs: string;
  /** True when the target exists (as `lstat` sees it: a dangling symlink exists). */
  exists: boolean;
}

export function forbidden(rel: unknown, why: string): AobError {
  return new AobError('FS_FORBIDDEN_PATH', `fs: path ${JSON.stringify(rel)} refused: ${why}`, {
    retryable: false,
    details: { path: rel, reason: why },
  });
}

/**
 * Lexical checks: a non-empty relative path with no NUL, no `..` segment and no absolute or
 * drive/UNC form. Returns the normalised segments ([] for the root).
 */
export function splitRelative(raw: unknown): string[] {
  if (typeof raw !== 'string' || raw === '') throw forbidden(raw, 'must be a non-empty string');
  if (raw.includes('\0')) throw forbidden(raw, 'contains a NUL byte');
  if (path.isAbsolute(raw) || raw.startsWith('\\') || /^[a-zA-Z]:/.test(raw)) {
    throw forbidden(raw, 'absolute paths are not allowed');
  }
  const segments = raw.split(/[/\\]+/).filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) throw forbidden(raw, "'..' segments are not allowed");
  return segments;
}

export function isInside(root: string, abs: string): boolean {
  return abs === root || abs.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

/**
 * Resolves `raw` under the real `root`.
 * - `follow`: the target's own realpath must stay in the root (symlinks are followed, so a link
 *   pointing outside is refused). Used by read, list, stat and write-over-existing.
 * - otherwise: only the parent's realpath must stay in the root and the final name is used as is
 *   (delete and move act on a symlink itself, never on what it points to).
 * A missing target is resolved through its nearest existing ancestor, which must be in the root.
 */
export async function checkPath(root: string, raw: unknown, follow: boolean): Promise<CheckedPath> {
  const segments = splitRelative(raw);
  const rel = segments.length === 0 ? '.' : segments.join('/');
  const lexical = path.join(root, ...segments);
  const exists = await lstat(lexical).then(
    () => true,
    (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return false;
      throw err;
    },
  );
  let abs: string;
  if (segments.length === 0) {
    abs = root;
  } else if (exists && follow) {
    abs = await realpath(lexical).catch((err: NodeJS.ErrnoException) => {
      // A dangling or looping link: refuse rather than guess where it would land.
      if (err.code === 'ENOENT' || err.code === 'ELOOP') throw forbidden(raw, 'unresolvable link');
      throw err;
    });
  } else {
    const parent = await realAncestor(root, segments.slice(0, -1));
    abs = path.join(parent.real, ...parent.missing, segments[segments.length - 1] ?? '');
  }
  if (!isInside(root, abs)) throw forbidden(raw, 'resolves outside the workspace root');
  return { rel, abs, exists };
}

/** The realpath of the deepest existing prefix of `segments`, plus the names below it. */
async function realAncestor(
  root: string,
  segments: string[],
): Promise<{ real: string; missing: string[] }> {
  for (let i = segments.length; i >= 0; i--) {
    const candidate = path.join(root, ...segments.slice(0, i));
    try {
      const real = await realpath(candidate);
      if (!isInside(root, real)) throw forbidden(segments.join('/'), 'resolves outside the root');
      return { real, missing: segments.slice(i) };
    } catch (err) {
      if (err instanceof AobError) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
    }
  }
  return { real: root, missing: segments };
}
