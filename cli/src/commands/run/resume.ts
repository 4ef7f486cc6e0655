import { Args } from '@oclif/core';
import { DrivingCommand } from '../../lib/driving.js';
import { engineFlags, waitFlags } from '../../lib/flags.js';

export default class RunResume extends DrivingCommand<typeof RunResume> {
  static override summary = 'Continue a run whose process stopped, and wait until it ends.';
  static override description = `Drives the run in this process from where its log ends. Fails with exit 4 when another live process is driving it. Exit codes as for run start. Local mode only: with AOB_SERVER set it exits 2, since the cluster resumes runs itself.`;
  static override examples = ['<%= config.bin %> <%= command.id %> r_01J…'];

  static override args = {
    runId: Args.string({ description: 'The run to continue.', required: true }),
  };

  static override flags = { ...waitFlags, ...engineFlags };

  protected async perform(): Promise<number> {
    const { args, flags } = this;
    const backend = await this.backend({
      handlers: flags.handlers,
      allowPrivateNetwork: flags['allow-private-network'],
    });
    // On a server this refuses (exit 2): the cluster resumes runs itself.
    if (backend.mode === 'server') await backend.resume(args.runId);
    const before = await backend.get(args.runId);
    this.attachTimeline(backend);
    this.trackRun(backend, args.runId, before.startedAt);
    await backend.resume(args.runId);
    return this.waitAndReport(backend, args.runId, {
      detach: flags.detach,
      timeoutMs: flags.timeout,
    });
  }
}
