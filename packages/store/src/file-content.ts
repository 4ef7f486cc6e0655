// The local-mode ContentStore: one file per value under `<dir>/sha256/<first 2 hex>/<hex>`
// (`<home>/cas/…` for an `.aob/` home), holding the value's canonical JSON bytes.
//
// Writes go to a temp file in the target directory and are renamed into place, so a reader sees
// either no file or a whole one; two writers of the same content (threads of this process or
// other processes) rename identical bytes over each other, which is harmless. `get` re-hashes
// what it reads, so a torn or altered file is reported (CONTENT_CORRUPT) rather than returned.
// By default files are not fsynced: like the SQLite store with synchronous=NORMAL, this survives a
// process crash, not necessarily an OS crash. With `fsync`, a put resolves only once the file's
// bytes and its directory entries are on the disk (durability `full`, open.ts).
import { createHash } from 'node:crypto';
import { mkdir, open, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { AobError, casKey } from '@aob/core';
import type { CasRef, Content } from '@aob/core';
import { nativeContentOf } from './native-content.js';
import type { ContentStore } from './port.js';
import { BoundedCache } from './bounded-cache.js';
import { contentMissing, StoreErrorCode } from './errors.js';

export interface FileContentStoreOptions {
  /** The CAS root directory (`<home>/cas`). */
  dir: string;
  /** Bound of the in-process cache of recently put/read values, in characters of JSON. */
  cacheChars?: number;
  /** Fsync each file and its directory before a put resolves (durability `full`). Default false. */
  fsync?: boolean;
}

const HEX64 = /^[0-9a-f]{64}$/;
const utf8 = new TextDecoder();
let tempCounter = 0;

export class FileContentStore implements ContentStore {
  /** The content store of an `.aob/` home directory: `<home>/cas`. */
  static open(home: string, options: Omit<FileContentStoreOptions, 'dir'> = {}): FileContentStore {
    return new FileContentStore({ ...options, dir: join(home, 'cas') });
  }

  private readonly dir: string;
  private readonly cache: BoundedCache;
  /** Writes in flight by key: a second put of the same value waits for the first. */
  private readonly writing = new Map<string, Promise<void>>();
  private readonly madeDirs = new Set<string>();
  private readonly fsync: boolean;

  constructor(options: FileContentStoreOptions) {
    this.dir = options.dir;
    this.fsync = options.fsync ?? false;
    this.cache = new BoundedCache(options.cacheChars ?? 32 * 1024 * 1024);
  }

  async put(value: unknown, known?: Content): Promise<CasRef> {
    const { ref, bytes } = known ?? nativeContentOf(value);
    const key = casKey(ref);
    if (this.cache.has(key)) return ref;
    let write = this.writing.get(key);
    if (write === undefined) {
      write = this.write(ref, bytes).finally(() => this.writing.delete(key));
      this.writing.set(key, write);
    }
    await write;
    this.cache.set(key, utf8.decode(bytes));
    return ref;
  }

  async get(ref: CasRef): Promise<unknown> {
    const key = casKey(ref);
    const cached = this.cache.get(key);
    if (cached !== undefined) return JSON.parse(cached) as unknown;
    await this.writing.get(key);
    const { path, hex } = this.locate(ref);
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (err) {
      if (isMissing(err)) throw contentMissing(ref);
      throw err;
    }
    if (createHash('sha256').update(bytes).digest('hex') !== hex) {
      throw new AobError(
        StoreErrorCode.ContentCorrupt,
        `content file ${path} does not hash to ${ref.$cas}`,
        {
          details: { ref, path },
        },
      );
    }
    const text = bytes.toString('utf8');
    this.cache.set(key, text);
    return JSON.parse(text) as unknown;
  }

  async has(ref: CasRef): Promise<boolean> {
    const key = casKey(ref);
    if (this.cache.has(key)) return true;
    await this.writing.get(key);
    return exists(this.locate(ref).path);
  }

  /** Waits for writes in flight; the store holds no other resource. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.writing.values()]);
    this.cache.clear();
  }

  private async write(ref: CasRef, bytes: Uint8Array): Promise<void> {
    const { path, folder } = this.locate(ref);
    // Content is immutable: a file already there holds these very bytes.
    if (await exists(path)) return;
    if (!this.madeDirs.has(folder)) {
      const made = await mkdir(folder, { recursive: true });
      // A new directory's own entry is in its parent: synced up to the root, like a file's.
      if (this.fsync && made !== undefined) {
        for (let d = folder; d !== dirname(made); d = dirname(d)) await syncDir(dirname(d));
      }
      this.madeDirs.add(folder);
    }
    // Unique per process and write; the pid keeps processes sharing the directory apart.
    const temp = `${path}.${process.pid}.${++tempCounter}.tmp`;
    try {
      if (this.fsync) {
        const file = await open(temp, 'w');
        try {
          await file.writeFile(bytes);
          await file.sync();
        } finally {
          await file.close();
        }
      } else {
        await writeFile(temp, bytes);
      }
      await rename(temp, path);
    } catch (err) {
      await unlink(temp).catch(() => undefined);
      throw err;
    }
    // The rename is durable once the directory is.
    if (this.fsync) await syncDir(folder);
  }

  /** The file of a ref. Refs come from outside, so the hex is checked before it becomes a path. */
  private locate(ref: CasRef): { path: string; folder: string; hex: string } {
    const hex = casKey(ref).slice('sha256/'.length);
    if (!HEX64.test(hex)) {
      throw new AobError(StoreErrorCode.InvalidRef, `not a sha256 content reference: ${ref.$cas}`);
    }
    const folder = join(this.dir, 'sha256', hex.slice(0, 2));
    return { path: join(folder, hex), folder, hex };
  }
}

async function syncDir(path: string): Promise<void> {
  const dir = await open(path, 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

function isMissing(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 'ENOENT';
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if (isMissing(err)) return false;
    throw err;
  }
}
