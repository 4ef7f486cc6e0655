// Nodes marked `memo: true` on the local engine: a second run with the same input reuses the
// stored output (the runner does not execute the node again), an unmarked node runs again, and
// the file store keeps the memo in AOB_HOME/memo across processes. Pure nodes reach the runner,
// and so its memo, only with `inlinePureNodes: false`: by default the orchestrator runs them
// itself (orchestrator/inline.ts), which costs less than a memo lookup.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CasRef } from '@aob/core';
import type { ResultMemo } from '../runner/memo.js';
import { FileResultMemo, MemoryResultMemo } from '../runner/memo.js';
import { LocalEngine } from './local-engine.js';

/** A memo that counts its hits and writes (a write follows every execution of a marked node). */
class CountingMemo implements ResultMemo {
  hits = 0;
  sets = 0;
  constructor(private readonly inner: ResultMemo) {}
  async get(key: string): Promise<CasRef | undefined> {
    const ref = await this.inner.get(key);
    if (ref) this.hits += 1;
    return ref;
  }
  async set(key: string, ref: CasRef): Promise<void> {
    this.sets += 1;
    await this.inner.set(key, ref);
  }
}

const workflow = {
  name: 'memo-demo',
  version: '1',
  nodes: [
    { id: 'shape', type: 'transform', with: { value: '{% {"n": inputs.n * 2} %}' }, memo: true },
    { id: 'count', type: 'task', with: { handler: 'count' } },
  ],
  edges: [{ from: 'shape', to: 'count' }],
  output: '{% nodes.count.output %}',
};

let home: string;
const engines: LocalEngine[] = [];
let executions = 0;
const handlers = {
  count: (input: unknown) => {
    executions += 1;
    return { seen: input, executions };
  },
};
async function open(opts: Parameters<typeof LocalEngine.open>[0]): Promise<LocalEngine> {
  const e = await LocalEngine.open({ home, handlers, inlinePureNodes: false, ...opts });
  engines.push(e);
  return e;
}

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'aob-memo-'));
  executions = 0;
});
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.close()));
  rmSync(home, { recursive: true, force: true });
});

describe('memo: true on the local engine', () => {
  it('reuses a marked node’s output in a second run; the unmarked node runs again', async () => {
    const memo = new CountingMemo(new MemoryResultMemo());
    const engine = await open({ store: 'memory', memo });
    const first = await engine.control.wait(await engine.control.start(workflow, { n: 21 }));
    expect(first.status).toBe('completed');
    expect(memo).toMatchObject({ hits: 0, sets: 1 });
    const second = await engine.control.wait(await engine.control.start(workflow, { n: 21 }));
    expect(second.status).toBe('completed');
    // The transform was not executed again (no write), its stored output stood for it…
    expect(memo).toMatchObject({ hits: 1, sets: 1 });
    expect(second.nodes.shape).toEqual({ status: 'succeeded', attempts: 1 });
    // …and the unmarked task ran both times, on the same input.
    expect(executions).toBe(2);
    expect(second.output).toEqual({ seen: { shape: { n: 42 } }, executions: 2 });
    // Another input is other work.
    await engine.control.wait(await engine.control.start(workflow, { n: 1 }));
    expect(memo).toMatchObject({ hits: 1, sets: 2 });
  });

  it('keeps the memo of the file store in AOB_HOME/memo, for the next process', async () => {
    const first = await open({ store: 'file' });
    expect((await first.control.wait(await first.control.start(workflow, { n: 3 }))).status).toBe(
      'completed',
    );
    await first.close();
    engines.splice(engines.indexOf(first), 1);
    expect(existsSync(join(home, 'memo'))).toBe(true);
    expect(readdirSync(join(home, 'memo'))).toHaveLength(1);

    const memo = new CountingMemo(new FileResultMemo(join(home, 'memo')));
    const second = await open({ store: 'file', memo });
    const view = await second.control.wait(await second.control.start(workflow, { n: 3 }));
    expect(view.status).toBe('completed');
    expect(memo).toMatchObject({ hits: 1, sets: 0 });
    expect(view.output).toEqual({ seen: { shape: { n: 6 } }, executions: 2 });
  });
});
