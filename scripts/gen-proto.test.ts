// The committed generated gRPC code must be what buf and protoc-gen-es produce from the committed
// protos: after changing proto/, run `npm run gen:proto`.
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { generate, HEADER, OUT_DIR } from './gen-proto.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));

async function committedFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await committedFiles(path)));
    else out.push(relative(root, path));
  }
  return out.sort();
}

describe('gen-proto', () => {
  it('the committed generated files are up to date (run npm run gen:proto)', async () => {
    const files = await generate();
    const protos = (await readdir(join(root, 'proto/aob/v1'))).filter((f) => f.endsWith('.proto'));
    // One module per proto, and nothing in the generated directory that no proto produces.
    expect(Object.keys(files).sort()).toEqual(
      protos.map((p) => `${OUT_DIR}/aob/v1/${p.replace(/\.proto$/, '_pb.ts')}`).sort(),
    );
    expect(await committedFiles(join(root, OUT_DIR))).toEqual(Object.keys(files).sort());
    for (const [rel, contents] of Object.entries(files)) {
      expect(contents.startsWith(HEADER)).toBe(true);
      const committed = await readFile(join(root, rel), 'utf8');
      expect(committed, `${rel} is stale: run npm run gen:proto`).toBe(contents);
    }
  }, 60_000);

  it('generates every service of aob.v1', async () => {
    const files = await generate();
    const services = Object.values(files)
      .flatMap((ts) => [...ts.matchAll(/@generated from service aob\.v1\.(\w+)/g)])
      .map((m) => m[1])
      .sort();
    expect(services).toEqual([
      'Approvals',
      'Identity',
      'Patches',
      'Questions',
      'Runs',
      'Schedules',
      'Timelines',
      'Validator',
      'Workflows',
    ]);
  }, 60_000);
});
