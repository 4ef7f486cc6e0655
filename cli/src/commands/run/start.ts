import { Args, Flags } from '@oclif/core';
import { DrivingCommand } from '../../lib/driving.js';
import { badInput } from '../../lib/errors.js';
import { readTextFile } from '../../lib/files.js';
import { engineFlags, waitFlags } from '../../lib/flags.js';
import { buildInputs } from '../../lib/inputs.js';

export default class RunStart extends DrivingCommand<typeof RunStart> {
  static override summary = 'Start a run of a workflow and wait until it ends.';
  static override description = `The workflow is a definition file (.json) or a registered name[@version]. The definition and the inputs are validated first; nothing is stored when either is invalid (exit 2, every problem listed). The command then drives the run in this process and waits, through approvals decided from other terminals, until the run ends: exit 0 completed, 1 failed or cancelled, 4 still waiting when --detach or --timeout returned.

Environment: AOB_HOME is where runs are stored (default ./.aob); AOB_HANDLERS names the handlers module (as --handlers).`;
  static override examples = [
    '<%= config.bin %> <%= command.id %> ./triage.json --input ticketId=T-1',
    '<%= config.bin %> <%= command.id %> ticket-triage@3 --inputs inputs.json --detach --json',
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

    const engine = await this.engine({
      store: flags.store,
      handlers: flags.handlers,
      allowPrivateNetwork: flags['allow-private-network'],
    });
    const definition = await engine.loadWorkflow(args.workflow);
    this.attachTimeline(engine);
    const runId = await engine.start(definition, inputs, { actor: this.defaultActor() });
    this.trackRun(runId);
    return this.waitAndReport(engine, runId, { detach: flags.detach, timeoutMs: flags.timeout });
  }
}
