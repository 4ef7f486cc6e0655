// Bundles the built CLI into dist/bundle/: one ES module per command plus the chunks they share,
// with the @aob/* workspaces and the npm packages they import inside. Run by the package's build
// after write-manifest.mjs, whose manifest names the commands.
//
// Why: Node 20 has no compile cache, and most of a short command's time was its module loader
// opening, resolving and compiling ~480 files one by one (`aob run start` of one node: 546 ms, of
// which Node itself is ~100). A command now loads its own entry and a few shared chunks.
//
// The bundle is a second oclif root: dist/bundle/package.json (the CLI's, copied) and
// dist/bundle/oclif.manifest.json (the CLI's manifest with each command pointing at its entry), and
// oclif.js, the entry bin/run.js imports `execute` from — so oclif, its Command class and the
// commands come from one copy. bin/run.js uses the bundle only while its manifest is newer than
// every built command module; a bare `tsc -b` falls back to dist/commands and node_modules.
//
// What stays outside, imported by its bare name from node_modules (the build checks that Node finds
// the same copy from the bundle as from the importer):
//   - packages with a native addon (binding.gyp): their .node file is found beside their code;
//   - CommonJS packages the code imports with `import()` (the OpenTelemetry SDK): why, below;
//   - what the workspaces load lazily with createRequire (pg, kafkajs, ioredis, the S3 SDK, ajv's
//     compiler, pino, …): esbuild cannot see those calls, so they load from node_modules as before;
//   - development tools a package looks for inside `try` (TypeScript).
// Code that finds files beside itself keeps finding them at their original place: in every bundled
// module, `import.meta.url` becomes that module's original URL and CommonJS `__dirname` /
// `__filename` its original directory and file (the openapi document, the runner-report schema,
// the optimizer's passes and worker, the canvas's built app, oclif's own package.json).
import { existsSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = join(root, 'dist', 'bundle');
const MANIFEST = 'oclif.manifest.json';

const manifest = JSON.parse(readFileSync(join(root, MANIFEST), 'utf8'));
/** Entry name of a command: `run:start` → `run-start` (dist/bundle/run-start.js). */
const entryOf = (id) => id.replaceAll(':', '-');
const entryPoints = { oclif: join(root, 'scripts', 'bundle-oclif.mjs') };
for (const [id, command] of Object.entries(manifest.commands)) {
  entryPoints[entryOf(id)] = join(root, ...command.relativePath);
}

/** A path as an import specifier relative to the bundle's directory (every output file is in it). */
const fromBundle = (path) => relative(outdir, path).split(sep).join('/');

/** The npm package a bare specifier names: `@scope/name/sub` → `@scope/name`, `name/sub` → `name`. */
function packageOf(specifier) {
  const parts = specifier.split('/');
  return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
}

/** The directory Node finds package `name` in, looking up from `dir` as it does; or undefined. */
function nodePackageDir(name, dir) {
  for (let at = dir; ; at = dirname(at)) {
    const candidate = join(at, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate);
    if (dirname(at) === at) return undefined;
  }
}

/** The directory of the npm package a resolved file is in, or undefined for workspace files. */
function packageDirOf(file) {
  const marker = `${sep}node_modules${sep}`;
  const at = file.lastIndexOf(marker);
  if (at < 0) return undefined;
  return join(
    file.slice(0, at + marker.length),
    packageOf(
      file
        .slice(at + marker.length)
        .split(sep)
        .join('/'),
    ),
  );
}

// Optional requires of development tools, inside try/catch in the packages that make them (oclif
// reads tsconfig.json with TypeScript when a plugin runs from its sources): never needed by the
// built CLI, so they stay out of the bundle (TypeScript alone is 10 MB of code to parse).
const OPTIONAL_DEV_TOOLS = new Set(['typescript', 'ts-node']);

const DECLARES_DIRNAME = /\b(?:const|let|var|function)\s+__(?:dirname|filename)\b/;

/**
 * The plugin that keeps places. `outside` holds the packages kept out of the bundle; the files the
 * code imports with `import()` are recorded in `imported` (package name → resolved file).
 */
function keepPlaces(outside, imported) {
  return {
    name: 'aob-keep-places',
    setup(b) {
      b.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.pluginData === 'aob-inner' || args.path.startsWith('node:')) return undefined;
        const name = packageOf(args.path);
        if (name.startsWith('@aob/')) return undefined;
        if (OPTIONAL_DEV_TOOLS.has(name)) return { path: args.path, external: true };
        if (!outside.has(name)) {
          const resolved = await b.resolve(args.path, {
            resolveDir: args.resolveDir,
            kind: args.kind,
            importer: args.importer,
            pluginData: 'aob-inner',
          });
          if (resolved.errors.length > 0 || !isAbsolute(resolved.path)) return undefined;
          if (args.kind === 'dynamic-import') imported.set(name, resolved.path);
          const dir = packageDirOf(resolved.path);
          if (dir === undefined || !existsSync(join(dir, 'binding.gyp'))) return resolved;
        }
        // Kept as the bare specifier, which Node resolves from the bundle's directory: it must
        // find the copy the importer would have found, or the process would run another version.
        const fromImporter = nodePackageDir(name, args.resolveDir);
        const fromOutput = nodePackageDir(name, outdir);
        if (fromImporter !== fromOutput) {
          throw new Error(
            `${name}, imported by ${args.importer}, is found at ${fromImporter} from there but at ${fromOutput ?? 'nowhere'} from ${outdir}: hoist it or bundle it`,
          );
        }
        return { path: args.path, external: true };
      });
      // Self-locating code sees its original place.
      b.onLoad({ filter: /\.(?:m|c)?js$/ }, (args) => {
        const text = readFileSync(args.path, 'utf8');
        const usesMeta = text.includes('import.meta.url');
        const usesDirname = /\b__(?:dirname|filename)\b/.test(text) && !DECLARES_DIRNAME.test(text);
        if (!usesMeta && !usesDirname) return undefined;
        let contents = usesMeta
          ? text.replaceAll(
              'import.meta.url',
              `__aobOriginalUrl(${JSON.stringify(fromBundle(args.path))})`,
            )
          : text;
        if (usesDirname) {
          const file = JSON.stringify(fromBundle(args.path));
          const dir = JSON.stringify(fromBundle(dirname(args.path)));
          contents = `var __filename = __aobOriginalPath(${file}), __dirname = __aobOriginalPath(${dir});\n${contents}`;
        }
        return { contents, loader: 'js', resolveDir: dirname(args.path) };
      });
    },
  };
}

// Defined at the top of every output file (all of them are in dist/bundle/): `require` for the
// CommonJS code inside and the helpers keepPlaces' rewrites call.
const banner = [
  "import { createRequire as __aobCreateRequire } from 'node:module';",
  "import { fileURLToPath as __aobFileURLToPath } from 'node:url';",
  'const require = __aobCreateRequire(import.meta.url);',
  'const __aobOriginalUrl = (fromBundle) => new URL(fromBundle, import.meta.url).href;',
  'const __aobOriginalPath = (fromBundle) => __aobFileURLToPath(__aobOriginalUrl(fromBundle));',
].join('\n');

/**
 * Bundles with `outside` kept out; returns the build and the packages it bundled as CommonJS that
 * the code imports with `import()`.
 */
async function bundleOnce(outside) {
  rmSync(outdir, { recursive: true, force: true });
  const imported = new Map();
  const result = await build({
    entryPoints,
    outdir,
    // The metafile's input paths are relative to this: the CLI's root, wherever the script runs from.
    absWorkingDir: root,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    chunkNames: 'chunk-[hash]',
    banner: { js: banner },
    plugins: [keepPlaces(outside, imported)],
    legalComments: 'none',
    minifyWhitespace: true,
    minifySyntax: true,
    metafile: true,
    logLevel: 'warning',
  });
  const importedAsCommonJs = [...imported]
    .filter(
      ([, file]) =>
        result.metafile.inputs[relative(root, file).split(sep).join('/')]?.format === 'cjs',
    )
    .map(([name]) => name);
  return { result, importedAsCommonJs };
}

// A CommonJS package the code imports with `import()` stays out of the bundle: with code splitting,
// esbuild gives such an `import()` only a `default` export (evanw/esbuild#3245), where Node gives
// the named exports too. It stays out everywhere, its static imports included, so that one process
// never holds two copies of it. esbuild tells CommonJS from ES modules as it reads them, so the
// first build finds them and a second keeps them out.
let outside = new Set();
let { result, importedAsCommonJs } = await bundleOnce(outside);
while (importedAsCommonJs.length > 0) {
  outside = new Set([...outside, ...importedAsCommonJs]);
  ({ result, importedAsCommonJs } = await bundleOnce(outside));
}

const pjson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
writeFileSync(
  join(outdir, 'package.json'),
  `${JSON.stringify({ name: pjson.name, version: pjson.version, type: 'module', private: true, oclif: pjson.oclif }, null, 2)}\n`,
);
for (const [id, command] of Object.entries(manifest.commands)) {
  command.relativePath = [`${entryOf(id)}.js`];
}
// Written last: bin/run.js takes the bundle while this file is newer than the command modules.
writeFileSync(join(outdir, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
// `--metafile <file>`: esbuild's account of what went where (https://esbuild.github.io/analyze/
// reads it), for finding what a command's start loads.
const metafileAt = process.argv.indexOf('--metafile');
if (metafileAt > 0) writeFileSync(process.argv[metafileAt + 1], JSON.stringify(result.metafile));
const outputs = Object.keys(result.metafile.outputs).length;
console.log(
  `${outdir}: ${Object.keys(manifest.commands).length} commands, ${outputs} files; imported from node_modules: ${[...outside].sort().join(', ') || 'none'}`,
);
