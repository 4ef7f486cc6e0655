import { describe, expect, it } from 'vitest';
import { checkBudget, parseBudgetSpec } from './budget-input.js';

describe('parseBudgetSpec', () => {
  it('reads every key, with cost in dollars and wall as a duration', () => {
    expect(parseBudgetSpec('tokens=5000, cost=1.5,wall=10m,nodes=20,onExceeded=cancel')).toEqual({
      budget: { tokens: 5000, costUsd: 1.5, wallMs: 600_000, nodes: 20, onExceeded: 'cancel' },
      problems: [],
    });
    expect(parseBudgetSpec('wall=500ms')).toEqual({ budget: { wallMs: 500 }, problems: [] });
    expect(parseBudgetSpec('wall=1.5h')).toEqual({ budget: { wallMs: 5_400_000 }, problems: [] });
  });

  it('names every problem and returns no budget', () => {
    const r = parseBudgetSpec(
      'tokens=lots,cost=-1,wall=10,nodes=0,colour=red,tokens=3,onExceeded=halt',
    );
    expect('budget' in r).toBe(false);
    expect(r.problems.map((p) => p.path).sort()).toEqual([
      '/budget/colour',
      '/budget/cost',
      '/budget/nodes',
      '/budget/onExceeded',
      '/budget/tokens',
      '/budget/wall',
    ]);
    expect(r.problems.every((p) => p.code === 'BAD_BUDGET')).toBe(true);
    expect(r.problems.find((p) => p.path === '/budget/wall')!.message).toContain('duration');
    expect(r.problems.find((p) => p.path === '/budget/colour')!.message).toContain('unknown');
  });

  it('refuses an empty budget', () => {
    expect(parseBudgetSpec(' , ').problems).toEqual([
      expect.objectContaining({ path: '/budget', code: 'BAD_BUDGET' }),
    ]);
  });
});

describe('checkBudget', () => {
  it('takes a JSON budget whole', () => {
    expect(checkBudget({ tokens: 0, costUsd: 0.01, wallMs: 1, nodes: 1 })).toEqual({
      budget: { tokens: 0, costUsd: 0.01, wallMs: 1, nodes: 1 },
      problems: [],
    });
  });

  it('names every bad field', () => {
    const r = checkBudget(
      { tokens: 1.5, costUsd: 'x', wallMs: 0, nodes: -1, onExceeded: 'x', extra: 1 },
      '/b',
    );
    expect(r.problems.map((p) => p.path).sort()).toEqual(
      ['/b/costUsd', '/b/extra', '/b/nodes', '/b/onExceeded', '/b/tokens', '/b/wallMs'].sort(),
    );
    expect(checkBudget([], '/b').problems).toEqual([
      { code: 'BAD_BUDGET', path: '/b', message: 'must be an object' },
    ]);
  });
});
