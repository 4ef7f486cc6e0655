import { Args, Flags } from '@oclif/core';
import { DrivingCommand } from '../../lib/driving.js';
import { budgetArg } from '../../lib/budget-arg.js';
import { engineFlags } from '../../lib/flags.js';

export default class BudgetRaise extends DrivingCommand<typeof BudgetRaise> {
  static override summary = "Raise limits of a live run's budget; a run paused by it goes on.";
  static override description = `The limits as for run start --budget (tokens=N, cost=D, wall=10m, nodes=N, onExceeded=fail|cancel|pause); each one given must be above the run's, the others stay. A run paused by its budget (onExceeded=pause) goes on with what it held once no limit is crossed, or pauses again if one still is. The raise is recorded in the run's log (BudgetRaised, by you). A bad raise is refused naming every problem (exit 2) and nothing is recorded.

Locally, when no live process drives the run, this command drives it until it is over or waits again and exits as run start does (0 completed, 1 failed or cancelled, 4 waiting); otherwise, and on a server (where it needs the approver role), it exits 0 once the raise is recorded.`;
  static override examples = [
    '<%= config.bin %> <%= command.id %> run_01J… tokens=50000 --reason "worth finishing"',
    '<%= config.bin %> <%= command.id %> run_01J… nodes=60,wall=2h',
  ];

  static override args = {
    runId: Args.string({ description: 'The run.', required: true }),
    budget: Args.string({
      description: 'tokens=N,cost=D,wall=10m,nodes=N,onExceeded=fail|cancel|pause',
      required: true,
    }),
  };

  static override flags = {
    reason: Flags.string({ description: "Why; recorded with the raise in the run's log." }),
    ...engineFlags,
  };

  protected async perform(): Promise<number> {
    const { args, flags } = this;
    const budget = budgetArg(args.budget);
    const backend = await this.backend({
      handlers: flags.handlers,
      allowPrivateNetwork: flags['allow-private-network'],
    });
    this.attachTimeline(backend);
    const { runId, drivenHere } = await backend.raiseRunBudget(args.runId, budget, {
      ...(flags.reason !== undefined ? { reason: flags.reason } : {}),
    });
    const head = `run ${runId}: budget raised (${args.budget})`;
    return this.carryOn(backend, { runId, drivenHere }, head, {
      runId,
      raised: budget,
      drivenHere,
    });
  }
}
