import { describe, expect, it } from 'vitest';
import { usageOf } from './usage.js';

const prices = { fast: { input: 0.15, output: 0.6 }, 'gpt-x': { input: 2, output: 8 } };
const llm = { type: 'llm' as const, config: { model: 'fast' } };

describe('usageOf', () => {
  it('prices an llm output by the definition alias', () => {
    const out = {
      content: 'hi',
      model: 'provider-id',
      usage: { promptTokens: 1000, completionTokens: 500 },
    };
    // 1000 × 0.15 / 1e6 + 500 × 0.6 / 1e6 = 0.00015 + 0.0003
    expect(usageOf(llm, out, prices)).toEqual({
      promptTokens: 1000,
      completionTokens: 500,
      costUsd: 0.00045,
    });
  });

  it("falls back to the provider's model id an agent output names, then to no price", () => {
    const agent = { type: 'agent' as const, config: { model: 'other' } };
    const out = {
      output: 'x',
      model: 'gpt-x',
      usage: { promptTokens: 10, completionTokens: 10, totalTokens: 20 },
    };
    expect(usageOf(agent, out, prices)).toEqual({
      promptTokens: 10,
      completionTokens: 10,
      costUsd: 0.0001,
    });
    expect(usageOf(agent, { ...out, model: 'unknown' }, prices)).toEqual({
      promptTokens: 10,
      completionTokens: 10,
    });
    expect(usageOf(agent, out, undefined)).toEqual({ promptTokens: 10, completionTokens: 10 });
  });

  it('reports nothing for other node types, a null usage or bad counts', () => {
    const usage = { promptTokens: 1, completionTokens: 1 };
    expect(usageOf({ type: 'task', config: {} }, { usage }, prices)).toBeUndefined();
    expect(usageOf(llm, { usage: null }, prices)).toBeUndefined();
    expect(
      usageOf(llm, { usage: { promptTokens: -1, completionTokens: 1 } }, prices),
    ).toBeUndefined();
    expect(usageOf(llm, 'text', prices)).toBeUndefined();
  });
});
