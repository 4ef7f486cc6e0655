import { AobCommand } from '../../lib/base.js';
import { ExitCode } from '../../lib/exit-codes.js';
import { out, outJson } from '../../lib/output.js';
import { formatNamespaceBudget } from '../../lib/render.js';

export default class BudgetShow extends AobCommand<typeof BudgetShow> {
  static override summary = "Show the namespace's budget (exit 2, NO_BUDGET, when it has none).";
  static override examples = ['<%= config.bin %> <%= command.id %> --json'];

  protected async perform(): Promise<number> {
    const view = await (await this.backend()).namespaceBudget();
    if (this.jsonMode) await outJson(view);
    else await out(formatNamespaceBudget(view));
    return ExitCode.Ok;
  }
}
