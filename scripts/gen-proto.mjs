// Generates the TypeScript of the gRPC API (proto/aob/v1/*.proto) with buf and protoc-gen-es,
// both from node_modules (no network, no remote plugin):
//   packages/control/src/generated/aob/v1/*_pb.ts   messages, enums and service descriptors
// `node scripts/gen-proto.mjs` (npm run gen:proto) lints the protos, generates into a temporary
// directory and replaces OUT_DIR with the result (files no proto produces any more are removed);
// `generate()` returns the files without writing (the drift test compares the two).
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, delimiter } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
export const OUT_DIR = 'packages/control/src/generated';
const BIN = join(root, 'node_modules', '.bin');

export const HEADER =
  '// generated — do not edit; run npm run gen:proto (scripts/gen-proto.mjs) after changing proto/\n';

/** Runs buf from the repository root with the local plugins first on PATH. */
async function buf(args) {
  try {
    return await run(join(BIN, 'buf'), args, {
      cwd: root,
      env: { ...process.env, PATH: `${BIN}${delimiter}${process.env.PATH ?? ''}` },
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (err) {
    const e = /** @type {{ stderr?: string, stdout?: string, message: string }} */ (err);
    throw new Error(`buf ${args[0]} failed: ${(e.stdout ?? '') + (e.stderr ?? '') || e.message}`);
  }
}

async function walk(dir) {
  const out = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(path)));
    else out.push(path);
  }
  return out;
}

/** Returns every generated file: path relative to the repository root → contents. */
export async function generate() {
  await buf(['lint', 'proto']);
  const tmp = await mkdtemp(join(tmpdir(), 'aob-gen-proto-'));
  try {
    await buf(['generate', 'proto', '--template', 'proto/buf.gen.yaml', '-o', tmp]);
    /** @type {Record<string, string>} */
    const files = {};
    for (const path of (await walk(join(tmp, OUT_DIR))).sort()) {
      files[relative(tmp, path)] = HEADER + (await readFile(path, 'utf8'));
    }
    if (Object.keys(files).length === 0) throw new Error(`buf generated nothing under ${OUT_DIR}`);
    return files;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

async function main() {
  const files = await generate();
  await rm(join(root, OUT_DIR), { recursive: true, force: true });
  for (const [rel, contents] of Object.entries(files)) {
    const path = join(root, rel);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, contents);
    console.log(`wrote ${rel}`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
}
