// The services' pino log: its line format, and the run's and trace's ids on every line written
// inside a run context or under an active span (telemetry/log.ts).
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Topic } from '@aob/core';
import { MemoryBus } from '@aob/bus';
import { MemoryContentStore } from '@aob/store';
import { createLogger } from './log.js';
import type { LogLevel } from './log.js';
import { enableRunContext, withRunContext } from './run-context.js';
import { Runner } from '../runner/runner.js';
import { nodeJob } from '../testing/node-job.js';

type Line = Record<string, unknown>;

/** A logger whose lines are parsed into `lines`. */
function capture(level: LogLevel = 'debug') {
  const lines: Line[] = [];
  const log = createLogger({
    level,
    destination: { write: (s: string) => void lines.push(JSON.parse(s) as Line) },
  });
  return { log, lines };
}

const spans = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
const tracer = provider.getTracer('log-test');

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(provider);
  // As runServer does: the run context is kept.
  enableRunContext();
});

afterAll(async () => {
  trace.disable();
  context.disable();
  await provider.shutdown();
});

const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;

describe('the service log', () => {
  it('writes level, ISO time, message and the fields, and nothing of a run outside one', () => {
    const { log, lines } = capture();
    log.info({ service: 'runner', instance: 'r-1' }, 'service started');
    expect(lines).toHaveLength(1);
    const [line] = lines;
    expect(line).toEqual({
      level: 'info',
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      message: 'service started',
      service: 'runner',
      instance: 'r-1',
    });
  });

  it('keeps to its level', () => {
    const { log, lines } = capture('warn');
    log.info('not this');
    log.debug('nor this');
    log.warn('this');
    log.error('and this');
    expect(lines.map((l) => [l.level, l.message])).toEqual([
      ['warn', 'this'],
      ['error', 'and this'],
    ]);
  });

  it('carries the active span’s trace and span ids outside a run', () => {
    const { log, lines } = capture();
    const span = tracer.startSpan('request');
    context.with(trace.setSpan(context.active(), span), () => log.info('inside a span'));
    span.end();
    expect(lines[0]).toMatchObject({
      traceId: span.spanContext().traceId,
      spanId: span.spanContext().spanId,
    });
    expect(lines[0]).not.toHaveProperty('runId');
  });

  it('carries runId, nodeId, traceId and spanId inside a run context with an active span, across awaits', async () => {
    const { log, lines } = capture();
    const span = tracer.startSpan('aob.node n1');
    await withRunContext({ runId: 'run-1', nodeId: 'n1', nodeType: 'task', attempt: 2 }, () =>
      context.with(trace.setSpan(context.active(), span), async () => {
        log.info('before');
        await new Promise((r) => setTimeout(r, 5));
        log.warn({ extra: 1 }, 'after a timer');
      }),
    );
    span.end();
    log.info('outside again');
    const ids = {
      runId: 'run-1',
      nodeId: 'n1',
      attempt: 2,
      traceId: span.spanContext().traceId,
      spanId: span.spanContext().spanId,
    };
    expect(lines[0]).toMatchObject({ message: 'before', ...ids });
    expect(lines[1]).toMatchObject({ message: 'after a timer', extra: 1, ...ids });
    expect(lines[2]).toEqual({
      level: 'info',
      time: expect.any(String),
      message: 'outside again',
    });
  });

  it("takes the run context's trace ids when no span is active (tracing off), and the line's own fields win", () => {
    const { log, lines } = capture();
    withRunContext({ runId: 'run-2', traceId: 'a'.repeat(32), spanId: 'b'.repeat(16) }, () =>
      log.info({ runId: 'said-so' }, 'a decision'),
    );
    expect(lines[0]).toMatchObject({
      runId: 'said-so',
      traceId: 'a'.repeat(32),
      spanId: 'b'.repeat(16),
    });
    expect(lines[0]).not.toHaveProperty('nodeId');
  });

  it("writes a task handler's ctx.log lines with its attempt's ids (the node span's), and still publishes them as NodeLog results", async () => {
    const { log, lines } = capture();
    const bus = new MemoryBus();
    const runner = new Runner({
      bus,
      content: new MemoryContentStore(),
      options: {
        handlers: {
          work: async (_input, ctx) => {
            ctx.log.info('charging the card');
            await new Promise((r) => setTimeout(r, 1));
            ctx.log.error('declined');
            return { ok: false };
          },
        },
        allowPrivateNetwork: false,
      },
      concurrency: 1,
      consumer: 'r1',
      log,
    });
    await bus.ensureGroup('test', [Topic.results]);
    await runner.start();
    try {
      const job = nodeJob('run-log', { nodeId: 'charge', attempt: 3 });
      await bus.publish(Topic.jobsMedium, job.runId, job);
      const results: { kind: string; message?: string }[] = [];
      while (!results.some((r) => r.kind === 'succeeded')) {
        const batch = await bus.read({
          group: 'test',
          consumer: 't',
          topics: [Topic.results],
          blockMs: 1_000,
        });
        results.push(...batch.map((m) => m.value as { kind: string; message?: string }));
      }
      expect(results.filter((r) => r.kind === 'log').map((r) => r.message)).toEqual([
        'charging the card',
        'declined',
      ]);
    } finally {
      const stopped = runner.stop();
      await bus.close();
      await stopped;
    }
    const node = spans.getFinishedSpans().find((s) => s.name === 'aob.node charge');
    expect(node).toBeDefined();
    const ids = {
      runId: 'run-log',
      nodeId: 'charge',
      attempt: 3,
      traceId: node!.spanContext().traceId,
      spanId: node!.spanContext().spanId,
    };
    expect(lines).toEqual([
      expect.objectContaining({ level: 'info', message: 'charging the card', ...ids }),
      expect.objectContaining({ level: 'error', message: 'declined', ...ids }),
    ]);
    expect(ids.traceId).toMatch(HEX32);
    expect(ids.spanId).toMatch(HEX16);
  });
});
