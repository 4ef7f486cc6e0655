import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadHandlers } from './handlers.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aob-handlers-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function module(name: string, source: string): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, source);
  return file;
}

describe('loadHandlers', () => {
  it('collects function-valued named exports and default-object properties', async () => {
    const file = await module(
      'handlers.mjs',
      `export const constant = 42;
       export function sendReply(input) { return { sent: input }; }
       export const shared = () => 'named';
       export default { fromDefault: async () => 'default', shared: () => 'default', note: 'x' };`,
    );
    const handlers = await loadHandlers(file);
    expect(Object.keys(handlers).sort()).toEqual(['fromDefault', 'sendReply', 'shared']);
    expect(handlers['sendReply']?.(1, undefined as never)).toEqual({ sent: 1 });
    expect(handlers['shared']?.(null, undefined as never)).toBe('named');
    expect(Object.isFrozen(handlers)).toBe(true);
    expect(Object.getPrototypeOf(handlers)).toBeNull();
  });

  it('ignores a default export that is a function', async () => {
    const file = await module(
      'default-fn.mjs',
      'export default function () {}\nexport const a = () => 1;',
    );
    expect(Object.keys(await loadHandlers(file))).toEqual(['a']);
  });

  it('names the path when the module is missing', async () => {
    const missing = join(dir, 'nope.mjs');
    await expect(loadHandlers(missing)).rejects.toMatchObject({
      code: 'HANDLERS_NOT_FOUND',
      retryable: false,
      message: expect.stringContaining(missing),
    });
    await expect(loadHandlers(dir)).rejects.toMatchObject({ code: 'HANDLERS_NOT_FOUND' });
  });

  it('reports the cause when importing throws', async () => {
    const throwing = await module('throws.mjs', "throw new Error('config missing');");
    await expect(loadHandlers(throwing)).rejects.toMatchObject({
      code: 'HANDLERS_LOAD_FAILED',
      message: expect.stringContaining('config missing'),
    });
    const broken = await module('broken.mjs', 'export const = ;');
    await expect(loadHandlers(broken)).rejects.toMatchObject({ code: 'HANDLERS_LOAD_FAILED' });
  });
});
