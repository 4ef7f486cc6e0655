import { MemoryBus } from '@aob/bus';
import type { OutgoingMessage } from '@aob/bus';
import type { AnyRunEvent } from '@aob/core';
import { Topic } from '@aob/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EventAnnouncer } from './announcer.js';

/** A log event of `runId` at `seq` (the announcer never looks inside). */
const event = (runId: string, seq: number) =>
  ({ runId, seq, type: 'LogAppended', at: seq, irHash: 'ir', data: {} }) as unknown as AnyRunEvent;

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A memory bus whose batches are recorded. */
class BatchRecordingBus extends MemoryBus {
  readonly batches: OutgoingMessage[][] = [];

  async publishMany(messages: readonly OutgoingMessage[]): Promise<string[]> {
    this.batches.push([...messages]);
    const ids: string[] = [];
    for (const m of messages) ids.push(await this.publish(m.topic, m.key, m.value, m.headers));
    return ids;
  }
}

/** A memory bus that cannot publish a batch. */
class DownBus extends MemoryBus {
  publishMany(): Promise<string[]> {
    return Promise.reject(new Error('bus down'));
  }
}

function recordingBus() {
  const bus = new BatchRecordingBus();
  return { bus, batches: bus.batches };
}

describe('EventAnnouncer', () => {
  afterEach(() => vi.restoreAllMocks());

  it("publishes one turn's decisions as one batch in commit order, the next turn's as another", async () => {
    const { bus, batches } = recordingBus();
    const announcer = new EventAnnouncer(bus);
    announcer.announce('a', [event('a', 1), event('a', 2)]);
    announcer.announce('b', [event('b', 1)]);
    announcer.announce('a', [event('a', 3)]);
    expect(batches).toEqual([]); // nothing before the turn ends
    await turn();
    expect(batches).toHaveLength(1);
    expect(batches[0]?.map((m) => [m.topic, m.key, (m.value as { seq: number }).seq])).toEqual([
      [Topic.events, 'a', 1],
      [Topic.events, 'a', 2],
      [Topic.events, 'b', 1],
      [Topic.events, 'a', 3],
    ]);
    announcer.announce('b', [event('b', 2)]);
    await turn();
    expect(batches).toHaveLength(2);
    await bus.ensureGroup('watch', [Topic.events]);
    const got = await bus.read({ group: 'watch', consumer: 'w', topics: [Topic.events], count: 9 });
    expect(got.map((m) => `${m.key}${(m.value as { seq: number }).seq}`)).toEqual([
      'a1',
      'a2',
      'b1',
      'a3',
      'b2',
    ]);
    await bus.close();
  });

  it('publishes what is queued when closed, and nothing after', async () => {
    const { bus, batches } = recordingBus();
    const announcer = new EventAnnouncer(bus);
    announcer.announce('a', [event('a', 1)]);
    announcer.close();
    expect(batches).toHaveLength(1);
    announcer.announce('a', [event('a', 2)]);
    await turn();
    expect(batches).toHaveLength(1);
    await bus.close();
  });

  it('warns, naming the runs, when a batch cannot be published', async () => {
    const bus = new DownBus();
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const announcer = new EventAnnouncer(bus);
    announcer.announce('run-x', [event('run-x', 1)]);
    announcer.announce('run-y', [event('run-y', 1)]);
    await turn();
    await turn();
    expect(warn).toHaveBeenCalledWith('aob: events of run-x, run-y not announced: Error: bus down');
    await bus.close();
  });
});
