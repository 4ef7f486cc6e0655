import { Flags } from '@oclif/core';
import { AobCommand } from '../lib/base.js';
import { openEngine } from '../lib/engine.js';
import { badInput } from '../lib/errors.js';
import { engineFlags } from '../lib/flags.js';
import { err, out, outJson } from '../lib/output.js';
import { engineSettings } from '../lib/settings.js';

export default class Scheduler extends AobCommand<typeof Scheduler> {
  static override summary =
    "Run the scheduler of the local store's schedules in the foreground (aob dev runs one too).";
  static override description = `Starts the runs of due schedule ticks (aob schedule create) and drives them in this process, until Ctrl-C or SIGTERM (exit 0). Any number of schedulers may run on one store: a tick's run id is derived from the schedule and the tick, so a tick starts one run whichever gets to it, and a scheduler killed at any moment loses no tick inside the schedule's catch-up window. With --json, one JSON line per run started: {scheduleId, tick, runId}. On a server the orchestrators run the scheduler: this command is local only.`;
  static override examples = ['<%= config.bin %> <%= command.id %> --handlers ./handlers.mjs'];

  static override flags = {
    'poll-ms': Flags.integer({
      description: 'How often to look for due ticks.',
      default: 250,
      min: 10,
    }),
    ...engineFlags,
  };

  protected async perform(): Promise<number> {
    if (this.backendChoice().mode === 'server') {
      throw badInput(
        'LOCAL_ONLY',
        'aob scheduler runs on the local store; on a server the orchestrators run the scheduler (unset AOB_SERVER)',
      );
    }
    const settings = engineSettings(process.env, process.cwd(), {
      handlers: this.flags.handlers,
      allowPrivateNetwork: this.flags['allow-private-network'],
    });
    const engine = await openEngine(settings);
    const json = this.jsonMode;
    if (json) await outJson({ scheduler: 'started', pid: process.pid, home: settings.home });
    else await out(`aob scheduler: the schedules of ${settings.home}; Ctrl-C stops it`);
    engine.startScheduler({
      pollMs: this.flags['poll-ms'],
      onStarted: (scheduleId, tick, runId) => {
        const line = json
          ? JSON.stringify({ scheduleId, tick, runId })
          : `${new Date(tick).toISOString()} ${scheduleId} → ${runId}`;
        process.stdout.write(`${line}\n`);
      },
    });

    return new Promise<number>((resolve) => {
      const onSignal = () => {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        void engine
          .close()
          .catch((e: unknown) => err(`aob scheduler: stopping: ${(e as Error).message}`))
          .finally(() => resolve(0));
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
    });
  }
}
