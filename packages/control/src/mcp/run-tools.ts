// The two run tools that are more than one REST call: run_wait, which waits as long as the caller
// likes (REST holds a request at most MAX_WAIT_MS) and reports progress meanwhile, so a client
// that resets its timeout on progress never gives up at its 60 s default; and run_events, the
// run's log read with a cursor, for clients that do not subscribe to resources.
import type { RunStatus } from '@aob/core';
import { isTerminalStatus } from '@aob/core';
import { responseOf } from './api-tool.js';
import { describeRun } from './api-tools.js';
import type { JsonSchema, ToolSpec } from './tool-spec.js';
import { READS } from './tool-spec.js';

/** One wait of the loop: short enough that progress reaches the client well within 60 s. */
const WAIT_SLICE_MS = 10_000;
const DEFAULT_WAIT_MS = 300_000;
const MAX_WAIT_MS = 3_600_000;
const MAX_EVENTS = 500;
const RUN_ID = { type: 'string', minLength: 1, maxLength: 200, description: 'the run (run_…)' };

export const RUN_TOOLS: readonly ToolSpec[] = [
  {
    name: 'run_wait',
    operation: 'waitRun',
    title: 'Wait for a run',
    description: `Waits until a run is over (completed, failed or cancelled) or, with untilSettled (default true), waits on a person (an approval or a question), or until timeoutMs (default ${DEFAULT_WAIT_MS} ms, at most ${MAX_WAIT_MS}). Sends a progress notification every ${WAIT_SLICE_MS / 1000} s while waiting when the call carries a progress token. Answers {run, timedOut}: the run as run_get shows it.`,
    inputSchema: {
      type: 'object',
      additionalProperties: false,
      required: ['runId'],
      properties: {
        runId: RUN_ID,
        timeoutMs: { type: 'integer', minimum: 0, maximum: MAX_WAIT_MS },
        untilSettled: {
          type: 'boolean',
          description: 'also return when the run waits on a person (default true)',
        },
      },
    },
    outputSchema: {
      type: 'object',
      additionalProperties: false,
      required: ['run', 'timedOut'],
      properties: {
        run: responseOf('getRun'),
        timedOut: { type: 'boolean', description: 'the wait ended before the run did' },
      },
    },
    annotations: { title: 'Wait for a run', ...READS },
    async run(ctx, args) {
      const runId = args.runId as string;
      const untilSettled = args.untilSettled !== false;
      const timeoutMs = (args.timeoutMs as number | undefined) ?? DEFAULT_WAIT_MS;
      const started = Date.now();
      for (;;) {
        const left = timeoutMs - (Date.now() - started);
        const view = await ctx.plane.waitRun(ctx.principal, runId, {
          timeoutMs: Math.max(0, Math.min(WAIT_SLICE_MS, left)),
          untilSettled,
        });
        const status = view.status as RunStatus;
        const done = isTerminalStatus(status) || (untilSettled && status === 'waiting');
        if (done || left <= WAIT_SLICE_MS || ctx.signal.aborted) {
          const run = view as unknown as Record<string, unknown>;
          const timedOut = !done;
          return {
            summary: `${describeRun(run)}${timedOut ? ` (still ${status} after ${timeoutMs} ms)` : ''}`,
            structured: { run, timedOut },
          };
        }
        const waited = Date.now() - started;
        await ctx.progress(
          waited,
          `run ${runId} is ${status} after ${Math.round(waited / 1000)} s`,
          timeoutMs,
        );
      }
    },
  },
  {
    name: 'run_events',
    operation: 'runEvents',
    title: 'Read a run’s events',
    description: `The run’s recorded events after a cursor, oldest first: pass after (a sequence number; 0 or absent: from the start) and get at most limit (default and most ${MAX_EVENTS}) events, the cursor to pass next (last) and whether more are recorded already (more). Calling again with the last cursor returns only what came since: how to follow a run without subscribing.`,
    inputSchema: {
      type: 'object',
      additionalProperties: false,
      required: ['runId'],
      properties: {
        runId: RUN_ID,
        after: {
          type: 'integer',
          minimum: 0,
          description: 'the last sequence number already read',
        },
        limit: { type: 'integer', minimum: 1, maximum: MAX_EVENTS },
      },
    },
    outputSchema: {
      type: 'object',
      additionalProperties: false,
      required: ['events', 'last', 'more'],
      properties: {
        events: (responseOf('runEvents').properties as Record<string, JsonSchema>).items!,
        last: { type: 'integer', description: 'pass as after to read what comes next' },
        more: { type: 'boolean', description: 'more events are recorded after last already' },
      },
    },
    annotations: { title: 'Read a run’s events', ...READS },
    async run(ctx, args) {
      const runId = args.runId as string;
      const after = (args.after as number | undefined) ?? 0;
      const limit = (args.limit as number | undefined) ?? MAX_EVENTS;
      const page = await ctx.plane.runEvents(ctx.principal, runId, { fromSeq: after + 1, limit });
      const events = page.items;
      const last = events.length > 0 ? events[events.length - 1]!.seq : after;
      const more = page.nextCursor !== undefined;
      const types = events.map((e) => e.type);
      return {
        summary:
          events.length === 0
            ? `no events after ${after}`
            : `${events.length} events ${after + 1}–${last}: ${types.slice(0, 12).join(', ')}${types.length > 12 ? ', …' : ''}${more ? '; more after' : ''}`,
        structured: { events, last, more },
      };
    },
  },
];
