import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { WorkflowDefinition } from '../definition/types.js';
import { compile } from '../ir/compile.js';
import { fold } from './evolve.js';
import { Sim } from './testing/sim.js';
import type { GoldenHistory } from './testing/golden.js';
import { recordGolden, redrive } from './testing/golden.js';
import { scenarios } from './testing/golden-scenarios.js';

// Recorded histories live in packages/core/golden. To record them again after a deliberate
// change of behaviour: `AOB_GOLDEN_UPDATE=1 npx vitest run packages/core/src/run/golden.test.ts`,
// then review the diff like any other change.
const root = fileURLToPath(new URL('../../../../', import.meta.url));
const goldenDir = `${root}packages/core/golden`;
const example = (dir: string, file = 'workflow.json') =>
  JSON.parse(readFileSync(`${root}examples/${dir}/${file}`, 'utf8')) as WorkflowDefinition;
const defs = {
  fanout: example('fanout'),
  approval: example('approval'),
  retry: example('retry'),
  compensate: example('compensate'),
  subworkflow: example('subworkflow'),
};
const update = process.env.AOB_GOLDEN_UPDATE === '1';

describe('golden event logs', () => {
  for (const s of scenarios(defs)) {
    const file = `${goldenDir}/${s.name}.json`;
    it(`${s.name}: re-driving the recorded triggers reproduces the recorded events`, () => {
      if (update) {
        const sim = new Sim(compile(s.definition), `golden-${s.name}`, s.handlers);
        s.play(sim);
        mkdirSync(goldenDir, { recursive: true });
        writeFileSync(
          file,
          JSON.stringify(recordGolden(s.name, s.definition, sim), null, 2) + '\n',
        );
      }
      expect(existsSync(file), `${file} is missing: record it with AOB_GOLDEN_UPDATE=1`).toBe(true);
      const history = JSON.parse(readFileSync(file, 'utf8')) as GoldenHistory;
      // The example may have changed since it was recorded; the recorded definition is what counts.
      const now = redrive(history);
      expect(now.log).toEqual(history.events);
      const folded = fold(history.events);
      expect(folded).toEqual(now.state);
      expect(['completed', 'failed', 'cancelled']).toContain(folded.status);
    });
  }

  it('the recorded definitions are the current examples', () => {
    for (const s of scenarios(defs)) {
      const history = JSON.parse(
        readFileSync(`${goldenDir}/${s.name}.json`, 'utf8'),
      ) as GoldenHistory;
      expect(
        history.definition,
        `${s.name}: the example changed; record the golden history again`,
      ).toEqual(s.definition);
    }
  });
});
