// S3ContentStore against a real S3 server: the s3proxy that scripts/services/s3.service.ts starts
// for the integration run, or the one S3_ENDPOINT names.
import { randomBytes } from 'node:crypto';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { casKey, refOf } from '@aob/core';
import { contentStoreConformance } from './conformance/content-store.js';
import { S3ContentStore } from './s3-content.js';
import type { S3ContentStoreOptions } from './s3-content.js';

function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: the integration global setup should have started S3`);
  }
  return value;
}

const endpoint = requireEnv('S3_ENDPOINT');
const bucket = requireEnv('S3_BUCKET');
const region = process.env.S3_REGION || 'us-east-1';
const credentials = {
  accessKeyId: requireEnv('S3_ACCESS_KEY'),
  secretAccessKey: requireEnv('S3_SECRET_KEY'),
};
// Each store gets a prefix of its own, so tests sharing the bucket (and reruns against a
// long-lived server) never see each other's objects.
const runPrefix = `test-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
let stores = 0;
const freshPrefix = (): string => `${runPrefix}/store-${++stores}`;
const options = (extra: Partial<S3ContentStoreOptions> = {}): S3ContentStoreOptions => ({
  endpoint,
  region,
  bucket,
  credentials,
  prefix: freshPrefix(),
  ...extra,
});

const raw = new S3Client({
  endpoint,
  region,
  forcePathStyle: true,
  credentials,
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
});
afterAll(() => raw.destroy());

contentStoreConformance('S3ContentStore', async () => new S3ContentStore(options()));
contentStoreConformance(
  'S3ContentStore (no cache)',
  async () => new S3ContentStore(options({ cacheChars: 0 })),
);

describe('S3ContentStore', () => {
  it('reads what another instance (or process) put in the shared bucket, with a cold cache', async () => {
    const prefix = freshPrefix();
    const writer = new S3ContentStore(options({ prefix }));
    const ref = await writer.put({ from: 'writer', list: [1, 'ü'] });
    await writer.close();
    const reader = new S3ContentStore(options({ prefix }));
    expect(await reader.has(ref)).toBe(true);
    expect(await reader.get(ref)).toEqual({ from: 'writer', list: [1, 'ü'] });
    await reader.close();
    const elsewhere = new S3ContentStore(options());
    expect(await elsewhere.has(ref)).toBe(false);
    await elsewhere.close();
  });

  it('stores the canonical JSON bytes under <prefix>/sha256/<hex> as application/json', async () => {
    const prefix = freshPrefix();
    const store = new S3ContentStore(options({ prefix }));
    const value = { z: 1, a: ['ü'] };
    const ref = await store.put(value);
    await store.close();
    const object = await raw.send(
      new GetObjectCommand({ Bucket: bucket, Key: `${prefix}/${casKey(ref)}` }),
    );
    expect(object.ContentType).toBe('application/json');
    expect(await object.Body?.transformToString()).toBe('{"a":["ü"],"z":1}');
  });

  it('reports an object whose bytes do not match its key as CONTENT_CORRUPT', async () => {
    const prefix = freshPrefix();
    const ref = refOf({ ok: true });
    await raw.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: `${prefix}/${casKey(ref)}`,
        Body: '{"ok":false}',
      }),
    );
    const store = new S3ContentStore(options({ prefix, cacheChars: 0 }));
    expect(await store.has(ref)).toBe(true);
    await expect(store.get(ref)).rejects.toMatchObject({ code: 'CONTENT_CORRUPT' });
    await store.close();
  });

  it('refuses a ref that is not a sha256 hex digest', async () => {
    const store = new S3ContentStore(options());
    await expect(store.get({ $cas: 'sha256:../../etc/passwd', size: 1 })).rejects.toMatchObject({
      code: 'INVALID_REF',
    });
    await store.close();
  });

  it('uploads concurrent puts of the same value once, and a cached value not again', async () => {
    const sent: string[] = [];
    const client = new S3Client({
      endpoint,
      region,
      forcePathStyle: true,
      credentials,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    client.middlewareStack.add(
      (next, context) => async (args) => {
        sent.push(context.commandName ?? '?');
        return next(args);
      },
      { step: 'initialize' },
    );
    const prefix = freshPrefix();
    const store = new S3ContentStore(options({ client, prefix }));
    const value = { same: 'value' };
    await Promise.all(Array.from({ length: 10 }, () => store.put(value)));
    await store.put(value);
    expect(sent.filter((c) => c === 'PutObjectCommand')).toHaveLength(1);
    await store.close();
    // A client handed in belongs to the caller: closing the store leaves it usable.
    const again = new S3ContentStore(options({ client, prefix, cacheChars: 0 }));
    expect(await again.has(refOf(value))).toBe(true);
    await again.close();
    client.destroy();
  });

  it('fails with the server error, not CONTENT_MISSING, when the bucket does not exist', async () => {
    const store = new S3ContentStore(options({ bucket: `no-such-bucket-${runPrefix}` }));
    const error = await store.get(refOf({ x: 1 })).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'NoSuchBucket' });
    await store.close();
  });
});
