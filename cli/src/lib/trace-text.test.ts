import { describe, expect, it } from 'vitest';
import type { Waterfall, WaterfallRow } from '@aob/client';
import { bar, fitBarWidth, formatTrace, formatTraceHeader, traceLink } from './trace-text.js';

const row = (over: Partial<WaterfallRow>): WaterfallRow => ({
  id: 'x',
  depth: 1,
  kind: 'attempt',
  label: 'a #1',
  status: 'succeeded',
  startMs: 0,
  durationMs: 0,
  open: false,
  instant: false,
  runId: 'r',
  seq: 1,
  ...over,
});

const wf = (over: Partial<Waterfall> = {}): Waterfall => ({
  runId: 'r_1',
  workflow: { name: 'flaky', version: '1' },
  status: 'completed',
  startedAt: 0,
  endedAt: 1_000,
  durationMs: 1_000,
  rows: [
    row({
      id: 'run',
      depth: 0,
      kind: 'run',
      label: 'run flaky@1',
      status: 'completed',
      durationMs: 1_000,
    }),
    row({
      label: 'flaky #1',
      status: 'failed',
      durationMs: 250,
      errorCode: 'FLAKY',
      outcome: 'will retry',
      detail: 'FLAKY: no luck',
    }),
    row({ label: 'flaky #2', startMs: 500, durationMs: 500, queuedMs: 250 }),
    row({ label: 'patch p1 applied', status: 'event', startMs: 750, instant: true }),
  ],
  children: [],
  ...over,
});

describe('aob trace text', () => {
  it('draws bars scaled to the run: queued, running, instants, a partial last cell', () => {
    expect(bar(row({ durationMs: 1_000 }), 1_000, 10)).toBe('██████████');
    expect(bar(row({ startMs: 500, durationMs: 500, queuedMs: 250 }), 1_000, 8)).toBe('    ░░██');
    expect(bar(row({ durationMs: 130 }), 1_000, 10)).toBe('█▎        ');
    expect(bar(row({ startMs: 300, instant: true }), 1_000, 10)).toBe('   ◆      ');
    // Too short to see still leaves a mark where it started.
    expect(bar(row({ startMs: 999, durationMs: 0 }), 1_000, 10)).toBe('         ▏');
  });

  it('prints the run, its trace id and how to open it', () => {
    const trace = {
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      sampled: true,
    };
    expect(formatTraceHeader(wf(), undefined)).toEqual([
      'run:    r_1 flaky@1 completed in 1.00s',
      'trace:  no trace recorded (RunStarted carries no traceparent)',
    ]);
    const ui = 'http://localhost:16686/trace/{traceId}';
    expect(formatTraceHeader(wf({ trace }), ui)).toEqual([
      'run:    r_1 flaky@1 completed in 1.00s',
      'trace:  4bf92f3577b34da6a3ce929d0e0e4736',
      'open:   http://localhost:16686/trace/4bf92f3577b34da6a3ce929d0e0e4736',
    ]);
    const hint = formatTraceHeader(wf({ trace }), 'http://jaeger/').join('\n');
    expect(hint).toContain(
      'find it in the backend its spans were exported to (Jaeger, Zipkin, Langfuse)',
    );
    expect(hint).toContain('AOB_TRACE_UI is set but has no {traceId}');
    expect(traceLink('x/{traceId}?again={traceId}', 'ab')).toBe('x/ab?again=ab');
    const running = formatTraceHeader(wf({ status: 'running', endedAt: undefined }), undefined);
    expect(running[0]).toBe('run:    r_1 flaky@1 running 1.00s so far');
  });

  it('prints one line per row, indented, with start, duration, status and detail; colour only when asked', () => {
    const lines = formatTrace(wf(), { width: 20, color: false });
    const body = lines.slice(lines.indexOf('') + 1);
    expect(body).toEqual([
      `${''.padEnd(18)}  0${'1.00s'.padStart(19)}      start     took`,
      'run flaky@1         ████████████████████    +0.000s    1.00s  completed',
      '  flaky #1          █████                   +0.000s    250ms  failed (will retry)  FLAKY: no luck',
      '  flaky #2                    ░░░░░█████    +0.500s    500ms  succeeded',
      '  patch p1 applied                 ◆        +0.750s           event',
      '',
      '█ running (or waiting, for a wait)  ░ queued for a worker  ◆ an event  + still open',
    ]);
    // flaky #2 was queued for half of it, at any width.
    expect(formatTrace(wf(), { width: 40, color: false }).join('\n')).toContain(
      ' ░░░░░░░░░░██████████ ',
    );
    expect(lines.join('\n')).not.toContain('\u001b[');
    const colored = formatTrace(wf(), { width: 20, color: true }).join('\n');
    expect(colored).toContain('\u001b[31m');
    expect(colored).toContain('\u001b[32m');
  });

  it('fits the bars to a terminal, 40 wide in a pipe', () => {
    expect(fitBarWidth(wf(), undefined)).toBe(40);
    expect(fitBarWidth(wf(), 120)).toBe(120 - 18 - 45);
    expect(fitBarWidth(wf(), 60)).toBe(20);
    expect(fitBarWidth(wf(), 400)).toBe(80);
  });
});
