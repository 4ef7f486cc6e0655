import { Args } from '@oclif/core';
import { AobCommand } from '../../lib/base.js';
import { ExitCode } from '../../lib/exit-codes.js';
import { readJsonFile } from '../../lib/files.js';
import { toWorkflowJson } from '../../lib/json.js';
import { out, outJson } from '../../lib/output.js';

export default class WorkflowRegister extends AobCommand<typeof WorkflowRegister> {
  static override summary = 'Register a workflow definition under its name and version.';
  static override description =
    'Registered workflows can be started by name: aob run start name[@version].';
  static override examples = ['<%= config.bin %> <%= command.id %> ./triage.json'];

  static override args = {
    file: Args.string({ description: 'The definition file (.json).', required: true }),
  };

  protected async perform(): Promise<number> {
    const doc = await readJsonFile(this.args.file, 'file');
    const backend = await this.backend();
    const wf = toWorkflowJson(await backend.registerWorkflow(doc));
    if (this.jsonMode) await outJson(wf);
    else await out(`registered ${wf.name}@${wf.version} (${wf.irHash})`);
    return ExitCode.Ok;
  }
}
