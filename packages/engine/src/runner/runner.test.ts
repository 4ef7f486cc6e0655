import type { CasRef, NodeJob, NodeType } from '@aob/core';
import { refOf, setServerLimits, Topic } from '@aob/core';
import { MemoryBus } from '@aob/bus';
import { MemoryContentStore } from '@aob/store';
import { afterEach, describe, expect, it } from 'vitest';
import type { TaskHandler } from '../executors/types.js';
import type { ResultMemo } from './memo.js';
import { MemoryResultMemo, memoKey } from './memo.js';
import type { ResultMessage, RunnerDeps } from './runner.js';
import { Runner } from './runner.js';
import { nodeJob } from '../testing/node-job.js';
import { startOpenAIFake } from '../testing/openai-fake.js';

let seq = 0;
function job(over: Partial<NodeJob> = {}): NodeJob {
  seq += 1;
  return nodeJob(over.runId ?? `run-${seq}`, over);
}

interface Harness {
  bus: MemoryBus;
  content: MemoryContentStore;
  memo: ResultMemo;
  calls: unknown[];
  errors: { what: string; err: unknown }[];
  /** Publishes a job and waits for its terminal result. */
  run(j: NodeJob): Promise<ResultMessage>;
}

const open: { runner: Runner; bus: MemoryBus }[] = [];
afterEach(async () => {
  for (const { runner, bus } of open.splice(0)) {
    const stopped = runner.stop();
    await bus.close(); // wakes the runner's blocking read
    await stopped;
  }
});

async function harness(
  opts: {
    types?: readonly NodeType[];
    memo?: ResultMemo;
    handler?: TaskHandler;
    deps?: Partial<RunnerDeps>;
  } = {},
): Promise<Harness> {
  const bus = new MemoryBus();
  const content = new MemoryContentStore();
  const memo = opts.memo ?? new MemoryResultMemo();
  const calls: unknown[] = [];
  const errors: { what: string; err: unknown }[] = [];
  const handler: TaskHandler =
    opts.handler ??
    ((input) => {
      calls.push(input);
      return { doubled: (input as { x: number }).x * 2 };
    });
  const runner = new Runner({
    bus,
    content,
    options: { handlers: { work: handler }, allowPrivateNetwork: false },
    concurrency: 4,
    consumer: 'r1',
    memo: { store: memo, types: opts.types ?? ['task'] },
    onError: (err, { what }) => errors.push({ what, err }),
    ...opts.deps,
  });
  await bus.ensureGroup('test', [Topic.results]);
  await runner.start();
  open.push({ runner, bus });
  return {
    bus,
    content,
    memo,
    calls,
    errors,
    async run(j) {
      await bus.publish(Topic.jobsMedium, j.runId, j);
      for (;;) {
        const batch = await bus.read({
          group: 'test',
          consumer: 't',
          topics: [Topic.results],
          blockMs: 1_000,
        });
        await bus.ack(
          'test',
          Topic.results,
          batch.map((m) => m.id),
        );
        for (const m of batch) {
          const r = m.value as ResultMessage;
          if (r.runId === j.runId && (r.kind === 'succeeded' || r.kind === 'failed')) return r;
        }
      }
    },
  };
}

describe('memoKey', () => {
  it('depends on type, config and input only', () => {
    const a = job({ runId: 'a', attempt: 1, timeoutMs: 1, priority: 'high' });
    const b = job({ runId: 'b', attempt: 3, timeoutMs: 2, priority: 'low', idempotencyKey: 'k' });
    expect(memoKey(a)).toBe(memoKey(b));
    expect(memoKey(a)).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(memoKey(job({ input: { x: 2 } }))).not.toBe(memoKey(a));
    expect(memoKey(job({ config: { handler: 'other' } }))).not.toBe(memoKey(a));
    expect(memoKey(job({ type: 'transform' }))).not.toBe(memoKey(a));
  });

  it('is canonical: key order does not matter', () => {
    expect(memoKey(job({ input: { a: 1, b: 2 } }))).toBe(memoKey(job({ input: { b: 2, a: 1 } })));
  });
});

describe('Runner memoisation', () => {
  it('executes equal work from different runs once', async () => {
    const h = await harness();
    const first = await h.run(job({ runId: 'run-a' }));
    const second = await h.run(job({ runId: 'run-b', attempt: 2 }));
    expect(h.calls).toHaveLength(1);
    expect(first.kind).toBe('succeeded');
    expect(second).toMatchObject({ runId: 'run-b', attempt: 2, kind: 'succeeded' });
    const ref = (first as { output: CasRef }).output;
    expect((second as { output: CasRef }).output).toEqual(ref);
    expect(await h.content.get(ref)).toEqual({ doubled: 2 });
    expect(h.errors).toEqual([]);
  });

  it('executes again for a different input', async () => {
    const h = await harness();
    await h.run(job({ input: { x: 1 } }));
    const other = await h.run(job({ input: { x: 5 } }));
    expect(h.calls).toEqual([{ x: 1 }, { x: 5 }]);
    expect(other).toMatchObject({ kind: 'succeeded', value: { doubled: 10 } });
  });

  it('always executes a type that is not memoised', async () => {
    const memo = new MemoryResultMemo();
    const h = await harness({ types: ['http'], memo });
    await h.run(job());
    await h.run(job());
    expect(h.calls).toHaveLength(2);
    expect(memo.entries.size).toBe(0);
  });

  it('memoises a job marked memo: true although its type is not configured', async () => {
    const memo = new MemoryResultMemo();
    const h = await harness({ types: [], memo });
    const first = await h.run(job({ runId: 'marked-a', memo: true }));
    const second = await h.run(job({ runId: 'marked-b', memo: true }));
    expect(h.calls).toHaveLength(1);
    expect((second as { output: CasRef }).output).toEqual((first as { output: CasRef }).output);
    await h.run(job({ runId: 'unmarked-a' }));
    await h.run(job({ runId: 'unmarked-b' }));
    expect(h.calls).toHaveLength(3);
  });

  it('treats a hit whose content is gone as a miss', async () => {
    const memo = new MemoryResultMemo();
    const h = await harness({ memo });
    const gone: CasRef = { $cas: `sha256:${'0'.repeat(64)}`, size: 3 };
    await memo.set(memoKey(job()), gone);
    const r = await h.run(job());
    expect(h.calls).toHaveLength(1);
    expect(r.kind).toBe('succeeded');
    expect((r as { output: CasRef }).output).not.toEqual(gone);
    expect(memo.entries.get(memoKey(job()))).toEqual((r as { output: CasRef }).output);
  });

  it('never memoises failures', async () => {
    let n = 0;
    const memo = new MemoryResultMemo();
    const h = await harness({
      memo,
      handler: () => {
        n += 1;
        if (n === 1) throw new Error('flaky');
        return 'ok';
      },
    });
    const failed = await h.run(job());
    expect(failed).toMatchObject({ kind: 'failed' });
    expect(memo.entries.size).toBe(0);
    const ok = await h.run(job());
    expect(ok).toMatchObject({ kind: 'succeeded', value: 'ok' });
    expect(n).toBe(2);
  });

  it('executes normally when the memo fails, and reports it', async () => {
    const broken: ResultMemo = {
      get: () => Promise.reject(new Error('redis down')),
      set: () => Promise.reject(new Error('redis down')),
    };
    const h = await harness({ memo: broken });
    const r1 = await h.run(job());
    const r2 = await h.run(job());
    expect([r1.kind, r2.kind]).toEqual(['succeeded', 'succeeded']);
    expect(h.calls).toHaveLength(2);
    expect(h.errors.map((e) => e.what)).toEqual(['memo-get', 'memo-set', 'memo-get', 'memo-set']);
  });
});

describe('Runner heartbeat failures', () => {
  it('are reported and never fail the job', async () => {
    const h = await harness({
      types: [],
      deps: { heartbeatMs: 20 },
      handler: () => new Promise((resolve) => setTimeout(() => resolve('done'), 150)),
    });
    h.bus.extend = () => Promise.reject(new Error('bus hiccup'));
    const r = await h.run(job());
    expect(r).toMatchObject({ kind: 'succeeded', value: 'done' });
    expect(h.errors.length).toBeGreaterThan(0);
    expect(h.errors.every((e) => e.what === 'heartbeat')).toBe(true);
  });

  it('stop when the job finishes', async () => {
    let extends_ = 0;
    const h = await harness({
      types: [],
      deps: { heartbeatMs: 10 },
      handler: () => new Promise((resolve) => setTimeout(() => resolve('done'), 100)),
    });
    const extend = h.bus.extend.bind(h.bus);
    h.bus.extend = (...args) => {
      extends_ += 1;
      return extend(...args);
    };
    await h.run(job());
    expect(extends_).toBeGreaterThan(2);
    const after = extends_;
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(extends_).toBe(after);
  });
});

describe('Runner output limit', () => {
  afterEach(() => {
    setServerLimits({});
  });

  it('fails an attempt whose output is past AOB_LIMIT_OUTPUT_BYTES, storing nothing', async () => {
    setServerLimits({ maxOutputBytes: 1_000 });
    const h = await harness({ handler: () => ({ big: 'x'.repeat(2_000) }) });
    const result = await h.run(job());
    expect(result).toMatchObject({
      kind: 'failed',
      error: { code: 'OUTPUT_TOO_LARGE', retryable: false },
    });
    expect((result as { error: { message: string } }).error.message).toMatch(
      /takes \d+ bytes; the limit is 1000/,
    );
    expect(await h.content.has(refOf({ big: 'x'.repeat(2_000) }))).toBe(false);
  });
});

describe('Runner logs', () => {
  it("tags a map item's log lines with its iteration", async () => {
    const h = await harness({
      handler: (input, ctx) => {
        ctx.log.info(`item ${String(input)}`);
        return input;
      },
    });
    const j = job({ iteration: 2, input: 'c' });
    const logs: ResultMessage[] = [];
    await h.bus.ensureGroup('logs', [Topic.results]);
    await h.run(j);
    for (;;) {
      const batch = await h.bus.read({
        group: 'logs',
        consumer: 'l',
        topics: [Topic.results],
        blockMs: 200,
      });
      if (batch.length === 0) break;
      logs.push(...batch.map((m) => m.value as ResultMessage).filter((r) => r.kind === 'log'));
    }
    expect(logs).toEqual([
      expect.objectContaining({ kind: 'log', iteration: 2, message: 'item c' }),
    ]);
  });
});

describe('Runner usage of a failed attempt', () => {
  it('reports the tokens an llm attempt spent before it failed, priced', async () => {
    const fake = await startOpenAIFake({
      replies: [
        { content: 'not JSON at all', usage: { promptTokens: 1000, completionTokens: 500 } },
      ],
    });
    try {
      const h = await harness({
        deps: {
          options: {
            handlers: {},
            allowPrivateNetwork: false,
            llm: { baseUrl: fake.baseURL, prices: { fast: { input: 1, output: 2 } } },
          },
        },
      });
      const schema = { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] };
      const r = await h.run(
        job({ type: 'llm', config: { model: 'fast', prompt: 'x', schema }, input: null }),
      );
      expect(r).toMatchObject({
        kind: 'failed',
        error: { code: 'LLM_BAD_OUTPUT' },
        // 1000 × $1 + 500 × $2 per million tokens
        usage: { promptTokens: 1000, completionTokens: 500, costUsd: 0.002 },
      });
    } finally {
      await fake.close();
    }
  });

  it('reports none for an attempt that spent nothing', async () => {
    const h = await harness({
      handler: () => {
        throw Object.assign(new Error('no'), { code: 'NOPE', retryable: false });
      },
    });
    const r = await h.run(job());
    expect(r).toMatchObject({ kind: 'failed', error: { code: 'NOPE' } });
    expect(r).not.toHaveProperty('usage');
  });
});
