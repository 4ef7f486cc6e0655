// aob workflow optimize, end to end through the built binary: the proposals with their verdicts
// and diffs, --apply on a file and on a registered workflow (new versions, each patch authored
// optimizer:<pass>), an optimized workflow that runs to the same output, a user's .wasm pass from
// AOB_OPTIMIZER_PASSES stopped at its time limit, and an unknown pass refused.
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import wabtInit from 'wabt';
import { afterAll, describe, expect, it } from 'vitest';
import { aob, json, repo, tempHome } from './helpers.js';

const { home, cleanup } = tempHome();
afterAll(cleanup);
const env = { AOB_HOME: join(home, '.aob') };
const bench = (f: string) => join(repo, 'bench/optimizer', f);

interface Report {
  passes: { pass: string; rounds: number; ms: number; error?: { code: string; message: string } }[];
  proposals: {
    pass: string;
    author: string;
    status: string;
    rationale: string;
    ops: unknown[];
    diff?: { nodesRemoved: string[] };
  }[];
  definition: { nodes: { id: string }[] };
  applied?: { status: string; version?: string; author: string }[];
  written?: string;
}

describe('aob workflow optimize', () => {
  it('shows each proposal with its verdict and diff, and changes nothing without --apply', async () => {
    const file = join(home, 'transforms.json');
    copyFileSync(bench('repeated-transforms.json'), file);
    const before = readFileSync(file, 'utf8');
    const r = await aob(['workflow', 'optimize', file, '--passes', 'fuse,dedupe', '--json'], env);
    expect(r.code, r.stderr).toBe(0);
    const report = json<Report>(r);
    expect(report.passes.map((p) => p.pass)).toEqual(['fuse', 'dedupe']);
    expect(report.proposals.map((p) => [p.author, p.status])).toEqual([
      ['optimizer:fuse', 'applied'],
      ['optimizer:fuse', 'applied'],
      ['optimizer:fuse', 'applied'],
      ['optimizer:dedupe', 'applied'],
    ]);
    expect(report.proposals[3]!.diff!.nodesRemoved).toEqual(['currencyB']);
    expect(report.definition.nodes.map((n) => n.id)).toEqual(['total', 'currencyA', 'invoice']);
    expect(readFileSync(file, 'utf8')).toBe(before);

    const text = await aob(['workflow', 'optimize', file, '--passes', 'prune,fuse'], env);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('pass fuse: 3 proposals');
    expect(text.stdout).toContain('optimizer:fuse  applied');
    expect(text.stdout).toContain('- node prices');
  });

  it('--apply writes a file that runs to the same output', async () => {
    const original = bench('repeated-transforms.json');
    const file = join(home, 'optimized.json');
    copyFileSync(original, file);
    const r = await aob(['workflow', 'optimize', file, '--apply', '--json'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(json<Report>(r).written).toBe(file);
    const inputs = join(home, 'inputs.json');
    writeFileSync(inputs, JSON.stringify({ items: [10, 20.5, 3] }));
    const runs = await Promise.all(
      [original, file].map((f) => aob(['run', 'start', f, '--inputs', inputs, '--json'], env)),
    );
    const [a, b] = runs.map((x) => json<{ status: string; output: unknown }>(x));
    expect(a!.status).toBe('completed');
    expect(b!.output).toEqual(a!.output);
  });

  it('--apply on a registered workflow registers the next versions, each patch by optimizer:<pass>', async () => {
    const reg = await aob(['workflow', 'register', bench('sequential-http.json')], env);
    expect(reg.code, reg.stderr).toBe(0);
    const r = await aob(
      [
        'workflow',
        'optimize',
        'bench-sequential-http',
        '--passes',
        'parallelize',
        '--apply',
        '--json',
      ],
      env,
    );
    expect(r.code, r.stderr).toBe(0);
    const report = json<Report>(r);
    expect(report.applied!.map((p) => [p.author, p.status, p.version])).toEqual([
      ['optimizer:parallelize', 'applied', '1.p1'],
      ['optimizer:parallelize', 'applied', '1.p2'],
    ]);
    const patches = json<{ author: string }[]>(
      await aob(['patch', 'list', '--workflow', 'bench-sequential-http', '--json'], env),
    );
    expect(patches.map((p) => p.author)).toEqual([
      'optimizer:parallelize',
      'optimizer:parallelize',
    ]);
  });

  it('AOB_OPTIMIZE_ON=register: registering a version proposes the chosen passes as its next versions', async () => {
    const home2 = { AOB_HOME: join(home, '.aob-auto') };
    const reg = await aob(['workflow', 'register', bench('repeated-transforms.json')], {
      ...home2,
      AOB_OPTIMIZE_ON: 'register',
      AOB_OPTIMIZE_PASSES: 'dedupe',
    });
    expect(reg.code, reg.stderr).toBe(0);
    const patches = json<{ author: string; status: string; version?: string }[]>(
      await aob(['patch', 'list', '--workflow', 'bench-repeated-transforms', '--json'], home2),
    );
    expect(patches.map((p) => [p.author, p.status, p.version])).toEqual([
      ['optimizer:dedupe', 'applied', '1.p1'],
    ]);
  });

  it("a user's pass that never returns is stopped at its time limit, and the graph is unchanged", async () => {
    const wabt = await wabtInit();
    const spin = join(home, 'spin.wasm');
    writeFileSync(
      spin,
      wabt
        .parseWat(
          'spin.wat',
          `(module (memory (export "memory") 1 1)
            (func (export "alloc") (param i32) (result i32) (i32.const 0))
            (func (export "optimize") (param i32 i32) (result i64) (loop $l (br $l)) (i64.const 0)))`,
        )
        .toBinary({}).buffer,
    );
    const file = bench('dead-branch.json');
    const r = await aob(['workflow', 'optimize', file, '--passes', 'spin', '--json'], {
      ...env,
      AOB_OPTIMIZER_PASSES: spin,
      AOB_OPTIMIZER_TIMEOUT_MS: '300',
    });
    expect(r.code).toBe(1);
    const report = json<Report>(r);
    expect(report.passes[0]!.error!.code).toBe('OPTIMIZER_TIMEOUT');
    expect(report.proposals).toEqual([]);
    expect(report.definition).toEqual(JSON.parse(readFileSync(file, 'utf8')));
  });

  it('an unknown pass, or a bad setting, is bad input (exit 2) naming it', async () => {
    const unknown = await aob(
      ['workflow', 'optimize', bench('dead-branch.json'), '--passes', 'nope', '--json'],
      env,
    );
    expect(unknown.code).toBe(2);
    expect(unknown.stdout + unknown.stderr).toContain('OPTIMIZER_UNKNOWN_PASS');
    const bad = await aob(['workflow', 'optimize', bench('dead-branch.json')], {
      ...env,
      AOB_OPTIMIZE_ON: 'sometimes',
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('AOB_OPTIMIZE_ON must be register or run');
  });
});
