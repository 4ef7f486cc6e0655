import { Args, Flags } from '@oclif/core';
import { AobCommand } from '../../lib/base.js';
import { ExitCode } from '../../lib/exit-codes.js';
import { out, outJson } from '../../lib/output.js';

export default class WorkflowShow extends AobCommand<typeof WorkflowShow> {
  static override summary = 'Show a workflow definition and its IR hash.';
  static override description = `A registered version shows as registered: a patched version (name@3.p2) is its materialised definition. --materialized --patches applies the given workflow patches, in order, to the version named, to compare patch sets before starting runs on them.`;
  static override examples = [
    '<%= config.bin %> <%= command.id %> ticket-triage@3',
    '<%= config.bin %> <%= command.id %> ./triage.json --json',
    '<%= config.bin %> <%= command.id %> ticket-triage@3 --materialized --patches pch_a,pch_b',
  ];

  static override flags = {
    materialized: Flags.boolean({
      description: 'Show the definition with workflow patches applied (see --patches).',
    }),
    patches: Flags.string({
      description: 'Comma-separated workflow patch ids to apply in order (with --materialized).',
      dependsOn: ['materialized'],
    }),
  };

  static override args = {
    workflow: Args.string({
      description: 'Registered workflow name[@version], or a definition file (.json).',
      required: true,
    }),
  };

  protected async perform(): Promise<number> {
    const backend = await this.backend();
    const patchIds = (this.flags.patches ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter((p) => p !== '');
    const { definition, irHash } =
      this.flags.materialized && patchIds.length > 0
        ? await backend.showWorkflow(this.args.workflow, patchIds)
        : await backend.showWorkflow(this.args.workflow);
    if (this.jsonMode) {
      await outJson({ irHash, definition });
    } else {
      await out([
        `# ${definition.name}@${definition.version}  ir ${irHash}`,
        JSON.stringify(definition, null, 2),
      ]);
    }
    return ExitCode.Ok;
  }
}
