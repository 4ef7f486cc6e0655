// AOB_OPTIMIZE_ON on the server (README, "The optimizer"): the api service is where workflows are
// registered and runs started, so its RunControl runs the chosen passes — on each newly registered
// version (workflow patches name@1.p1, … authored optimizer:<pass>) or on each run it starts (run
// patches, sent to the run's orchestrator as commands, judged there and recorded in the log as
// PatchApplied). The settings are read by @aob/optimizer's reader, as the CLI reads them; the
// package (and its sandbox) is loaded only when one of them is set.
import type { Problem } from '@aob/core';
import { AobError } from '@aob/core';
import type { AutoOptimizer } from '@aob/engine';

export async function serverOptimizer(
  env: Readonly<Record<string, string | undefined>>,
): Promise<AutoOptimizer | undefined> {
  const set = Object.keys(env).some((k) => k.startsWith('AOB_OPTIMIZ') && env[k]?.trim());
  if (!set) return undefined;
  const { autoOptimizeFromEnv } = await import('@aob/optimizer');
  const problems: Problem[] = [];
  const optimizer = autoOptimizeFromEnv(env, problems);
  if (problems.length > 0) {
    throw new AobError(
      'BAD_CONFIG',
      `bad optimizer configuration: ${problems.map((p) => p.message).join('; ')}`,
      { details: { problems } },
    );
  }
  return optimizer;
}
