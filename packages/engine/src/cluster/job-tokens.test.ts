// The job tokens the outbox relay mints as it publishes agent jobs: only agent jobs get one; only
// its hash is stored, with the job's run as its scope, the run's namespace, the agent's subject
// and an expiry of mint time + timeout + grace; each publish mints a fresh one; expired ones are
// deleted.
import { describe, expect, it } from 'vitest';
import type { NodeJob } from '@aob/core';
import { Topic } from '@aob/core';
import { MemoryEventStore, hashToken } from '@aob/store';
import { JobTokenMinter } from './job-tokens.js';

const job = (over: Partial<NodeJob> = {}): NodeJob => ({
  runId: 'run_a',
  nodeId: 'planner',
  attempt: 1,
  irHash: 'sha256:00',
  type: 'agent',
  config: {},
  input: null,
  inputRef: { $cas: 'sha256:01', size: 4 },
  timeoutMs: 60_000,
  priority: 'medium',
  idempotencyKey: 'run_a:planner',
  ...over,
});

async function storeWithRun(namespace: string): Promise<MemoryEventStore> {
  const store = new MemoryEventStore();
  await store.append('run_a', 'sha256:00', 0, [
    {
      type: 'RunStarted',
      at: 1,
      data: {
        workflow: { name: 'w', version: '1' },
        inputs: { $cas: 'sha256:02', size: 2 },
        namespace,
      },
    },
  ]);
  return store;
}

describe('JobTokenMinter', () => {
  it('gives an agent job a token scoped to its run that expires at mint time + timeout + grace', async () => {
    const store = await storeWithRun('acme');
    const minter = new JobTokenMinter({ store, now: () => 1_000, graceMs: 500, instance: 'o-1' });
    const sealed = (await minter.prepare({ topic: Topic.jobsMedium, value: job() })) as NodeJob;

    expect(sealed).toEqual({
      ...job(),
      jobToken: { token: expect.any(String), expiresAt: 61_500 },
    });
    const token = sealed.jobToken!.token;
    expect(token).toMatch(/^aob_[A-Za-z0-9_-]{43}$/);
    const record = await store.findToken(hashToken(token));
    expect(record).toEqual({
      tokenId: expect.stringMatching(/^tok_/),
      hash: hashToken(token),
      subject: 'agent:planner',
      role: 'agent',
      namespace: 'acme',
      groups: [],
      createdAt: 1_000,
      createdBy: 'o-1',
      runId: 'run_a',
      expiresAt: 61_500,
    });
    // Nothing but the hash is kept: the token itself is in no record.
    expect(JSON.stringify(await store.listTokens())).not.toContain(token);
  });

  it('mints a fresh token at every publish of the same job', async () => {
    const store = await storeWithRun('default');
    const minter = new JobTokenMinter({ store, now: () => 1_000, instance: 'o-1' });
    const row = { topic: Topic.jobsHigh, value: job() };
    const a = (await minter.prepare(row)) as NodeJob;
    const b = (await minter.prepare(row)) as NodeJob;
    expect(a.jobToken!.token).not.toBe(b.jobToken!.token);
    expect(await store.listTokens()).toHaveLength(2);
    // The committed row is left as it was.
    expect(row.value.jobToken).toBeUndefined();
  });

  it('leaves other jobs and other messages as they are, minting nothing', async () => {
    const store = await storeWithRun('default');
    const minter = new JobTokenMinter({ store, now: () => 1_000, instance: 'o-1' });
    const llm = job({ type: 'llm' });
    expect(await minter.prepare({ topic: Topic.jobsLow, value: llm })).toBe(llm);
    const event = { type: 'agent' };
    expect(await minter.prepare({ topic: Topic.events, value: event })).toBe(event);
    expect(await store.listTokens()).toEqual([]);
  });

  it('refuses an agent job of a run it cannot find (the row stays unsent)', async () => {
    const minter = new JobTokenMinter({
      store: new MemoryEventStore(),
      now: () => 1_000,
      instance: 'o-1',
    });
    await expect(minter.prepare({ topic: Topic.jobsMedium, value: job() })).rejects.toMatchObject({
      code: 'RUN_NOT_FOUND',
    });
  });

  it('purges the tokens that expired', async () => {
    const store = await storeWithRun('default');
    let now = 1_000;
    const minter = new JobTokenMinter({ store, now: () => now, graceMs: 0, instance: 'o-1' });
    await minter.prepare({ topic: Topic.jobsMedium, value: job({ timeoutMs: 100 }) });
    await minter.prepare({ topic: Topic.jobsMedium, value: job({ timeoutMs: 10_000 }) });
    now = 2_000;
    expect(await minter.purge()).toBe(1);
    expect((await store.listTokens()).map((t) => t.expiresAt)).toEqual([11_000]);
  });
});
