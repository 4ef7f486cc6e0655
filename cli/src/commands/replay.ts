import { Args, Flags } from '@oclif/core';
import { DrivingCommand } from '../lib/driving.js';
import { engineFlags, waitFlags } from '../lib/flags.js';

export default class Replay extends DrivingCommand<typeof Replay> {
  static override summary =
    'Re-run a run from one node, as a new child run, and wait until it ends.';
  static override description = `Nodes not downstream of --from keep their recorded outputs. In freeze mode, downstream nodes whose input is unchanged reuse their recorded output too (LLM calls replay at no cost); in live mode they run again. The new run records replayOf and fromNode. Exit codes as for run start.`;
  static override examples = [
    '<%= config.bin %> <%= command.id %> r_01J… --from classify --mode live',
  ];

  static override args = {
    runId: Args.string({ description: 'The run to replay.', required: true }),
  };

  static override flags = {
    from: Flags.string({ description: 'The node to replay from.', required: true }),
    mode: Flags.option({
      description:
        'freeze: reuse recorded outputs whose inputs did not change; live: run them again.',
      options: ['freeze', 'live'] as const,
      default: 'freeze' as const,
    })(),
    ...waitFlags,
    ...engineFlags,
  };

  protected async perform(): Promise<number> {
    const { args, flags } = this;
    const backend = await this.backend({
      handlers: flags.handlers,
      allowPrivateNetwork: flags['allow-private-network'],
    });
    this.attachTimeline(backend);
    const runId = await backend.replay(args.runId, flags.from, flags.mode);
    this.trackRun(backend, runId);
    return this.waitAndReport(backend, runId, { detach: flags.detach, timeoutMs: flags.timeout });
  }
}
