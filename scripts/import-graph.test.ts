// The import graph of the source (tests excluded): no cycle between files, type-only imports
// included (a type cycle is still two modules that cannot be understood apart), and no import
// from a lower package into a higher one. The layers, lowest first:
//   core → client → bus, store, optimizer → engine → control → services → cli (the canvas app is built
//   apart and talks to the API through @aob/client only)
// (bus, store and optimizer are side by side: none imports another).
import { existsSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

/** What each package may import (besides itself). */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  core: [],
  client: ['core'],
  bus: [],
  store: ['core'],
  // The optimizer's host: passes judged by the core's validator; the engine takes it by interface.
  optimizer: ['core'],
  engine: ['core', 'client', 'bus', 'store'],
  control: ['core', 'client', 'bus', 'store', 'engine'],
  // The canvas package is static files and where they are (apps/canvas/assets.js).
  // The api service builds the optimizer AOB_OPTIMIZE_ON asks for, as the CLI does.
  service: ['core', 'client', 'bus', 'store', 'optimizer', 'engine', 'control', 'canvas'],
  cli: ['core', 'client', 'bus', 'store', 'optimizer', 'engine', 'control', 'service', 'canvas'],
};

function packageOf(file: string): string {
  if (file.startsWith('cli/')) return 'cli';
  if (file.startsWith('services/')) return 'service';
  return file.split('/')[1]!;
}

/** The package an `@aob/…` specifier names. */
function packageNamed(spec: string): string {
  const name = spec.slice('@aob/'.length).split('/')[0]!;
  return name.startsWith('service-') ? 'service' : name;
}

function sources(): string[] {
  const listed = execFileSync(
    'git',
    ['ls-files', 'packages/*/src/**.ts', 'services/*/src/**.ts', 'cli/src/**.ts'],
    { cwd: root, encoding: 'utf8' },
  );
  return listed
    .split('\n')
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('.d.ts'));
}

const IMPORT = /(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/g;
const DYNAMIC = /import\(\s*['"]([^'"]+)['"]\s*\)/g;

function specifiers(text: string): string[] {
  // Comments may quote imports (an example in a header): they are not edges.
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  return [...code.matchAll(IMPORT), ...code.matchAll(DYNAMIC)].map((m) => m[1]!);
}

/** A relative specifier as the repository path of the .ts file it names. */
function resolveRelative(from: string, spec: string): string | undefined {
  const base = resolve(root, dirname(from), spec);
  const candidates = [base.replace(/\.js$/, '.ts'), `${base}.ts`, join(base, 'index.ts')];
  const hit = candidates.find((c) => existsSync(c));
  return hit?.slice(root.length);
}

function graph(): { edges: Map<string, Set<string>>; crossings: string[] } {
  const edges = new Map<string, Set<string>>();
  const crossings: string[] = [];
  for (const file of sources()) {
    const out = new Set<string>();
    edges.set(file, out);
    for (const spec of specifiers(readFileSync(join(root, file), 'utf8'))) {
      if (spec.startsWith('.')) {
        const target = resolveRelative(file, spec);
        if (target && !target.endsWith('.test.ts')) out.add(target);
        const pkg = target ? packageOf(target) : packageOf(file);
        if (pkg !== packageOf(file) && !ALLOWED[packageOf(file)]!.includes(pkg)) {
          crossings.push(`${file} → ${spec} (${packageOf(file)} may not import ${pkg})`);
        }
      } else if (spec.startsWith('@aob/')) {
        const pkg = packageNamed(spec);
        if (pkg !== packageOf(file) && !ALLOWED[packageOf(file)]!.includes(pkg)) {
          crossings.push(`${file} → ${spec} (${packageOf(file)} may not import ${pkg})`);
        }
      }
    }
  }
  return { edges, crossings };
}

/** Strongly connected components of more than one file (Tarjan), i.e. the cycles. */
function cycles(edges: Map<string, Set<string>>): string[][] {
  let index = 0;
  const indexOf = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    indexOf.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!indexOf.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, indexOf.get(w)!));
      }
    }
    if (low.get(v) === indexOf.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || edges.get(v)?.has(v)) found.push(component.sort());
    }
  };
  for (const v of edges.keys()) if (!indexOf.has(v)) visit(v);
  return found;
}

describe('the import graph', () => {
  const { edges, crossings } = graph();

  it('sees the source', () => {
    expect(edges.size).toBeGreaterThan(200);
    const total = [...edges.values()].reduce((n, s) => n + s.size, 0);
    expect(total).toBeGreaterThan(500);
  });

  it('has no cycle, type-only imports included', () => {
    expect(cycles(edges)).toEqual([]);
  });

  it('has no import from a lower package into a higher one', () => {
    expect(crossings).toEqual([]);
  });
});
