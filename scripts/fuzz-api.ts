// The API fuzz run at length: a fresh server (memory store, in this process), generated requests
// over every operation and the hostile corpus, then the figures. CI runs the same with a fixed
// seed and a bounded count (scripts/fuzz/api.int.test.ts).
//
//   npx vite-node scripts/fuzz-api.ts [--seed N] [--runs N] [--json F]
//
// The heap is collected every 25 whoami probes, so the heap figure is what the server retains.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startApiHarness } from '../packages/control/src/http/test-support.js';
import { runFuzz } from './fuzz/drive.js';
import { fuzzTarget } from './fuzz/target.js';

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: String(Date.now() % 1_000_000) },
    runs: { type: 'string', default: '20000' },
    json: { type: 'string' },
  },
});
const seed = Number(values.seed);
const runs = Number(values.runs);
if (!Number.isSafeInteger(seed) || !Number.isSafeInteger(runs) || runs < 1) {
  console.error('--seed and --runs take whole numbers (runs ≥ 1)');
  process.exit(2);
}

console.log(`fuzzing the API: seed ${seed}, ${runs} generated requests and the hostile corpus`);
const api = await startApiHarness();
try {
  const target = await fuzzTarget(api);
  const started = Date.now();
  const figures = await runFuzz(target, {
    seed,
    runs,
    onProgress: (done) => {
      if (done % 2_000 === 0 && done > 0) console.log(`  ${done}/${runs} sent`);
    },
  });
  const seconds = (Date.now() - started) / 1000;
  console.log(`requests:     ${figures.requests} in ${seconds.toFixed(1)} s`);
  console.log(`statuses:     ${JSON.stringify(figures.byStatus)}`);
  console.log(
    `codes:        ${Object.keys(figures.byCode).length} distinct ${JSON.stringify(figures.byCode)}`,
  );
  console.log(
    `whoami:       ${figures.whoami.count} probes, p50 ${figures.whoami.p50} ms, p99 ${figures.whoami.p99} ms, max ${figures.whoami.max} ms`,
  );
  console.log(
    `memory:       peak RSS ${figures.peakRssMb} MB, heap growth ${figures.heapGrowthMb} MB`,
  );
  const ops = Object.values(figures.byOperation);
  console.log(
    `operations:   ${ops.length} (${Math.min(...ops)}–${Math.max(...ops)} requests each); ${figures.idleChecked} refused requests checked against every count while idle`,
  );
  console.log(`violations:   ${figures.violations.length}`);
  for (const v of figures.violations.slice(0, 50)) console.log(`  ${v}`);
  if (figures.shrunk) {
    console.log(
      `shrunk:       fc.check over apiRequests(${JSON.stringify(figures.shrunk.known)}), seed ${figures.shrunk.seed}, path '${figures.shrunk.path}': ${JSON.stringify(figures.shrunk.request).slice(0, 2_000)}`,
    );
    for (const v of figures.shrunk.violations) console.log(`  ${v}`);
  }
  console.log(`seed:         ${seed}`);
  if (values.json) writeFileSync(values.json, JSON.stringify({ ...figures, seconds }, null, 2));
  process.exitCode = figures.violations.length > 0 ? 1 : 0;
} finally {
  await api.close();
}
