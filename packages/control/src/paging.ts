// Pagination of list operations: an opaque cursor (the offset of the next page, base64url) and a
// limit. Offsets are simple and stable enough for lists ordered newest first whose heads move
// while a client pages; a client that must not miss anything follows the timeline instead.
import { ValidationError } from '@aob/core';

export interface Page<T> {
  items: T[];
  /** Present when there are more items: pass it back as `cursor`. */
  nextCursor?: string;
}

export interface PageRequest {
  cursor?: string;
  limit?: number;
}

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 500;

/** The offset and limit a request asks for; a bad cursor or limit is a ValidationError. */
export function pageWindow(req: PageRequest & { defaultLimit?: number; maxLimit?: number }): {
  offset: number;
  limit: number;
} {
  const max = req.maxLimit ?? MAX_LIMIT;
  const problems = [];
  let offset = 0;
  if (req.cursor !== undefined) {
    const decoded = decodeCursor(req.cursor);
    if (decoded === undefined) {
      problems.push({
        code: 'BAD_CURSOR',
        path: '/cursor',
        message: 'is not a cursor this server handed out (pass nextCursor back unchanged)',
      });
    } else offset = decoded;
  }
  const limit = req.limit ?? req.defaultLimit ?? DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > max) {
    problems.push({
      code: 'BAD_LIMIT',
      path: '/limit',
      message: `must be an integer from 1 to ${max} (got ${String(req.limit)})`,
    });
  }
  if (problems.length > 0) throw new ValidationError(problems, 'page');
  return { offset, limit };
}

/** A page from up to `limit + 1` items fetched at `offset` (the extra one says there is more). */
export function pageOf<T>(fetched: T[], offset: number, limit: number): Page<T> {
  if (fetched.length <= limit) return { items: fetched };
  return { items: fetched.slice(0, limit), nextCursor: encodeCursor(offset + limit) };
}

function encodeCursor(offset: number): string {
  return Buffer.from(JSON.stringify({ o: offset })).toString('base64url');
}

function decodeCursor(cursor: string): number | undefined {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { o?: unknown };
    return Number.isInteger(v.o) && (v.o as number) >= 0 ? (v.o as number) : undefined;
  } catch {
    return undefined;
  }
}
