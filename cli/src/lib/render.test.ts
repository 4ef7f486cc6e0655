import { describe, expect, it } from 'vitest';
import type { AnyRunEvent } from '@aob/core';
import type { RunView } from '@aob/engine';
import {
  formatBudgetUsage,
  formatDuration,
  formatEventLine,
  formatFinalLine,
  formatRunDetails,
  formatProblem,
  formatRunSummary,
  nextStepHints,
  table,
} from './render.js';

const env = { runId: 'r1', irHash: 'h' };

describe('formatProblem', () => {
  it('prints path: message [CODE], / for the root', () => {
    expect(formatProblem({ code: 'SCHEMA', path: '/nodes/1/id', message: 'is required' })).toBe(
      '/nodes/1/id: is required [SCHEMA]',
    );
    expect(formatProblem({ code: 'CYCLE', path: '', message: 'a cycle' })).toBe(
      '/: a cycle [CYCLE]',
    );
  });
});

describe('formatEventLine', () => {
  it('shows offset, node, type and attempt', () => {
    const e: AnyRunEvent = {
      ...env,
      seq: 3,
      at: 1_250,
      type: 'NodeSucceeded',
      data: { nodeId: 'fetch', attempt: 2, output: { $cas: 'sha256:0', size: 1 } },
    };
    expect(formatEventLine(e, 1_000)).toMatch(/^\s*\+0\.250s\s+fetch\s+NodeSucceeded\s+#2$/);
  });

  it('shows the error of a failed node and the run-level dash', () => {
    const failed: AnyRunEvent = {
      ...env,
      seq: 4,
      at: 2_000,
      type: 'NodeFailed',
      data: {
        nodeId: 'fetch',
        attempt: 1,
        error: { code: 'HTTP_STATUS', message: '503', retryable: true },
        final: false,
      },
    };
    expect(formatEventLine(failed, 1_000)).toContain('#1 HTTP_STATUS: 503 (will retry)');
    const spent: AnyRunEvent = {
      ...failed,
      data: {
        nodeId: 'agent',
        attempt: 1,
        error: { code: 'BUDGET_EXCEEDED', message: 'stopped', retryable: false },
        final: true,
        usage: { promptTokens: 240, completionTokens: 60 },
      },
    };
    expect(formatEventLine(spent, 1_000)).toContain(
      '#1 BUDGET_EXCEEDED: stopped · 240+60 tokens (final)',
    );
    const done: AnyRunEvent = {
      ...env,
      seq: 9,
      at: 3_000,
      type: 'RunCompleted',
      data: { output: { $cas: 'sha256:0', size: 1 } },
    };
    expect(formatEventLine(done, 1_000)).toMatch(/^\s*\+2\.000s\s+-\s+RunCompleted$/);
  });

  it('names iterations and tickets', () => {
    const it1: AnyRunEvent = {
      ...env,
      seq: 5,
      at: 0,
      type: 'NodeStarted',
      data: { nodeId: 'each', attempt: 1, iteration: 3 },
    };
    expect(formatEventLine(it1, 0)).toContain('each[3]');
    const ask: AnyRunEvent = {
      ...env,
      seq: 6,
      at: 0,
      type: 'ApprovalRequested',
      data: { ticketId: 't1', nodeId: 'approve', approvers: ['ops'], quorum: 1 },
    };
    expect(formatEventLine(ask, 0)).toContain('ticket t1 for ops');
    const said: AnyRunEvent = { ...ask, data: { ...ask.data, message: 'Pay 120 EUR?' } };
    expect(formatEventLine(said, 0)).toContain('ticket t1 for ops: "Pay 120 EUR?"');
  });
});

describe('run summaries', () => {
  const view: RunView = {
    runId: 'r1',
    workflow: 'w@1',
    irHash: 'sha256:0000',
    status: 'completed',
    output: { a: 1 },
    nodes: {},
    startedAt: 0,
    endedAt: 1500,
    usage: { promptTokens: 0, completionTokens: 0, tokens: 0, costUsd: 0, nodes: 0, unpriced: 0 },
  };

  it('shows usage against the budget, and the limit crossed', () => {
    const spent: RunView = {
      ...view,
      status: 'failed',
      usage: {
        promptTokens: 90,
        completionTokens: 30,
        tokens: 120,
        costUsd: 0.004,
        nodes: 3,
        unpriced: 1,
      },
      budget: { tokens: 100, wallMs: 600_000, onExceeded: 'fail' },
      budgetExceeded: { limit: 'tokens', budget: 100, used: 120 },
    };
    expect(formatBudgetUsage(spent, 0)).toEqual([
      'usage:    tokens 120/100 · cost $0.0040 · nodes 3 · wall 1.50s/10m00s',
      'unpriced: 1 attempt (no price for the model in AOB_LLM_PRICES)',
      'exceeded: tokens (120 over 100; fail)',
    ]);
    expect(formatBudgetUsage(view, 0)).toEqual([]);
    expect(formatRunDetails(spent, 0)).toContain('exceeded: tokens (120 over 100; fail)');
  });

  it('prints run id, status and output as JSON', () => {
    expect(formatRunSummary(view)).toEqual(['run:    r1', 'status: completed', 'output: {"a":1}']);
  });

  it('closes a timeline with status and duration', () => {
    expect(formatFinalLine(view, 0)).toBe('✔ run r1 completed in 1.50s');
    expect(
      formatFinalLine({ ...view, status: 'waiting', waitingOn: ['t1'], endedAt: undefined }, 500),
    ).toContain('waiting on t1');
  });

  it('tells how to decide a waiting run', () => {
    expect(nextStepHints({ ...view, status: 'waiting', waitingOn: ['t1'] })).toEqual([
      '  decide with: aob approve t1 approve|reject',
    ]);
    expect(nextStepHints(view)).toEqual([]);
  });
});

describe('helpers', () => {
  it('formats durations', () => {
    expect(formatDuration(12)).toBe('12ms');
    expect(formatDuration(1234)).toBe('1.23s');
    expect(formatDuration(125_000)).toBe('2m05s');
  });

  it('aligns table columns', () => {
    expect(
      table(
        [
          ['a', 'bb', 'c'],
          ['ccc', 'd', 'e'],
        ],
        ['X', 'Y', 'Z'],
      ),
    ).toEqual(['X    Y   Z', 'a    bb  c', 'ccc  d   e']);
  });
});
