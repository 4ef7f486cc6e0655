// Reports of runners outside the cluster are checked against schemas/agent-result.schema.json:
// every kind the schema knows passes as sent; bad input is VALIDATION naming every problem.
import { describe, expect, it } from 'vitest';
import { checkRunnerReport } from './runner-reports.js';

const ref = { $cas: `sha256:${'a'.repeat(64)}`, size: 3 };

const problemsOf = (body: unknown) => {
  try {
    checkRunnerReport(body);
  } catch (err) {
    const e = err as { code: string; problems: { path: string; code: string }[] };
    expect(e.code).toBe('VALIDATION');
    return e.problems.map((p) => `${p.path} ${p.code}`).sort();
  }
  throw new Error('accepted');
};

describe('runner reports', () => {
  it('accepts every kind of the schema as sent', () => {
    for (const body of [
      { kind: 'started' },
      { kind: 'log', level: 'warn', message: 'slow model' },
      { kind: 'succeeded', output: ref, usage: { promptTokens: 3, completionTokens: 4 } },
      { kind: 'failed', error: { code: 'AGENT_MAX_TURNS', message: 'too many', retryable: false } },
      // Stopped at what its run had left: the tokens it spent count toward the run's budget.
      {
        kind: 'failed',
        error: { code: 'BUDGET_EXCEEDED', message: 'stopped', retryable: false },
        usage: { promptTokens: 240, completionTokens: 60, costUsd: 0.01 },
      },
    ]) {
      expect(checkRunnerReport(body)).toBe(body);
    }
  });

  it('names every problem of a bad report', () => {
    expect(problemsOf({ kind: 'finished' })).toEqual(['/kind ENUM']);
    expect(problemsOf({ kind: 'succeeded', value: 1 })).toEqual([
      '/output REQUIRED',
      '/value ADDITIONALPROPERTIES',
    ]);
    expect(
      problemsOf({ kind: 'failed', error: { code: '', retryable: 'no' }, runId: 'run_x' }),
    ).toEqual([
      '/error/code MINLENGTH',
      '/error/message REQUIRED',
      '/error/retryable TYPE',
      '/runId ADDITIONALPROPERTIES',
    ]);
    expect(problemsOf('started')).toEqual([' TYPE']);
  });
});
