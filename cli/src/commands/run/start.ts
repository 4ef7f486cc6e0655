import { Args, Flags } from '@oclif/core';
import { DrivingCommand } from '../../lib/driving.js';
import { badInput } from '../../lib/errors.js';
import { readTextFile } from '../../lib/files.js';
import { engineFlags, waitFlags } from '../../lib/flags.js';
import { buildInputs } from '../../lib/inputs.js';
import { budgetArg } from '../../lib/budget-arg.js';

export default class RunStart extends DrivingCommand<typeof RunStart> {
  static override summary = 'Start a run of a workflow and wait until it ends.';
  static override description = `The workflow is a definition file (.json) or a registered name[@version]. The definition and the inputs are validated first; nothing is stored when either is invalid (exit 2, every problem listed). The command then drives the run in this process and waits, through approvals decided from other terminals, until the run ends: exit 0 completed, 1 failed or cancelled, 4 still waiting when --detach or --timeout returned.

Environment: AOB_HOME is where runs are stored (default ./.aob); AOB_HANDLERS names the handlers module (as --handlers). With AOB_SERVER (and AOB_TOKEN) the run starts on that server instead: a definition file is read here and sent whole, a name[@version] names a workflow registered there, and the command follows the run's timeline until it ends, with the same exit codes; --handlers, --allow-private-network and --store are local only.`;
  static override examples = [
    '<%= config.bin %> <%= command.id %> ./triage.json --input ticketId=T-1',
    '<%= config.bin %> <%= command.id %> ticket-triage@3 --inputs inputs.json --detach --json',
    '<%= config.bin %> <%= command.id %> ./research.json --budget tokens=20000,cost=0.50,wall=10m,nodes=40',
  ];

  static override args = {
    workflow: Args.string({
      description: 'Definition file (.json) or registered workflow name[@version].',
      required: true,
    }),
  };

  static override flags = {
    inputs: Flags.string({ description: 'JSON file with the run inputs.' }),
    input: Flags.string({
      description:
        'One input as key=value; the value is JSON when it parses, else a string. Repeatable; wins over --inputs.',
      multiple: true,
      multipleNonGreedy: true,
    }),
    budget: Flags.string({
      description:
        "Limits for this run: tokens=N,cost=D (US dollars),wall=10m (ms, s, m or h),nodes=N (executions), and onExceeded=fail|cancel|pause. The run is held to these and its definition's budget, the smaller of each.",
    }),
    ...waitFlags,
    store: Flags.option({
      description:
        'Event store: file (durable, under AOB_HOME) or memory (gone when the command ends).',
      options: ['file', 'memory'] as const,
      default: 'file' as const,
      helpGroup: 'ENGINE',
    })(),
    ...engineFlags,
  };

  protected async perform(): Promise<number> {
    const { args, flags } = this;
    const file = flags.inputs
      ? { path: flags.inputs, text: await readTextFile(flags.inputs, '--inputs') }
      : undefined;
    const { inputs, problems } = buildInputs(file, flags.input ?? []);
    if (problems.length > 0) {
      throw badInput(
        'BAD_INPUT',
        `invalid inputs: ${problems.length} problem${problems.length === 1 ? '' : 's'}`,
        problems,
      );
    }
    const budget = flags.budget === undefined ? undefined : budgetArg(flags.budget, '--budget');

    const backend = await this.backend({
      store: flags.store,
      handlers: flags.handlers,
      allowPrivateNetwork: flags['allow-private-network'],
    });
    this.attachTimeline(backend);
    const runId = await backend.start(args.workflow, inputs, budget ? { budget } : {});
    this.trackRun(backend, runId);
    return this.waitAndReport(backend, runId, { detach: flags.detach, timeoutMs: flags.timeout });
  }
}
