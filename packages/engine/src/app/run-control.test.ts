import type { AnyNewEvent, AnyRunEvent } from '@aob/core';
import { openMemoryStores } from '@aob/store';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RunControl } from './run-control.js';

const definition = {
  name: 'handed-over',
  version: '1',
  nodes: [{ id: 'only', type: 'transform', with: { value: 1 } }],
  edges: [],
};

const runStarted = (at: number): AnyNewEvent => ({
  type: 'RunStarted',
  at,
  data: {
    workflow: { name: definition.name, version: definition.version },
    inputs: { $cas: `sha256:${'0'.repeat(64)}`, size: 2 },
  },
});

/** Resolves after `turns` turns of the event loop (setImmediate: never faked here). */
const turns = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve));
  return 'still waiting' as const;
};

/** A RunControl whose driver hands each start over: `apply` stands for the owning orchestrator. */
function handingControl(apply: (runId: string) => Promise<void>, startWaitMs?: number) {
  const { events: store, content } = openMemoryStores();
  const listeners = new Map<string, (e: AnyRunEvent) => void>();
  const looks: string[] = [];
  const getRun = store.getRun.bind(store);
  store.getRun = (runId) => {
    looks.push(runId);
    return getRun(runId);
  };
  const control = new RunControl({
    store,
    content,
    loadIr: () => Promise.reject(new Error('not needed')),
    now: Date.now,
    newId: (kind) => `${kind}_handed`,
    ...(startWaitMs !== undefined ? { startWaitMs } : {}),
    changes: (runId, listener) => {
      listeners.set(runId, listener);
      return () => listeners.delete(runId);
    },
    driver: {
      // Handed over: RunStarted is not in the log when start returns.
      start: (_ir, _inputs, opts) => {
        void apply(opts.runId);
        return Promise.resolve(false);
      },
      deliver: () => Promise.resolve(false),
    },
  });
  const commit = async (runId: string, heard: boolean) => {
    const appended = await store.append(runId, 'ir', 0, [runStarted(Date.now())]);
    if (heard) appended.forEach((e) => listeners.get(runId)?.(e));
  };
  return { control, looks, listeners, getRun, commit };
}

describe('RunControl.start of a run handed to another process', () => {
  afterEach(() => vi.useRealTimers());

  it('hears the run start without looking at the store', async () => {
    // Poll pauses never end here: only what is heard can end the wait.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { control, looks, listeners, getRun, commit } = handingControl(async (runId) => {
      await turns(3); // the owning orchestrator applies the start a moment later
      await commit(runId, true);
    });
    const outcome = await Promise.race([control.start(definition, {}), turns(200)]);
    expect(outcome).toBe('run_handed');
    expect(await getRun('run_handed')).toMatchObject({ lastSeq: 1 });
    // Subscribed before the start was sent: no look at the store, and no listener left behind.
    expect(looks).toEqual([]);
    expect(listeners.size).toBe(0);
  });

  it('finds a start it does not hear (another process owns the run) by looking', async () => {
    const { control, looks, listeners, commit } = handingControl((runId) => commit(runId, false));
    expect(await control.start(definition, {})).toBe('run_handed');
    // The first look comes after a poll interval unheard, and finds the run.
    expect(looks).toEqual(['run_handed']);
    expect(listeners.size).toBe(0);
  });

  it('gives up with RUN_PENDING when the run neither starts nor is heard', async () => {
    const { control, listeners } = handingControl(() => Promise.resolve(), 60);
    await expect(control.start(definition, {})).rejects.toMatchObject({ code: 'RUN_PENDING' });
    expect(listeners.size).toBe(0);
  });
});

describe('RunControl.start of a run started in process', () => {
  it('waits for nothing: no listener, no look, however many starts are in flight', async () => {
    const { events: store, content } = openMemoryStores();
    let subscriptions = 0;
    let looks = 0;
    const getRun = store.getRun.bind(store);
    store.getRun = (runId) => {
      looks++;
      return getRun(runId);
    };
    let n = 0;
    const control = new RunControl({
      store,
      content,
      loadIr: () => Promise.reject(new Error('not needed')),
      now: Date.now,
      newId: (kind) => `${kind}_${++n}`,
      // A listener per start in flight would hear every event of every run (the local engine's).
      changes: () => {
        subscriptions++;
        return () => undefined;
      },
      driver: {
        startsInProcess: true,
        start: async (_ir, _inputs, opts) => {
          await store.append(opts.runId, 'ir', 0, [runStarted(Date.now())]);
          return true;
        },
        deliver: () => Promise.resolve(true),
      },
    });
    const ids = await Promise.all(Array.from({ length: 20 }, () => control.start(definition, {})));
    expect(new Set(ids).size).toBe(20);
    expect(subscriptions).toBe(0);
    expect(looks).toBe(0);
  });
});
