import { Args } from '@oclif/core';
import { DrivingCommand } from '../../lib/driving.js';
import { engineFlags, waitFlags } from '../../lib/flags.js';

export default class RunResume extends DrivingCommand<typeof RunResume> {
  static override summary = 'Continue a run whose process stopped, and wait until it ends.';
  static override description = `Drives the run in this process from where its log ends. Fails with exit 4 when another live process is driving it. Exit codes as for run start.`;
  static override examples = ['<%= config.bin %> <%= command.id %> r_01J…'];

  static override args = {
    runId: Args.string({ description: 'The run to continue.', required: true }),
  };

  static override flags = { ...waitFlags, ...engineFlags };

  protected async perform(): Promise<number> {
    const { args, flags } = this;
    const engine = await this.engine({
      handlers: flags.handlers,
      allowPrivateNetwork: flags['allow-private-network'],
    });
    const before = await engine.get(args.runId);
    this.attachTimeline(engine);
    this.trackRun(args.runId, before.startedAt);
    await engine.resume(args.runId);
    return this.waitAndReport(engine, args.runId, {
      detach: flags.detach,
      timeoutMs: flags.timeout,
    });
  }
}
