// AOB_OPTIMIZE_ON for the local engine: the optimizer's passes (AOB_OPTIMIZE_PASSES, default all)
// run on each newly registered workflow version or each run as it starts, and what they would
// apply goes to the engine, which proposes it as patches authored optimizer:<pass>.
import type { Problem } from '@aob/core';
import type { AutoOptimizer } from '@aob/engine';
import { badInput } from './errors.js';

export async function autoOptimizer(
  env: Readonly<Record<string, string | undefined>>,
): Promise<AutoOptimizer | undefined> {
  const { autoOptimizeFromEnv } = await import('@aob/optimizer');
  const problems: Problem[] = [];
  const auto = autoOptimizeFromEnv(env, problems);
  if (problems.length > 0) {
    throw badInput(
      'BAD_CONFIG',
      `bad configuration in the environment: ${problems.map((p) => p.message).join('; ')}`,
      problems,
    );
  }
  return auto;
}
