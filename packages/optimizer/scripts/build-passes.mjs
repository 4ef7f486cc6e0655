// Compiles the built-in passes (passes/*.ts, AssemblyScript) to dist/passes/<name>.wasm: part of
// this package's `build`, so `npm install` / turbo build produce them with the TypeScript host.
//
// The flags are the ABI's side of the bargain (src/abi.ts): the stub runtime (an instance answers
// one call, so there is nothing to collect), memory imported from the host (`env.memory`: the host
// creates it with the memory limit as its maximum, so a pass cannot grow past it), and `env.abort`
// as the only other import.
import asc from 'assemblyscript/asc';
import { mkdir, readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const passes = (await readdir(`${root}passes`)).filter((f) => f.endsWith('.ts'));
await mkdir(`${root}dist/passes`, { recursive: true });

let failed = false;
for (const file of passes) {
  const name = file.slice(0, -3);
  const { error } = await asc.main(
    [
      `passes/${file}`,
      '--outFile',
      `dist/passes/${name}.wasm`,
      '--runtime',
      'stub',
      '--importMemory',
      '--initialMemory',
      '2',
      '--optimizeLevel',
      '3',
      '--shrinkLevel',
      '1',
      '--noColors',
    ],
    { stdout: process.stdout, stderr: process.stderr, baseDir: root },
  );
  if (error) {
    failed = true;
    process.stderr.write(`passes/${file}: ${error.message}\n`);
  }
}
if (failed) process.exit(1);
