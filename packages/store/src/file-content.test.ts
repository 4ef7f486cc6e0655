import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { contentOf } from '@aob/core';
import { contentStoreConformance } from './conformance/content-store.js';
import { FileContentStore } from './file-content.js';

const root = mkdtempSync(join(tmpdir(), 'aob-store-cas-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let homes = 0;
const freshHome = (): string => join(root, `home-${++homes}`);

contentStoreConformance('FileContentStore', async () => FileContentStore.open(freshHome()));
contentStoreConformance('FileContentStore (no cache)', async () =>
  FileContentStore.open(freshHome(), { cacheChars: 0 }),
);
contentStoreConformance('FileContentStore (fsync, no cache)', async () =>
  FileContentStore.open(freshHome(), { cacheChars: 0, fsync: true }),
);

describe('FileContentStore', () => {
  it('writes the canonical bytes to <home>/cas/sha256/<2 hex>/<hex>, leaving no temp files', async () => {
    const home = freshHome();
    const store = FileContentStore.open(home);
    const value = { z: 1, a: ['ü'] };
    await Promise.all(Array.from({ length: 10 }, () => store.put(value)));
    const { ref, bytes } = contentOf(value);
    const hex = ref.$cas.slice('sha256:'.length);
    const dir = join(home, 'cas', 'sha256', hex.slice(0, 2));
    expect(readdirSync(dir)).toEqual([hex]);
    expect(new Uint8Array(await readFile(join(dir, hex)))).toEqual(bytes);
    await store.close();
  });

  it('reads what another instance (or process) wrote, with a cold cache', async () => {
    const home = freshHome();
    const writer = FileContentStore.open(home);
    const ref = await writer.put({ from: 'writer' });
    await writer.close();
    const reader = FileContentStore.open(home);
    expect(await reader.has(ref)).toBe(true);
    expect(await reader.get(ref)).toEqual({ from: 'writer' });
    await reader.close();
  });

  it('reports a file whose bytes do not match its hash as CONTENT_CORRUPT', async () => {
    const home = freshHome();
    const store = FileContentStore.open(home, { cacheChars: 0 });
    const ref = await store.put({ ok: true });
    const hex = ref.$cas.slice('sha256:'.length);
    const path = join(home, 'cas', 'sha256', hex.slice(0, 2), hex);
    expect(statSync(path).size).toBe(ref.size);
    writeFileSync(path, '{"ok":false}');
    await expect(store.get(ref)).rejects.toMatchObject({ code: 'CONTENT_CORRUPT' });
    await store.close();
  });

  it('refuses a ref that is not a sha256 hex digest (no path tricks)', async () => {
    const store = FileContentStore.open(freshHome());
    await expect(store.get({ $cas: 'sha256:../../etc/passwd', size: 1 })).rejects.toMatchObject({
      code: 'INVALID_REF',
    });
    await store.close();
  });
});
