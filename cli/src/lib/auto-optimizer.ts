// AOB_OPTIMIZE_ON for the local engine: the optimizer's passes (AOB_OPTIMIZE_PASSES, default all)
// run on each newly registered workflow version or each run as it starts, and what they would
// apply goes to the engine, which proposes it as patches authored optimizer:<pass>.
import type { Problem } from '@aob/core';
import type { AutoOptimizer } from '@aob/engine';
import { badInput } from './errors.js';

export async function autoOptimizer(
  env: Readonly<Record<string, string | undefined>>,
): Promise<AutoOptimizer | undefined> {
  const { optimize, optimizerSettingsFromEnv } = await import('@aob/optimizer');
  const problems: Problem[] = [];
  const settings = optimizerSettingsFromEnv(env, problems);
  if (problems.length > 0) {
    throw badInput(
      'BAD_CONFIG',
      `bad configuration in the environment: ${problems.map((p) => p.message).join('; ')}`,
      problems,
    );
  }
  const auto = settings.auto;
  if (!auto) return undefined;
  return {
    on: auto.on,
    async propose(definition, run) {
      const report = await optimize({
        definition,
        passes: auto.passes,
        limits: settings.limits,
        ...(run
          ? { run, appliedPatches: run.state.patches.filter((p) => p.status === 'applied').length }
          : {}),
      });
      return report.proposals
        .filter((p) => p.status === 'applied')
        .map((p) => ({ author: p.author, rationale: p.rationale, ops: p.ops }));
    },
  };
}
