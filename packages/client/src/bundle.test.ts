// The client must run in a browser: bundled for the browser platform, it reaches no Node
// built-in and no module outside this package (type imports are erased and do not count).
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const entry = fileURLToPath(new URL('./index.ts', import.meta.url));
const packageSrc = fileURLToPath(new URL('./', import.meta.url));

describe('@aob/client in a browser bundle', () => {
  it('bundles for the browser from its own sources only', async () => {
    const result = await build({
      entryPoints: [entry],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    expect(result.errors).toEqual([]);
    const inputs = Object.keys(result.metafile.inputs).map((p) =>
      fileURLToPath(new URL(p, `file://${process.cwd()}/`)),
    );
    expect(inputs.length).toBeGreaterThan(3);
    expect(inputs.filter((p) => !p.startsWith(packageSrc))).toEqual([]);
    const code = result.outputFiles[0]!.text;
    expect(code).not.toMatch(/from\s+["']node:|require\(["']node:/);
    expect(code).toMatch(/export \{[^}]*AobHttpClient/);
  });

  it('fails on a module that imports a Node built-in (the check can fail)', async () => {
    await expect(
      build({
        stdin: { contents: "import { readFileSync } from 'node:fs'; readFileSync('x');" },
        bundle: true,
        platform: 'browser',
        write: false,
        logLevel: 'silent',
      }),
    ).rejects.toThrow(/node:fs/);
  });
});
