import { Args, Flags } from '@oclif/core';
import type { WorkflowDefinition } from '@aob/core';
import type { PatchView } from '@aob/engine';
import { choosePasses, optimize, optimizerSettingsFromEnv } from '@aob/optimizer';
import type { Problem } from '@aob/core';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AobCommand } from '../../lib/base.js';
import { badInput } from '../../lib/errors.js';
import { ExitCode } from '../../lib/exit-codes.js';
import { readJsonFile } from '../../lib/files.js';
import { formatOptimizeReport, proposalDiff } from '../../lib/optimize-text.js';
import { out, outJson } from '../../lib/output.js';
import { formatPatch, verdictExit } from '../../lib/patches.js';

export default class WorkflowOptimize extends AobCommand<typeof WorkflowOptimize> {
  static override summary = "Run the optimizer's passes on a workflow and show what they propose.";
  static override description = `Each pass (built in, or a .wasm file named in AOB_OPTIMIZER_PASSES) reads the workflow and proposes JSON-Patch overlays with a rationale, authored optimizer:<pass>; each is judged by the validator and the workflow's patch policy (applied, held or rejected with every violation) and shown with its graph diff. Nothing changes without --apply: for a registered workflow it proposes the patches that apply, in order, registering the next versions (name@1.p1, …); for a file it writes the optimized definition back to the file. Exit 0 when every pass ran, 1 when one failed (OPTIMIZER_* codes), 4 when --apply left a patch held for a reviewer.`;
  static override examples = [
    '<%= config.bin %> <%= command.id %> ./triage.json',
    '<%= config.bin %> <%= command.id %> ticket-triage --passes prune,fuse --apply',
    'AOB_OPTIMIZER_PASSES=./inline.wasm <%= config.bin %> <%= command.id %> ./triage.json --json',
  ];

  static override flags = {
    passes: Flags.string({
      description:
        'Comma-separated passes to run, in order (default: every built-in pass, then AOB_OPTIMIZER_PASSES).',
    }),
    apply: Flags.boolean({
      description:
        'Register the optimized version (a registered workflow) or write it to the file (a file).',
      default: false,
    }),
  };

  static override args = {
    workflow: Args.string({
      description: 'A definition file (.json), or a registered workflow name[@version].',
      required: true,
    }),
  };

  protected async perform(): Promise<number> {
    const problems: Problem[] = [];
    const settings = optimizerSettingsFromEnv(process.env, problems);
    if (problems.length > 0) {
      throw badInput(
        'BAD_CONFIG',
        `bad configuration in the environment: ${problems.map((p) => p.message).join('; ')}`,
        problems,
      );
    }
    const names = (this.flags.passes ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    const passes = choosePasses(settings.passes, names);
    const ref = this.args.workflow;
    const isFile = ref.endsWith('.json') || existsSync(ref);
    const definition = isFile
      ? ((await readJsonFile(ref, 'workflow')) as WorkflowDefinition)
      : ((await (await this.backend()).showWorkflow(ref)).definition as WorkflowDefinition);
    const report = await optimize({ definition, passes, limits: settings.limits });
    const failed = report.passes.some((p) => p.error);
    const toApply = report.proposals.filter((p) => p.status === 'applied');

    let applied: PatchView[] | undefined;
    let written: string | undefined;
    if (this.flags.apply && toApply.length > 0) {
      if (isFile) {
        written = path.resolve(ref);
        await writeFile(written, `${JSON.stringify(report.definition, null, 2)}\n`);
      } else {
        const backend = await this.backend();
        applied = [];
        // In the order they were judged, each against the version the one before registered.
        let target = `${definition.name}@${definition.version}`;
        for (const p of toApply) {
          const view = await backend.proposePatch(target, p.ops, {
            author: p.author,
            rationale: p.rationale,
          });
          applied.push(view);
          if (view.status !== 'applied' || !view.version) break;
          target = `${definition.name}@${view.version}`;
        }
      }
    }

    if (this.jsonMode) {
      await outJson({
        workflow: `${definition.name}@${definition.version}`,
        passes: report.passes,
        proposals: report.proposals.map((p) => {
          const { before: _before, after: _after, ...rest } = p;
          const diff = proposalDiff(p);
          return diff ? { ...rest, diff } : rest;
        }),
        definition: report.definition,
        ms: report.ms,
        ...(applied ? { applied } : {}),
        ...(written ? { written } : {}),
      });
    } else {
      const lines = formatOptimizeReport(report);
      if (written) lines.push(`wrote the optimized definition to ${written}`);
      for (const view of applied ?? []) lines.push(...formatPatch(view));
      if (this.flags.apply && toApply.length === 0) lines.push('nothing to apply');
      await out(lines);
    }
    const held = applied?.find((v) => v.status !== 'applied');
    if (held) return verdictExit(held.status);
    return failed ? ExitCode.Failed : ExitCode.Ok;
  }
}
