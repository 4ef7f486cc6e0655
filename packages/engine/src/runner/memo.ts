// Memoised node results (ARCHITECTURE §6): hash(node definition, input) -> $cas. Redis holds only
// this map, and nothing in it that cannot be rebuilt: a hit whose content is gone is a miss.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CasRef, NodeJob } from '@aob/core';
import { canonicalJson, isCasRef } from '@aob/core';

/** Where memoised results live. Implementations may forget entries at any time. */
export interface ResultMemo {
  get(key: string): Promise<CasRef | undefined>;
  set(key: string, ref: CasRef): Promise<void>;
}

/**
 * The memo key of a job: `sha256:` + hex sha256 of the canonical JSON of its type, resolved
 * config and input. Nothing run-specific (run id, attempt, idempotency key, timeout, priority)
 * enters it, so equal work in different runs shares one entry.
 */
export function memoKey(job: Pick<NodeJob, 'type' | 'config' | 'input'>): string {
  const canonical = canonicalJson({ type: job.type, config: job.config, input: job.input });
  return `sha256:${createHash('sha256').update(canonical).digest('hex')}`;
}

/** An in-process memo (tests, single-process engines). */
export class MemoryResultMemo implements ResultMemo {
  readonly entries = new Map<string, CasRef>();

  async get(key: string): Promise<CasRef | undefined> {
    return this.entries.get(key);
  }

  async set(key: string, ref: CasRef): Promise<void> {
    this.entries.set(key, ref);
  }
}

/**
 * A durable memo in a directory (the local engine's file store: `AOB_HOME/memo`), one small file
 * per entry named by the key's hex, holding the CasRef's JSON; the values stay in the content
 * store beside it. A write goes to a temporary file renamed over the entry, so a reader (another
 * process on the same home) sees a whole entry or none; two writers of one key write equal work's
 * outputs, and the last rename wins. Nothing here needs a transaction or a migration, and an
 * entry lost or corrupt is a miss.
 */
export class FileResultMemo implements ResultMemo {
  private made = false;

  constructor(private readonly dir: string) {}

  private pathOf(key: string): string {
    return join(this.dir, key.replace(/^sha256:/, ''));
  }

  async get(key: string): Promise<CasRef | undefined> {
    let raw: string;
    try {
      raw = await readFile(this.pathOf(key), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    try {
      const ref: unknown = JSON.parse(raw);
      return isCasRef(ref) ? ref : undefined;
    } catch {
      return undefined;
    }
  }

  async set(key: string, ref: CasRef): Promise<void> {
    if (!this.made) {
      await mkdir(this.dir, { recursive: true });
      this.made = true;
    }
    const path = this.pathOf(key);
    const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(tmp, JSON.stringify(ref));
    await rename(tmp, path);
  }
}

/**
 * The slice of an ioredis client the memo uses. Structural, so the engine does not depend on
 * ioredis itself: pass an `ioredis` `Redis` (or a `Cluster`).
 */
export interface RedisMemoClient {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, px: 'PX', ttlMs: number): Promise<unknown>;
}

export interface RedisResultMemoOptions {
  /** Prepended to every memo key. Default `aob:memo:`. */
  prefix?: string;
  /** How long an entry lives after it is written. Default 24 h. */
  ttlMs?: number;
}

export const DEFAULT_MEMO_PREFIX = 'aob:memo:';
export const DEFAULT_MEMO_TTL_MS = 24 * 60 * 60 * 1000;

/** Memo entries as Redis strings (`<prefix><key>` -> JSON of the CasRef) with a TTL. */
export class RedisResultMemo implements ResultMemo {
  private readonly prefix: string;
  private readonly ttlMs: number;

  constructor(
    private readonly redis: RedisMemoClient,
    opts: RedisResultMemoOptions = {},
  ) {
    this.prefix = opts.prefix ?? DEFAULT_MEMO_PREFIX;
    this.ttlMs = opts.ttlMs ?? DEFAULT_MEMO_TTL_MS;
    if (!Number.isInteger(this.ttlMs) || this.ttlMs <= 0) {
      throw new RangeError(`RedisResultMemo: ttlMs must be a positive integer, got ${this.ttlMs}`);
    }
  }

  async get(key: string): Promise<CasRef | undefined> {
    const raw = await this.redis.get(this.prefix + key);
    if (raw === null) return undefined;
    let ref: unknown;
    try {
      ref = JSON.parse(raw);
    } catch {
      return undefined; // a corrupt entry is a miss; the next success overwrites it
    }
    return isCasRef(ref) ? ref : undefined;
  }

  async set(key: string, ref: CasRef): Promise<void> {
    await this.redis.set(this.prefix + key, JSON.stringify(ref), 'PX', this.ttlMs);
  }
}
