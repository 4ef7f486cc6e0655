// The services' log (ARCHITECTURE §10): pino, one JSON line per entry on stdout, at the level of
// AOB_LOG_LEVEL. A line written inside a run — an orchestrator's decision, a runner's node attempt
// (a task handler's `ctx.log` lines are written here too by a service's runner) — carries the
// run's `runId` and, in an attempt, `nodeId` and `attempt` (currentRunContext), and every line
// written under an active span its `traceId` and `spanId`: a log line leads to its run's trace.
import type pino from 'pino';
import { trace } from '@opentelemetry/api';
import { currentRunContext } from './run-context.js';
import { pinoLibrary } from '../lazy-libraries.js';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type Logger = pino.Logger;

/**
 * The fields a line gets from where it is written: the run context's ids (run, node, attempt, map
 * item) and the trace and span of the active span, else of the run context. The line's own
 * fields win over these.
 */
export function runLogFields(): Record<string, unknown> {
  const run = currentRunContext();
  const fields: Record<string, unknown> = {};
  if (run) {
    fields.runId = run.runId;
    if (run.nodeId !== undefined) fields.nodeId = run.nodeId;
    if (run.attempt !== undefined) fields.attempt = run.attempt;
    if (run.iteration !== undefined) fields.iteration = run.iteration;
  }
  const active = trace.getActiveSpan()?.spanContext();
  if (active && trace.isSpanContextValid(active)) {
    fields.traceId = active.traceId;
    fields.spanId = active.spanId;
  } else if (run?.traceId !== undefined) {
    fields.traceId = run.traceId;
    if (run.spanId !== undefined) fields.spanId = run.spanId;
  }
  return fields;
}

export interface LoggerOptions {
  /** Default `info`. */
  level?: LogLevel;
  /** Where lines go. Default stdout, written synchronously (a line before an exit is not lost). */
  destination?: pino.DestinationStream;
}

/**
 * A pino logger writing lines as the services always have: `level` by name, `time` in ISO 8601,
 * `message`, the line's fields — plus the run's and trace's ids (runLogFields).
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const pino = pinoLibrary();
  return pino(
    {
      level: options.level ?? 'info',
      messageKey: 'message',
      // No pid or hostname: a container's collector knows its pod; AOB_INSTANCE names the process.
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      mixin: runLogFields,
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

let shared: Logger | undefined;

/**
 * This process's service log: created on first use at AOB_LOG_LEVEL's level (`info` when unset or
 * not a level; `serviceConfig` refuses such a value before any service starts).
 */
export function serviceLogger(): Logger {
  if (!shared) {
    const level = process.env.AOB_LOG_LEVEL;
    shared = createLogger({
      level: (LOG_LEVELS as readonly string[]).includes(level ?? '') ? (level as LogLevel) : 'info',
    });
  }
  return shared;
}
