import { Args } from '@oclif/core';
import { AobCommand } from '../../lib/base.js';
import { budgetArg } from '../../lib/budget-arg.js';
import { ExitCode } from '../../lib/exit-codes.js';
import { out, outJson } from '../../lib/output.js';
import { formatNamespaceBudget } from '../../lib/render.js';

export default class BudgetSet extends AobCommand<typeof BudgetSet> {
  static override summary =
    "Set the namespace's budget: every run started in it afterwards is held to it.";
  static override description = `The limits as for run start --budget: tokens=N, cost=D (US dollars), wall=10m (ms, s, m or h), nodes=N (executions), onExceeded=fail|cancel|pause. A run is held to the smallest of each limit of its own budget, its definition's and this one; runs already started keep the budget they started with. Locally the namespace is default; on a server (AOB_SERVER) it is the token's, and setting it needs the admin role. A bad budget is refused naming every problem (exit 2) and nothing changes.`;
  static override examples = ['<%= config.bin %> <%= command.id %> tokens=1000000,cost=25,wall=2h'];

  static override args = {
    budget: Args.string({
      description: 'tokens=N,cost=D,wall=10m,nodes=N,onExceeded=fail|cancel|pause',
      required: true,
    }),
  };

  protected async perform(): Promise<number> {
    const budget = budgetArg(this.args.budget);
    const view = await (await this.backend()).setNamespaceBudget(budget);
    if (this.jsonMode) await outJson(view);
    else await out(formatNamespaceBudget(view));
    return ExitCode.Ok;
  }
}
