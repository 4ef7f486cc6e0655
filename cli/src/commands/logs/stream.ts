import { Args, Flags } from '@oclif/core';
import type { AnyRunEvent } from '@aob/core';
import type { Backend, FeedItem } from '../../lib/backend.js';
import { AobCommand } from '../../lib/base.js';
import { ExitCode } from '../../lib/exit-codes.js';
import { out, outJsonLine, stdoutIsTty } from '../../lib/output.js';
import { formatEventLine, formatFinalLine } from '../../lib/render.js';
import { DeltaLines } from '../../lib/delta-lines.js';
import { LiveText } from '../../lib/live-text.js';

export default class LogsStream extends AobCommand<typeof LogsStream> {
  static override summary = "Print a run's event log, then follow it until the run is over.";
  static override description = `Reads the log from the store, so it works for runs driven by any process. With AOB_SERVER set, follows the run's event stream on the server and picks it up where it left off after a dropped connection. While an llm node runs, its token deltas are shown as they come (they are never part of the log; the whole reply is in the node's output when it finishes). With --json, prints one event envelope per line and nothing else; deltas are lines of type NodeOutputDelta with "ephemeral": true.`;
  static override examples = [
    '<%= config.bin %> <%= command.id %> r_01J…',
    '<%= config.bin %> <%= command.id %> r_01J… --node classify --json --no-follow',
  ];

  static override args = {
    runId: Args.string({ description: 'The run whose log to print.', required: true }),
  };

  static override flags = {
    node: Flags.string({ description: 'Only events about this node.' }),
    deltas: Flags.boolean({
      description: 'Show the partial output of running llm nodes (--no-deltas: only the log).',
      default: true,
      allowNo: true,
    }),
    follow: Flags.boolean({
      description:
        'Keep printing new events until the run is over (--no-follow: print the history and exit).',
      default: true,
      allowNo: true,
    }),
  };

  protected async perform(): Promise<number> {
    const { args, flags } = this;
    const backend = await this.backend();
    const view = await backend.get(args.runId);
    let t0 = view.startedAt;
    let first = true;
    // On a terminal, text shows as it streams; in a pipe, as whole lines (tidier for logs).
    const live =
      !this.jsonMode && stdoutIsTty() ? new LiveText((t) => process.stdout.write(t)) : undefined;
    const lines = new DeltaLines();
    const items: AsyncIterable<FeedItem> = flags.follow
      ? backend.follow(args.runId, { afterSeq: 0, deltas: flags.deltas })
      : history(backend, args.runId);
    for await (const item of items) {
      if (item.kind === 'delta') {
        const d = item.delta;
        if (flags.node !== undefined && d.nodeId !== flags.node) continue;
        if (this.jsonMode) {
          await outJsonLine({ type: 'NodeOutputDelta', ephemeral: true, ...d });
          continue;
        }
        if (live) {
          live.delta(d.nodeId, `  ${d.nodeId} ▸ `, d.delta);
          continue;
        }
        const complete = lines.push(d.nodeId, d.delta);
        if (complete.length > 0) await out(complete);
        continue;
      }
      const e = item.event;
      if (first && e.type === 'RunStarted') t0 = e.at;
      first = false;
      if (flags.node !== undefined && !isAbout(e, flags.node)) continue;
      const about = (e.data as { nodeId?: unknown }).nodeId;
      if (!this.jsonMode && typeof about === 'string') {
        const rest = lines.flush(about);
        if (rest.length > 0) await out(rest);
      }
      live?.breakLine();
      if (this.jsonMode) await outJsonLine(e);
      else await out(formatEventLine(e, t0));
    }
    live?.breakLine();
    if (!this.jsonMode && flags.follow) {
      // The stream ends when the run is over: say how it ended, as run start does.
      await out(formatFinalLine(await backend.get(args.runId), Date.now()));
    }
    return ExitCode.Ok;
  }
}

async function* history(backend: Backend, runId: string): AsyncIterable<FeedItem> {
  for (const event of await backend.events(runId, 1)) yield { kind: 'event', event };
}

function isAbout(e: AnyRunEvent, nodeId: string): boolean {
  return (e.data as { nodeId?: unknown }).nodeId === nodeId;
}
