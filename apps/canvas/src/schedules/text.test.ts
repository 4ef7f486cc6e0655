import { describe, expect, it } from 'vitest';
import { duration, stateOf, untilText, whenText } from './text.js';

describe('schedule text', () => {
  it('says when a schedule ticks', () => {
    expect(whenText({ cron: '30 2 * * *', timezone: 'Europe/Berlin' })).toBe(
      'cron 30 2 * * * (Europe/Berlin)',
    );
    expect(whenText({ cron: '0 9 * * 1' })).toBe('cron 0 9 * * 1 (UTC)');
    expect(whenText({ everyMs: 5_400_000 })).toBe('every 1h30m');
    expect(whenText({ at: [1, 2] })).toBe('at 2 times');
    expect(duration(1_500)).toBe('1s500ms');
  });

  it('says its state and how far off its next tick is', () => {
    expect(stateOf({ paused: true, nextTickAt: 5 })).toBe('paused');
    expect(stateOf({ paused: false })).toBe('over');
    expect(stateOf({ paused: false, nextTickAt: 5 })).toBe('active');
    expect(untilText(undefined, 0)).toBe('—');
    expect(untilText(1_000, 2_000)).toBe('due now');
    expect(untilText(12_000, 0)).toBe('in 12 s');
    expect(untilText(240_000, 0)).toBe('in 4 min');
    expect(untilText(7_200_000, 0)).toBe('in 2 h');
  });
});
