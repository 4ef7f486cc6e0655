import { setTimeout as sleep } from 'node:timers/promises';
import { Args, Flags } from '@oclif/core';
import type { AnyRunEvent } from '@aob/core';
import { TERMINAL_EVENTS } from '@aob/core';
import { AobCommand } from '../../lib/base.js';
import { ExitCode } from '../../lib/exit-codes.js';
import { out, outJsonLine } from '../../lib/output.js';
import { formatEventLine } from '../../lib/render.js';
import { DeltaLines } from '../../lib/delta-lines.js';

const POLL_MS = 200;

export default class LogsStream extends AobCommand<typeof LogsStream> {
  static override summary = "Print a run's event log, then follow it until the run is over.";
  static override description = `Reads the log from the store, so it works for runs driven by any process. While an llm node runs, its token deltas are shown as they come (they are never part of the log; the whole reply is in the node's output when it finishes). With --json, prints one event envelope per line and nothing else; deltas are lines of type NodeOutputDelta with "ephemeral": true.`;
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
    const engine = await this.engine();
    const view = await engine.get(args.runId);
    let t0 = view.startedAt;
    let lastSeq = 0;
    let over = false;
    let first = true;
    let liveOffset = 0;
    const lines = new DeltaLines();
    for (;;) {
      if (flags.deltas && flags.follow) {
        const { deltas, next } = engine.liveDeltas(args.runId, liveOffset);
        liveOffset = next;
        for (const d of deltas) {
          if (flags.node !== undefined && d.nodeId !== flags.node) continue;
          if (this.jsonMode) {
            await outJsonLine({ type: 'NodeOutputDelta', ephemeral: true, ...d });
            continue;
          }
          const complete = lines.push(d.nodeId, d.delta);
          if (complete.length > 0) await out(complete);
        }
      }
      const events = await engine.events(args.runId, lastSeq + 1);
      for (const e of events) {
        if (e.seq <= lastSeq) continue;
        lastSeq = e.seq;
        if (first && e.type === 'RunStarted') t0 = e.at;
        first = false;
        if (TERMINAL_EVENTS.has(e.type)) over = true;
        if (flags.node !== undefined && !isAbout(e, flags.node)) continue;
        const about = (e.data as { nodeId?: unknown }).nodeId;
        if (!this.jsonMode && typeof about === 'string') {
          const rest = lines.flush(about);
          if (rest.length > 0) await out(rest);
        }
        if (this.jsonMode) await outJsonLine(e);
        else await out(formatEventLine(e, t0));
      }
      if (over || !flags.follow) return ExitCode.Ok;
      await sleep(POLL_MS);
    }
  }
}

function isAbout(e: AnyRunEvent, nodeId: string): boolean {
  return (e.data as { nodeId?: unknown }).nodeId === nodeId;
}
