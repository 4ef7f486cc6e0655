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

describe('RunControl.start of a run handed to another process', () => {
  afterEach(() => vi.useRealTimers());

  it("wakes on the run's first heard event instead of waiting for its next poll", async () => {
    // Poll pauses never end here: only a wake can end the wait.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { events: store, content } = openMemoryStores();
    const listeners = new Map<string, (e: AnyRunEvent) => void>();
    let applied: Promise<void> | undefined;
    const getRun = store.getRun.bind(store);
    store.getRun = async (runId) => {
      const found = await getRun(runId);
      // The owning orchestrator applies the start just after the first look missed it, and this
      // process hears the events it commits.
      applied ??= store
        .append(runId, 'ir', 0, [runStarted(Date.now())])
        .then((appended) => appended.forEach((e) => listeners.get(runId)?.(e)));
      return found;
    };
    const control = new RunControl({
      store,
      content,
      loadIr: () => Promise.reject(new Error('not needed')),
      now: Date.now,
      newId: (kind) => `${kind}_handed`,
      changes: (runId, listener) => {
        listeners.set(runId, listener);
        return () => listeners.delete(runId);
      },
      driver: {
        start: () => Promise.resolve(false), // handed over: RunStarted is not in the log yet
        deliver: () => Promise.resolve(false),
      },
    });
    const outcome = await Promise.race([control.start(definition, {}), turns(200)]);
    expect(outcome).toBe('run_handed');
    expect(await getRun('run_handed')).toMatchObject({ lastSeq: 1 });
  });
});
