import { describe, expect, it } from 'vitest';
import { addUsage, emptyUsage, executionBreach, spendingBreach, tightest } from './budget.js';

describe('budget usage', () => {
  it('sums tokens and dollars, and counts attempts reported without a price', () => {
    const u = emptyUsage();
    addUsage(u, { promptTokens: 10, completionTokens: 5, costUsd: 0.25 });
    addUsage(u, { promptTokens: 7, completionTokens: 3 });
    addUsage(u, { promptTokens: 0, completionTokens: 0 });
    expect(u).toEqual({
      promptTokens: 17,
      completionTokens: 8,
      tokens: 25,
      costUsd: 0.25,
      nodes: 0,
      unpriced: 1,
    });
  });
});

describe('tightest', () => {
  it('takes the smallest of each limit and the first policy given', () => {
    expect(
      tightest(
        undefined,
        { tokens: 500, onExceeded: 'cancel' },
        { tokens: 100, wallMs: 9_000, onExceeded: 'fail' },
        { costUsd: 2, nodes: 4 },
      ),
    ).toEqual({ tokens: 100, wallMs: 9_000, costUsd: 2, nodes: 4, onExceeded: 'cancel' });
  });

  it('is undefined when nothing limits (a policy alone limits nothing)', () => {
    expect(tightest(undefined, { onExceeded: 'cancel' })).toBeUndefined();
    expect(tightest({ tokens: 0 })).toEqual({ tokens: 0 });
  });
});

describe('the exceeded decision', () => {
  const used = (tokens: number, costUsd = 0, nodes = 0) => ({
    ...emptyUsage(),
    tokens,
    costUsd,
    nodes,
  });

  it('is crossed by spending past a limit, not by reaching it', () => {
    expect(spendingBreach({ tokens: 100 }, used(100))).toBeUndefined();
    expect(spendingBreach({ tokens: 100 }, used(101))).toEqual({
      limit: 'tokens',
      budget: 100,
      used: 101,
    });
    expect(spendingBreach({ costUsd: 1 }, used(0, 1.5))).toEqual({
      limit: 'costUsd',
      budget: 1,
      used: 1.5,
    });
    expect(spendingBreach(undefined, used(1e9, 1e9))).toBeUndefined();
    expect(spendingBreach({ nodes: 1, wallMs: 1 }, used(1e9, 1e9, 1e9))).toBeUndefined();
  });

  it('refuses the execution past the node limit', () => {
    expect(executionBreach({ nodes: 3 }, used(0, 0, 2))).toBeUndefined();
    expect(executionBreach({ nodes: 3 }, used(0, 0, 3))).toEqual({
      limit: 'nodes',
      budget: 3,
      used: 4,
    });
    expect(executionBreach({ tokens: 1 }, used(0, 0, 1e9))).toBeUndefined();
  });
});
