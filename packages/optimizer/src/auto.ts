// AOB_OPTIMIZE_ON as an engine's RunControl takes it (packages/engine/src/app/auto-optimize.ts,
// matched structurally: this package does not import the engine): the chosen passes run on a
// definition (and a running run's state), and the proposals the validator and patch policy would
// apply are answered in order, each authored `optimizer:<pass>`. The composition roots that
// register workflows and start runs — the CLI's local engine and `aob dev`, the api service —
// build it from the same settings (settings.ts).
import type { Problem, RunState, WorkflowDefinition } from '@aob/core';
import { optimize } from './optimize.js';
import { optimizerSettingsFromEnv, type OptimizerSettings } from './settings.js';

export interface AutoProposal {
  author: string;
  rationale: string;
  ops: unknown[];
}

export interface AutoOptimize {
  on: 'register' | 'run';
  propose(
    definition: WorkflowDefinition,
    run?: { runId: string; state: RunState },
  ): Promise<AutoProposal[]>;
}

/** The engine's optimizer for settings with AOB_OPTIMIZE_ON set; undefined when it is not. */
export function autoOptimize(settings: OptimizerSettings): AutoOptimize | undefined {
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

/**
 * Reads the optimizer's settings from `env` and builds the engine's optimizer (undefined when
 * AOB_OPTIMIZE_ON is unset); every malformed setting is pushed to `problems` (BAD_CONFIG).
 */
export function autoOptimizeFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  problems: Problem[],
): AutoOptimize | undefined {
  const settings = optimizerSettingsFromEnv(env, problems);
  return problems.length > 0 ? undefined : autoOptimize(settings);
}
