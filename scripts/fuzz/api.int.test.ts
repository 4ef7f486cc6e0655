// The API under generated and hostile requests: every operation of the OpenAPI
// document, fixed seed, bounded count. A longer run: `npx vite-node scripts/fuzz-api.ts`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFuzz } from './drive.js';
import type { FuzzFigures, FuzzTarget } from './drive.js';
import { operationIds } from './requests.js';
import { fuzzTarget } from './target.js';
import type { ApiHarness } from '../../packages/control/src/http/test-support.js';
import { startApiHarness } from '../../packages/control/src/http/test-support.js';

const SEED = Number(process.env.AOB_FUZZ_SEED ?? 20261203);
const RUNS = Number(process.env.AOB_FUZZ_RUNS ?? 4_000);

let api: ApiHarness;
let target: FuzzTarget;
let figures: FuzzFigures;

beforeAll(async () => {
  api = await startApiHarness();
  target = await fuzzTarget(api);
}, 30_000);
afterAll(() => api.close());

describe(`the API under ${RUNS} generated requests and the hostile corpus (seed ${SEED})`, () => {
  it('breaks no invariant: no 5xx, problem+json with a code, nothing stored when refused', async () => {
    figures = await runFuzz(target, { seed: SEED, runs: RUNS });
    console.log(JSON.stringify({ ...figures, violations: figures.violations.slice(0, 20) }));
    expect(figures.violations).toEqual([]);
    expect(figures.requests).toBeGreaterThan(RUNS);
  }, 170_000);

  it('reached every operation and many distinct refusals', () => {
    expect(operationIds().length).toBeGreaterThanOrEqual(28);
    expect(Object.keys(figures.byCode).length).toBeGreaterThan(10);
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
