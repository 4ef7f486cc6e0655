// The cluster ContentStore: one S3 object per value under `<prefix>sha256/<hex>`, holding the
// value's canonical JSON bytes (MinIO in compose and k8s, s3proxy in the integration tests).
//
// Content is immutable, so a put of a key that already exists rewrites identical bytes, which is
// harmless: no conditional write is needed, and writers in many processes never conflict. A
// bounded in-process cache of recently put or read values skips repeated uploads and downloads.
// `get` re-hashes what it downloads, so an altered object is reported (CONTENT_CORRUPT) rather
// than returned.
import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { s3Sdk } from './client-libraries.js';
import { AobError, casKey } from '@aob/core';
import type { CasRef, Content } from '@aob/core';
import { nativeContentOf } from './native-content.js';
import type { ContentStore } from './port.js';
import { BoundedCache } from './bounded-cache.js';
import { contentMissing, storeClosed, StoreErrorCode } from './errors.js';
import type { S3ClientOptions } from './s3-client.js';
import { isMissingObject, makeS3Client } from './s3-client.js';

export interface S3ContentStoreOptions extends S3ClientOptions {
  /** A client to use (and not destroy on close); otherwise one is made from the options. */
  client?: S3Client;
  bucket: string;
  /** Prepended to every key (`a/b` becomes `a/b/sha256/<hex>`); default none. */
  prefix?: string;
  /** Bound of the in-process cache of recently put/read values, in characters of JSON. */
  cacheChars?: number;
}

const CAS_KEY = /^sha256\/[0-9a-f]{64}$/;
const utf8 = new TextDecoder();

export class S3ContentStore implements ContentStore {
  private readonly client: S3Client;
  private readonly ownsClient: boolean;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly cache: BoundedCache;
  /** Uploads in flight by key: a second put of the same value waits for the first. */
  private readonly writing = new Map<string, Promise<void>>();
  private closed = false;

  constructor(options: S3ContentStoreOptions) {
    this.bucket = options.bucket;
    const prefix = options.prefix ?? '';
    this.prefix = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
    this.cache = new BoundedCache(options.cacheChars ?? 32 * 1024 * 1024);
    this.ownsClient = options.client === undefined;
    this.client = options.client ?? makeS3Client(options);
  }

  async put(value: unknown, known?: Content): Promise<CasRef> {
    this.assertOpen();
    const { ref, bytes } = known ?? nativeContentOf(value);
    const key = this.keyOf(ref);
    if (this.cache.has(key)) return ref;
    let write = this.writing.get(key);
    if (write === undefined) {
      write = this.upload(key, bytes).finally(() => this.writing.delete(key));
      this.writing.set(key, write);
    }
    await write;
    this.cache.set(key, utf8.decode(bytes));
    return ref;
  }

  async get(ref: CasRef): Promise<unknown> {
    this.assertOpen();
    const key = this.keyOf(ref);
    const cached = this.cache.get(key);
    if (cached !== undefined) return JSON.parse(cached) as unknown;
    await this.writing.get(key)?.catch(() => undefined);
    let bytes: Uint8Array;
    try {
      const object = await this.client.send(
        new (s3Sdk().GetObjectCommand)({ Bucket: this.bucket, Key: key }),
      );
      bytes = (await object.Body?.transformToByteArray()) ?? new Uint8Array();
    } catch (err) {
      if (isMissingObject(err)) throw contentMissing(ref);
      throw err;
    }
    if (createHash('sha256').update(bytes).digest('hex') !== hexOf(key)) {
      throw new AobError(
        StoreErrorCode.ContentCorrupt,
        `object s3://${this.bucket}/${key} does not hash to ${ref.$cas}`,
        { details: { ref, bucket: this.bucket, key } },
      );
    }
    const text = utf8.decode(bytes);
    this.cache.set(key, text);
    return JSON.parse(text) as unknown;
  }

  async has(ref: CasRef): Promise<boolean> {
    this.assertOpen();
    const key = this.keyOf(ref);
    if (this.cache.has(key)) return true;
    await this.writing.get(key)?.catch(() => undefined);
    try {
      await this.client.send(new (s3Sdk().HeadObjectCommand)({ Bucket: this.bucket, Key: key }));
      return true;
    } catch (err) {
      if (isMissingObject(err)) return false;
      throw err;
    }
  }

  /** Waits for uploads in flight, then destroys the client if this store made it. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.writing.values()]);
    this.cache.clear();
    if (this.ownsClient) this.client.destroy();
  }

  private async upload(key: string, bytes: Uint8Array): Promise<void> {
    await this.client.send(
      new (s3Sdk().PutObjectCommand)({
        Bucket: this.bucket,
        Key: key,
        Body: bytes,
        ContentLength: bytes.length,
        ContentType: 'application/json',
      }),
    );
  }

  /** The object key of a ref. Refs come from outside, so the hex is checked first. */
  private keyOf(ref: CasRef): string {
    const key = casKey(ref);
    if (!CAS_KEY.test(key)) {
      throw new AobError(StoreErrorCode.InvalidRef, `not a sha256 content reference: ${ref.$cas}`);
    }
    return this.prefix + key;
  }

  private assertOpen(): void {
    if (this.closed) throw storeClosed();
  }
}

function hexOf(key: string): string {
  return key.slice(key.lastIndexOf('/') + 1);
}
