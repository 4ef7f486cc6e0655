import { AobCommand } from '../../lib/base.js';
import { ExitCode } from '../../lib/exit-codes.js';
import { toWorkflowJson } from '../../lib/json.js';
import { out, outJson } from '../../lib/output.js';
import { table } from '../../lib/render.js';

export default class WorkflowList extends AobCommand<typeof WorkflowList> {
  static override summary = 'List registered workflows.';
  static override examples = ['<%= config.bin %> <%= command.id %> --json'];

  protected async perform(): Promise<number> {
    const backend = await this.backend();
    const workflows = (await backend.listWorkflows()).map(toWorkflowJson);
    if (this.jsonMode) {
      await outJson(workflows);
    } else if (workflows.length === 0) {
      await out('no registered workflows');
    } else {
      await out(
        table(
          workflows.map((w) => [w.name, w.version, w.registeredAt, w.irHash]),
          ['NAME', 'VERSION', 'REGISTERED', 'IR HASH'],
        ),
      );
    }
    return ExitCode.Ok;
  }
}
