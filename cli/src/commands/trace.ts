import { Args, Flags } from '@oclif/core';
import type { AnyRunEvent } from '@aob/core';
import { waterfallOf } from '@aob/client';
import type { Waterfall } from '@aob/client';
import { AobCommand } from '../lib/base.js';
import type { Backend } from '../lib/backend.js';
import { badInput } from '../lib/errors.js';
import { ExitCode } from '../lib/exit-codes.js';
import { out, outJson, stdoutIsTty } from '../lib/output.js';
import { fitBarWidth, formatTrace, traceLink } from '../lib/trace-text.js';

/** Child runs read at most (each one's log is a read). */
const MAX_CHILDREN = 100;

export default class Trace extends AobCommand<typeof Trace> {
  static override summary = "Show a run's waterfall, from its event log, and its trace id.";
  static override description = `One row per span of the run: the run, each node attempt (retries as rows of their own, with the outcome and error code), map items, retry backoffs, approval, question and timer waits, child runs (with their own rows when their log is readable); patches and budget events as marks. Bars are scaled to the run's duration; a run still going is measured to now. Built from the event log alone, so it needs no trace collector. The header prints the W3C trace id recorded when the run started, to look up in Jaeger, Zipkin or Langfuse; with AOB_TRACE_UI set to a URL with {traceId} (e.g. http://localhost:16686/trace/{traceId}), its link. With --json, prints the rows.`;
  static override examples = [
    '<%= config.bin %> <%= command.id %> r_01J…',
    'AOB_TRACE_UI=http://localhost:16686/trace/{traceId} <%= config.bin %> <%= command.id %> r_01J…',
    '<%= config.bin %> <%= command.id %> r_01J… --json',
  ];

  static override args = {
    runId: Args.string({ description: 'The run to show.', required: true }),
  };

  static override flags = {
    width: Flags.integer({
      description: "The bars' width in characters (default: to fit the terminal, or 40 in a pipe).",
      min: 10,
      max: 400,
    }),
  };

  protected async perform(): Promise<number> {
    const backend = await this.backend();
    const runId = this.args.runId;
    const events = await backend.events(runId, 1);
    if (events.length === 0) throw badInput('RUN_NOT_FOUND', `no run ${runId}`);
    const wf = await withChildren(backend, events, Date.now());
    const traceUi = process.env.AOB_TRACE_UI;
    if (this.jsonMode) {
      const link = wf.trace ? traceLink(traceUi, wf.trace.traceId) : undefined;
      await outJson({
        ...wf,
        traceId: wf.trace?.traceId ?? null,
        ...(link ? { traceUrl: link } : {}),
      });
      return ExitCode.Ok;
    }
    const tty = stdoutIsTty();
    const color = tty && !process.env.NO_COLOR;
    await out(
      formatTrace(wf, {
        width: this.flags.width ?? fitBarWidth(wf, tty ? process.stdout.columns : undefined),
        color,
        traceUi,
      }),
    );
    return ExitCode.Ok;
  }
}

/**
 * The waterfall with the rows of its child runs (and theirs) whose logs can be read; a child that
 * cannot be read (another namespace, gone) stays one row.
 */
async function withChildren(
  backend: Backend,
  events: AnyRunEvent[],
  now: number,
): Promise<Waterfall> {
  const childLogs = new Map<string, AnyRunEvent[]>();
  const tried = new Set<string>();
  for (;;) {
    const wf = waterfallOf(events, { now, childLogs })!;
    const unread = wf.children.filter((c) => !c.read && !tried.has(c.runId));
    if (unread.length === 0 || tried.size >= MAX_CHILDREN) return wf;
    for (const c of unread.slice(0, MAX_CHILDREN - tried.size)) {
      tried.add(c.runId);
      try {
        const log = await backend.events(c.runId, 1);
        if (log.length > 0) childLogs.set(c.runId, log);
      } catch {
        // Not readable here: the child stays a row of its own.
      }
    }
  }
}
