import { Args } from '@oclif/core';
import { AobCommand } from '../../lib/base.js';
import { ExitCode } from '../../lib/exit-codes.js';
import { out, outJson } from '../../lib/output.js';

export default class WorkflowShow extends AobCommand<typeof WorkflowShow> {
  static override summary = 'Show a workflow definition and its IR hash.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> ticket-triage@3',
    '<%= config.bin %> <%= command.id %> ./triage.json --json',
  ];

  static override args = {
    workflow: Args.string({
      description: 'Registered workflow name[@version], or a definition file (.json).',
      required: true,
    }),
  };

  protected async perform(): Promise<number> {
    const engine = await this.engine();
    const { definition, irHash } = await engine.showWorkflow(this.args.workflow);
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
