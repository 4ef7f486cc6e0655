import type { AnyRunEvent } from '@aob/core';
import { describe, expect, it } from 'vitest';
import { CommittedEvents } from './committed-events.js';

const event = (runId: string, seq: number) => ({ runId, seq }) as unknown as AnyRunEvent;

describe('CommittedEvents', () => {
  it("tells each listener its own run's events, in order, until it unsubscribes", () => {
    const hub = new CommittedEvents();
    const heard: string[] = [];
    const offA = hub.changes('a', (e) => heard.push(`1:${e.runId}${e.seq}`));
    const offA2 = hub.changes('a', (e) => heard.push(`2:${e.runId}${e.seq}`));
    hub.changes('b', (e) => heard.push(`3:${e.runId}${e.seq}`));
    hub.publish([event('a', 1), event('b', 1), event('c', 1), event('a', 2)]);
    expect(heard).toEqual(['1:a1', '2:a1', '3:b1', '1:a2', '2:a2']);
    offA();
    hub.publish([event('a', 3)]);
    expect(heard.slice(5)).toEqual(['2:a3']);
    offA2();
    expect(hub.listenedRuns).toBe(1);
  });

  it('lets a listener unsubscribe while it is being told', () => {
    const hub = new CommittedEvents();
    const heard: number[] = [];
    const off = hub.changes('a', (e) => {
      heard.push(e.seq);
      off();
    });
    hub.changes('a', (e) => heard.push(e.seq * 10));
    hub.publish([event('a', 1), event('a', 2)]);
    expect(heard).toEqual([1, 10, 20]);
  });
});
