import { AobCommand } from '../../lib/base.js';
import { ExitCode } from '../../lib/exit-codes.js';
import { out, outJson } from '../../lib/output.js';
import { formatNamespaceBudget } from '../../lib/render.js';

export default class BudgetClear extends AobCommand<typeof BudgetClear> {
  static override summary =
    "Remove the namespace's budget; runs started afterwards are held to their own and their definition's only.";
  static override examples = ['<%= config.bin %> <%= command.id %>'];

  protected async perform(): Promise<number> {
    const was = await (await this.backend()).clearNamespaceBudget();
    if (this.jsonMode) await outJson(was);
    else await out([`removed:`, ...formatNamespaceBudget(was)]);
    return ExitCode.Ok;
  }
}
