// The API under generated and hostile requests: every operation of the OpenAPI document, a fixed
// seed, a bounded count (AOB_FUZZ_SEED, AOB_FUZZ_RUNS change them). The invariants are checked
// by the driver (drive.ts); a longer run: `npx vite-node scripts/fuzz-api.ts`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFuzz } from './drive.js';
import type { FuzzFigures, FuzzTarget } from './drive.js';
import { operationIds } from './requests.js';
import { fuzzTarget } from './target.js';
import type { ApiHarness } from '../../packages/control/src/http/test-support.js';
import { startApiHarness } from '../../packages/control/src/http/test-support.js';

const SEED = Number(process.env.AOB_FUZZ_SEED ?? 20261203);
const RUNS = Number(process.env.AOB_FUZZ_RUNS ?? 5_000);

let api: ApiHarness;
let target: FuzzTarget;
let figures: FuzzFigures;

beforeAll(async () => {
  api = await startApiHarness();
  target = await fuzzTarget(api);
}, 30_000);
afterAll(() => api?.close());

/** The failure message: every violation (the first 40) and the shrunk request. */
function report(f: FuzzFigures): string {
  const lines = [`seed ${f.seed}: ${f.violations.length} violation(s)`];
  lines.push(...f.violations.slice(0, 40).map((v) => `  ${v}`));
  if (f.shrunk) {
    lines.push(
      `shrunk (fc.check over apiRequests(${JSON.stringify(f.shrunk.known)}), seed ${f.shrunk.seed}, path '${f.shrunk.path}'):`,
      `  ${JSON.stringify(f.shrunk.request).slice(0, 2_000)}`,
      ...f.shrunk.violations.map((v) => `  ${v}`),
    );
  }
  return lines.join('\n');
}

describe(`the API under ${RUNS} generated requests and the hostile corpus (seed ${SEED})`, () => {
  it('breaks no invariant: no 5xx, problem+json with a code, nothing stored when refused', async () => {
    console.log(`fuzz seed ${SEED}, ${RUNS} generated requests`);
    figures = await runFuzz(target, { seed: SEED, runs: RUNS, shrinkMs: 20_000 });
    const { violations, shrunk, ...rest } = figures;
    console.log(JSON.stringify({ ...rest, violations: violations.length }));
    if (violations.length > 0) console.log(report(figures));
    if (shrunk) console.log(`shrunk: ${JSON.stringify(shrunk.request).slice(0, 2_000)}`);
    expect(violations, report(figures)).toEqual([]);
  }, 170_000);

  it('reached every operation, under every kind of credential, and many distinct refusals', () => {
    expect(figures.requests).toBeGreaterThan(RUNS);
    for (const id of operationIds()) expect(figures.byOperation[id] ?? 0, id).toBeGreaterThan(20);
    expect(Object.keys(figures.byCode).length).toBeGreaterThan(15);
    expect(figures.idleChecked).toBeGreaterThan(100);
  });

  it('kept whoami fast and memory bounded throughout', () => {
    expect(figures.whoami.count).toBeGreaterThan(50);
    expect(figures.whoami.p99).toBeLessThan(250);
    expect(figures.heapGrowthMb).toBeLessThan(300);
  });

  it('recorded no patch for a document that was no patch', async () => {
    const events = await api.engine.store.read(figures.patchTarget!);
    expect(events.length).toBeGreaterThan(0);
    expect(events.filter((e) => e.type === 'PatchProposed')).toEqual([]);
  });
});
