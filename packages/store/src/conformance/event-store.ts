// The behaviour every EventStore adapter must show. Run it from an adapter's test file:
//   eventStoreConformance('MemoryEventStore', async () => new MemoryEventStore());
// `make` must return a fresh, empty store each time; the suite closes what it makes.
import { afterEach, describe, expect, it } from 'vitest';
import type { AnyNewEvent, AnyRunEvent, CasRef } from '@aob/core';
import type { EventStore, TokenRecord, WorkflowPatchRecord } from '../port.js';

const IR = 'ir-1';
const ref = (n: number): CasRef => ({
  $cas: `sha256:${n.toString(16).padStart(64, '0')}`,
  size: n,
});

export const started = (
  at: number,
  opts: { name?: string; parent?: string; namespace?: string } = {},
): AnyNewEvent => ({
  type: 'RunStarted',
  at,
  data: {
    workflow: { name: opts.name ?? 'demo', version: '1.0.0' },
    inputs: ref(1),
    ...(opts.parent === undefined ? {} : { parent: { runId: opts.parent, nodeId: 'call' } }),
    ...(opts.namespace === undefined ? {} : { namespace: opts.namespace }),
  },
});

export const log = (at: number, message = 'hello'): AnyNewEvent => ({
  type: 'NodeLog',
  at,
  data: { nodeId: 'a', attempt: 1, level: 'info', message },
});

/** A held patch with only the required fields. */
export const patch = (patchId: string, workflow = 'flow'): WorkflowPatchRecord => ({
  patchId,
  workflow,
  baseVersion: '3',
  status: 'held',
  author: 'agent:planner',
  ops: [{ op: 'add', path: '/nodes/-', value: { id: 'x', 'dup-ish': '42' } }],
  violations: [],
  baseIrHash: 'sha256:base',
  proposedAt: 100,
});

/** A patch with every optional field set. */
export const fullPatch = (patchId: string, workflow = 'flow'): WorkflowPatchRecord => ({
  ...patch(patchId, workflow),
  version: '3.p1',
  status: 'applied',
  rationale: 'retry the flaky step — ünï ☃',
  violations: [{ code: 'W1', path: '/nodes/2', message: 'loose "edge"' }],
  reasons: [{ code: 'R1', path: '/nodes/-', message: 'adds a tool call' }],
  irHash: 'sha256:patched',
  decidedAt: 200,
  decidedBy: 'user:ada',
  reason: 'looks right',
});

const codeOf = async (p: Promise<unknown>): Promise<string | undefined> => {
  try {
    await p;
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code;
  }
};

export function eventStoreConformance(name: string, make: () => Promise<EventStore>): void {
  describe(`EventStore conformance: ${name}`, () => {
    const opened: EventStore[] = [];
    const open = async (): Promise<EventStore> => {
      const store = await make();
      opened.push(store);
      return store;
    };
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((s) => s.close()));
    });

    describe('append and read', () => {
      it('assigns dense seqs from 1 and returns the envelopes', async () => {
        const s = await open();
        const first = await s.append('r1', IR, 0, [started(100), log(101)]);
        expect(first.map((e) => e.seq)).toEqual([1, 2]);
        const more = await s.append('r1', IR, 2, [log(102), log(103), log(104)]);
        expect(more.map((e) => e.seq)).toEqual([3, 4, 5]);
        expect(more[0]).toEqual({
          runId: 'r1',
          seq: 3,
          irHash: IR,
          type: 'NodeLog',
          at: 102,
          data: { nodeId: 'a', attempt: 1, level: 'info', message: 'hello' },
        });
        const all = await s.read('r1');
        expect(all.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
        expect(all).toEqual([...first, ...more]);
      });

      it('reads from a given seq, and nothing for an unknown run', async () => {
        const s = await open();
        await s.append('r1', IR, 0, [started(1), log(2), log(3), log(4)]);
        expect((await s.read('r1', 3)).map((e) => e.seq)).toEqual([3, 4]);
        expect(await s.read('r1', 5)).toEqual([]);
        expect(await s.read('nope')).toEqual([]);
      });

      it('keeps runs apart: each has its own seqs', async () => {
        const s = await open();
        await s.append('a', IR, 0, [started(1)]);
        await s.append('b', IR, 0, [started(2), log(3)]);
        await s.append('a', IR, 1, [log(4)]);
        expect((await s.read('a')).map((e) => [e.runId, e.seq])).toEqual([
          ['a', 1],
          ['a', 2],
        ]);
        expect((await s.read('b')).map((e) => [e.runId, e.seq])).toEqual([
          ['b', 1],
          ['b', 2],
        ]);
      });

      it("keeps an event's own irHash (a patch moved the run to another IR mid-append)", async () => {
        const s = await open();
        const next = `sha256:${'e'.repeat(64)}`;
        await s.append('r', IR, 0, [started(1)]);
        const patched: AnyNewEvent = {
          type: 'PatchApplied',
          at: 2,
          irHash: next,
          data: { patchId: 'p1', irHash: next },
        };
        const after: AnyNewEvent = {
          type: 'NodeSkipped',
          at: 3,
          irHash: next,
          data: { nodeId: 'x', reason: 'test' },
        };
        const before: AnyNewEvent = {
          type: 'PatchProposed',
          at: 2,
          data: { patchId: 'p1', patch: {} },
        };
        const written = await s.append('r', next, 1, [before, patched, after]);
        expect(written.map((e) => e.irHash)).toEqual([next, next, next]);
        const mixed = await s.append('r', next, 4, [
          { ...before, irHash: IR, data: { patchId: 'p2', patch: {} } },
        ]);
        expect(mixed[0]!.irHash).toBe(IR);
        expect((await s.read('r')).map((e) => e.irHash)).toEqual([IR, next, next, next, IR]);
      });

      it('round-trips event data, actor and traceparent exactly', async () => {
        const s = await open();
        const tricky: AnyNewEvent = {
          type: 'NodeFailed',
          at: 1_700_000_000_123,
          actor: 'user:ada',
          traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
          data: {
            nodeId: 'ünï-☃-😀',
            attempt: 3,
            error: {
              code: 'X',
              message: 'line1\nline2 "quoted" \\ back',
              retryable: false,
              details: {
                n: -0.5,
                big: 2 ** 53 - 1,
                tiny: 1e-7,
                list: [null, true, [], {}],
                s: '42',
              },
            },
            final: true,
            route: [],
          },
        };
        await s.append('r', IR, 0, [started(1)]);
        const [written] = await s.append('r', IR, 1, [tricky]);
        const [read] = await s.read('r', 2);
        expect(read).toEqual({ ...tricky, runId: 'r', seq: 2, irHash: IR });
        expect(read).toEqual(written);
        // A string that looks like a number stays a string.
        expect(JSON.stringify((read as AnyRunEvent).data)).toEqual(JSON.stringify(tricky.data));
      });

      it('leaves actor and traceparent out when not given', async () => {
        const s = await open();
        await s.append('r', IR, 0, [started(1)]);
        const [e] = await s.read('r');
        expect(e).not.toHaveProperty('actor');
        expect(e).not.toHaveProperty('traceparent');
      });

      it('refuses a new run that does not open with RunStarted', async () => {
        const s = await open();
        expect(await codeOf(s.append('r', IR, 0, [log(1)]))).toBe('INVALID_APPEND');
        expect(await s.getRun('r')).toBeUndefined();
        expect(await s.read('r')).toEqual([]);
      });

      it('treats an empty append as a seq check that writes nothing', async () => {
        const s = await open();
        expect(await s.append('r', IR, 0, [])).toEqual([]);
        expect(await s.getRun('r')).toBeUndefined();
        await s.append('r', IR, 0, [started(1)]);
        expect(await s.append('r', IR, 1, [])).toEqual([]);
        expect(await codeOf(s.append('r', IR, 0, []))).toBe('SEQ_CONFLICT');
      });

      it('accepts appends pipelined with the right expected seqs without awaiting each', async () => {
        const s = await open();
        const writes = [s.append('r', IR, 0, [started(1)])];
        for (let i = 1; i <= 20; i++) writes.push(s.append('r', IR, i, [log(1 + i, `m${i}`)]));
        await Promise.all(writes);
        const events = await s.read('r');
        expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
        expect(events.at(-1)?.data).toMatchObject({ message: 'm20' });
      });
    });

    describe('optimistic concurrency', () => {
      it('throws a retryable SEQ_CONFLICT on a stale or future expected seq and appends nothing', async () => {
        const s = await open();
        await s.append('r', IR, 0, [started(1), log(2)]);
        for (const expected of [0, 1, 3, 10]) {
          const err = await s.append('r', IR, expected, [log(9)]).then(
            () => undefined,
            (e: unknown) => e as { code?: string; retryable?: boolean },
          );
          expect(err?.code).toBe('SEQ_CONFLICT');
          expect(err?.retryable).toBe(true);
        }
        expect((await s.read('r')).map((e) => e.seq)).toEqual([1, 2]);
        expect((await s.getRun('r'))?.lastSeq).toBe(2);
      });

      it('lets exactly one of many concurrent appends at the same seq win', async () => {
        const s = await open();
        await s.append('r', IR, 0, [started(1)]);
        const results = await Promise.allSettled(
          Array.from({ length: 10 }, (_, i) =>
            s.append('r', IR, 1, [log(2, `w${i}`), log(3, `w${i}`)]),
          ),
        );
        const won = results.filter((r) => r.status === 'fulfilled');
        const lost = results.filter((r) => r.status === 'rejected');
        expect(won).toHaveLength(1);
        for (const r of lost) expect((r.reason as { code?: string }).code).toBe('SEQ_CONFLICT');
        const events = await s.read('r');
        expect(events.map((e) => e.seq)).toEqual([1, 2, 3]);
        const winner = (won[0] as PromiseFulfilledResult<AnyRunEvent[]>).value;
        expect(events.slice(1)).toEqual(winner);
      });

      it('lets exactly one of many concurrent creations of the same run win', async () => {
        const s = await open();
        const results = await Promise.allSettled(
          Array.from({ length: 5 }, (_, i) => s.append('r', IR, 0, [started(10 + i)])),
        );
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        expect(await s.read('r')).toHaveLength(1);
        const run = await s.getRun('r');
        expect(run?.lastSeq).toBe(1);
        const [e] = await s.read('r');
        expect(run?.startedAt).toBe(e?.at);
      });
    });

    describe('run summaries', () => {
      it('is created by RunStarted and follows the status of appended events', async () => {
        const s = await open();
        await s.append('child', IR, 0, [started(100, { name: 'flow', parent: 'parent-1' })]);
        expect(await s.getRun('child')).toEqual({
          runId: 'child',
          workflow: 'flow@1.0.0',
          irHash: IR,
          status: 'running',
          startedAt: 100,
          updatedAt: 100,
          lastSeq: 1,
          parentRunId: 'parent-1',
          namespace: 'default',
        });

        await s.append('child', IR, 1, [
          { type: 'RunWaiting', at: 110, data: { tickets: ['t1'] } },
        ]);
        expect(await s.getRun('child')).toMatchObject({
          status: 'waiting',
          updatedAt: 110,
          lastSeq: 2,
        });

        await s.append('child', IR, 2, [log(115)]);
        expect(await s.getRun('child')).toMatchObject({
          status: 'waiting',
          updatedAt: 115,
          lastSeq: 3,
        });

        await s.append('child', 'ir-2', 3, [
          {
            type: 'ApprovalDecided',
            at: 120,
            data: { ticketId: 't1', decision: 'approved', by: 'ada' },
          },
          { type: 'RunCompleted', at: 130, data: { output: ref(2) } },
        ]);
        const done = await s.getRun('child');
        expect(done).toMatchObject({
          status: 'completed',
          updatedAt: 130,
          lastSeq: 5,
          irHash: 'ir-2',
        });
        expect(done?.startedAt).toBe(100);
      });

      it('has no parent for a top-level run and is undefined for an unknown run', async () => {
        const s = await open();
        await s.append('r', IR, 0, [started(1)]);
        expect(await s.getRun('r')).not.toHaveProperty('parentRunId');
        expect(await s.getRun('nope')).toBeUndefined();
      });

      it('lists runs newest first, filtered by status and limited', async () => {
        const s = await open();
        await s.append('old', IR, 0, [started(100)]);
        await s.append('mid', IR, 0, [started(200)]);
        await s.append('new', IR, 0, [started(300)]);
        await s.append('same-ms', IR, 0, [started(300)]); // started in the same ms, created later
        await s.append('mid', IR, 1, [{ type: 'RunWaiting', at: 400, data: { tickets: [] } }]);
        await s.append('old', IR, 1, [
          {
            type: 'RunFailed',
            at: 500,
            data: { error: { code: 'E', message: 'm', retryable: false } },
          },
        ]);

        const ids = async (f?: Parameters<EventStore['listRuns']>[0]) =>
          (await s.listRuns(f)).map((r) => r.runId);
        expect(await ids()).toEqual(['same-ms', 'new', 'mid', 'old']);
        expect(await ids({ status: [] })).toEqual(['same-ms', 'new', 'mid', 'old']);
        expect(await ids({ status: ['running'] })).toEqual(['same-ms', 'new']);
        expect(await ids({ status: ['waiting', 'failed'] })).toEqual(['mid', 'old']);
        expect(await ids({ status: ['completed'] })).toEqual([]);
        expect(await ids({ limit: 2 })).toEqual(['same-ms', 'new']);
        expect(await ids({ status: ['running', 'failed'], limit: 1 })).toEqual(['same-ms']);
        expect((await s.listRuns({ status: ['failed'] }))[0]).toMatchObject({
          runId: 'old',
          status: 'failed',
          lastSeq: 2,
        });
      });
    });

    describe('run keys', () => {
      const proposed = (at: number, patchId: string): AnyNewEvent => ({
        type: 'PatchProposed',
        at,
        data: { patchId, patch: { ops: [] } },
      });
      const requested = (at: number, ticketId: string): AnyNewEvent => ({
        type: 'ApprovalRequested',
        at,
        data: { ticketId, nodeId: 'gate', approvers: ['user:ann'], quorum: 1 },
      });

      it('finds the run of a patch or a ticket from the append that introduced it', async () => {
        const s = await open();
        await s.append('r1', IR, 0, [started(1), requested(2, 'tkt_1')]);
        await s.append('r2', IR, 0, [started(3)]);
        await s.append('r2', IR, 1, [proposed(4, 'pch_1')]);
        expect(await s.findRun('ticket', 'tkt_1')).toBe('r1');
        expect(await s.findRun('patch', 'pch_1')).toBe('r2');
        // Kinds are apart, and an unknown id is no run.
        expect(await s.findRun('patch', 'tkt_1')).toBeUndefined();
        expect(await s.findRun('ticket', 'tkt_2')).toBeUndefined();
      });

      it('writes no key for an append that conflicts', async () => {
        const s = await open();
        await s.append('r1', IR, 0, [started(1)]);
        await expect(
          s.append('r1', IR, 0, [started(1), requested(2, 'tkt_x')]),
        ).rejects.toMatchObject({ code: 'SEQ_CONFLICT' });
        expect(await s.findRun('ticket', 'tkt_x')).toBeUndefined();
      });
    });

    describe('API tokens', () => {
      const token = (id: string, hash: string, namespace: string, at: number): TokenRecord => ({
        tokenId: id,
        hash,
        subject: `user-${id}`,
        role: 'operator',
        namespace,
        groups: ['finance', 'ops'],
        createdAt: at,
        createdBy: 'bootstrap',
      });

      it('stores tokens by hash, refuses a duplicate id or hash, lists by namespace, revokes once', async () => {
        const s = await open();
        expect(await s.putToken(token('t1', 'h1', 'acme', 10))).toBe(true);
        expect(await s.putToken(token('t2', 'h2', 'beta', 20))).toBe(true);
        expect(await s.putToken(token('t3', 'h3', 'acme', 30))).toBe(true);
        expect(await s.putToken(token('t1', 'hx', 'acme', 40))).toBe(false);
        expect(await s.putToken(token('tx', 'h2', 'acme', 40))).toBe(false);

        expect(await s.findToken('h1')).toEqual(token('t1', 'h1', 'acme', 10));
        expect(await s.findToken('nope')).toBeUndefined();
        expect((await s.listTokens()).map((t) => t.tokenId)).toEqual(['t1', 't2', 't3']);
        expect((await s.listTokens('acme')).map((t) => t.tokenId)).toEqual(['t1', 't3']);

        expect(await s.revokeToken('t1', 50)).toBe(true);
        expect(await s.revokeToken('t1', 60)).toBe(false);
        expect(await s.revokeToken('nope', 60)).toBe(false);
        expect((await s.findToken('h1'))?.revokedAt).toBe(50);
        expect((await s.findToken('h3'))?.revokedAt).toBeUndefined();
      });
    });

    describe('namespaces', () => {
      it("keeps each run's namespace (default when RunStarted names none) and lists by it, paged", async () => {
        const s = await open();
        await s.append('a1', IR, 0, [started(100, { namespace: 'acme' })]);
        await s.append('d1', IR, 0, [started(150)]);
        await s.append('a2', IR, 0, [started(200, { namespace: 'acme' })]);
        await s.append('b1', IR, 0, [started(250, { namespace: 'beta' })]);
        await s.append('a3', IR, 0, [started(300, { namespace: 'acme' })]);
        await s.append('a2', IR, 1, [{ type: 'RunWaiting', at: 400, data: { tickets: [] } }]);

        expect((await s.getRun('a1'))?.namespace).toBe('acme');
        expect((await s.getRun('d1'))?.namespace).toBe('default');
        const ids = async (f?: Parameters<EventStore['listRuns']>[0]) =>
          (await s.listRuns(f)).map((r) => r.runId);
        expect(await ids({ namespace: 'acme' })).toEqual(['a3', 'a2', 'a1']);
        expect(await ids({ namespace: 'beta' })).toEqual(['b1']);
        expect(await ids({ namespace: 'default' })).toEqual(['d1']);
        expect(await ids({ namespace: 'nobody' })).toEqual([]);
        expect(await ids({ namespace: 'acme', status: ['running'] })).toEqual(['a3', 'a1']);
        // Pages: limit and offset over the same order, with and without filters.
        expect(await ids({ namespace: 'acme', limit: 2 })).toEqual(['a3', 'a2']);
        expect(await ids({ namespace: 'acme', limit: 2, offset: 2 })).toEqual(['a1']);
        expect(await ids({ limit: 2, offset: 1 })).toEqual(['b1', 'a2']);
        expect(await ids({ offset: 4 })).toEqual(['a1']);
        expect(await ids({ status: ['running'], offset: 1, limit: 1 })).toEqual(['b1']);
      });
    });

    describe('workflows', () => {
      it('puts, gets by version, gets the latest registered, and lists', async () => {
        const s = await open();
        expect(await s.getWorkflow('flow')).toBeUndefined();
        await s.putWorkflow({ name: 'flow', version: '1.0.0', irHash: 'h1', registeredAt: 10 });
        await s.putWorkflow({ name: 'flow', version: '2.0.0', irHash: 'h2', registeredAt: 20 });
        await s.putWorkflow({ name: 'flow', version: '1.5.0', irHash: 'h15', registeredAt: 30 });
        await s.putWorkflow({ name: 'other', version: '0.1.0', irHash: 'o1', registeredAt: 5 });

        expect(await s.getWorkflow('flow', '2.0.0')).toEqual({
          name: 'flow',
          version: '2.0.0',
          irHash: 'h2',
          registeredAt: 20,
        });
        // The most recently registered, not the highest version.
        expect((await s.getWorkflow('flow'))?.version).toBe('1.5.0');
        expect(await s.getWorkflow('flow', '9.9.9')).toBeUndefined();
        expect(await s.getWorkflow('missing')).toBeUndefined();

        const all = await s.listWorkflows();
        expect(all).toHaveLength(4);
        expect(all.map((w) => `${w.name}@${w.version}`).sort()).toEqual([
          'flow@1.0.0',
          'flow@1.5.0',
          'flow@2.0.0',
          'other@0.1.0',
        ]);

        // Registering a version again replaces it.
        await s.putWorkflow({ name: 'flow', version: '1.0.0', irHash: 'h1b', registeredAt: 40 });
        expect(await s.getWorkflow('flow')).toEqual({
          name: 'flow',
          version: '1.0.0',
          irHash: 'h1b',
          registeredAt: 40,
        });
        expect(await s.listWorkflows()).toHaveLength(4);
      });
    });

    describe('retired workflow versions', () => {
      it('hides a retired version from the latest, not from get by version or the list', async () => {
        const s = await open();
        await s.putWorkflow({ name: 'flow', version: '3', irHash: 'h3', registeredAt: 10 });
        await s.putWorkflow({ name: 'flow', version: '3.p1', irHash: 'hp1', registeredAt: 20 });
        await s.putWorkflow({ name: 'flow', version: '3.p2', irHash: 'hp2', registeredAt: 20 });
        expect((await s.getWorkflow('flow'))?.version).toBe('3.p2');
        expect(await s.getWorkflow('flow', '3.p2')).not.toHaveProperty('retiredAt');

        expect(await s.retireWorkflow('flow', '3.p2', 30)).toBe(true);
        // Same registeredAt: the one registered before it is the latest now.
        expect(await s.getWorkflow('flow')).toEqual({
          name: 'flow',
          version: '3.p1',
          irHash: 'hp1',
          registeredAt: 20,
        });
        expect(await s.getWorkflow('flow', '3.p2')).toEqual({
          name: 'flow',
          version: '3.p2',
          irHash: 'hp2',
          registeredAt: 20,
          retiredAt: 30,
        });
        expect(await s.retireWorkflow('flow', '3.p1', 31)).toBe(true);
        expect((await s.getWorkflow('flow'))?.version).toBe('3');

        const all = await s.listWorkflows();
        expect(all.map((w) => [w.version, w.retiredAt])).toEqual([
          ['3', undefined],
          ['3.p1', 31],
          ['3.p2', 30],
        ]);
        expect(all[0]).not.toHaveProperty('retiredAt');

        // Every version retired: there is no latest, but each is still readable by version.
        expect(await s.retireWorkflow('flow', '3', 32)).toBe(true);
        expect(await s.getWorkflow('flow')).toBeUndefined();
        expect((await s.getWorkflow('flow', '3'))?.retiredAt).toBe(32);
      });

      it('is false for an unknown version or workflow, changing nothing', async () => {
        const s = await open();
        await s.putWorkflow({ name: 'flow', version: '1', irHash: 'h1', registeredAt: 10 });
        expect(await s.retireWorkflow('flow', '2', 30)).toBe(false);
        expect(await s.retireWorkflow('other', '1', 30)).toBe(false);
        expect(await s.listWorkflows()).toEqual([
          { name: 'flow', version: '1', irHash: 'h1', registeredAt: 10 },
        ]);
      });

      it('un-retires a version registered again (in place, keeping its registration order)', async () => {
        const s = await open();
        await s.putWorkflow({ name: 'flow', version: '1', irHash: 'h1', registeredAt: 10 });
        await s.putWorkflow({ name: 'flow', version: '2', irHash: 'h2', registeredAt: 10 });
        expect(await s.retireWorkflow('flow', '2', 20)).toBe(true);
        expect((await s.getWorkflow('flow'))?.version).toBe('1');

        await s.putWorkflow({ name: 'flow', version: '2', irHash: 'h2b', registeredAt: 10 });
        expect(await s.getWorkflow('flow', '2')).toEqual({
          name: 'flow',
          version: '2',
          irHash: 'h2b',
          registeredAt: 10,
        });
        expect((await s.getWorkflow('flow'))?.version).toBe('2');

        // A put always registers the version as not retired, whatever the record says.
        await s.putWorkflow({
          name: 'flow',
          version: '3',
          irHash: 'h3',
          registeredAt: 5,
          retiredAt: 7,
        });
        expect(await s.getWorkflow('flow', '3')).not.toHaveProperty('retiredAt');
        expect((await s.listWorkflows()).every((w) => w.retiredAt === undefined)).toBe(true);
      });
    });

    describe('workflow patches', () => {
      it('inserts, gets and lists records exactly, optional fields absent or present', async () => {
        const s = await open();
        expect(await s.getWorkflowPatch('p1')).toBeUndefined();
        expect(await s.listWorkflowPatches()).toEqual([]);

        expect(await s.putWorkflowPatch(patch('p1'), null)).toBe(true);
        expect(await s.putWorkflowPatch(fullPatch('p2'), null)).toBe(true);

        const bare = await s.getWorkflowPatch('p1');
        expect(bare).toEqual(patch('p1'));
        for (const key of [
          'version',
          'rationale',
          'reasons',
          'irHash',
          'decidedAt',
          'decidedBy',
          'reason',
        ]) {
          expect(bare).not.toHaveProperty(key);
        }
        expect(await s.getWorkflowPatch('p2')).toEqual(fullPatch('p2'));
        expect(await s.listWorkflowPatches()).toEqual([patch('p1'), fullPatch('p2')]);
        expect(await s.listWorkflowPatches('flow')).toEqual([patch('p1'), fullPatch('p2')]);
        expect(await s.getWorkflowPatch('nope')).toBeUndefined();
      });

      it('does not share the stored record with the caller', async () => {
        const s = await open();
        const record = patch('p1');
        await s.putWorkflowPatch(record, null);
        record.status = 'rejected';
        record.ops.push({ op: 'remove', path: '/nodes/0' });
        const read = await s.getWorkflowPatch('p1');
        expect(read).toEqual(patch('p1'));
        read!.ops.length = 0;
        expect(await s.getWorkflowPatch('p1')).toEqual(patch('p1'));
      });

      it('refuses a second insert of the same id (false, no throw) and keeps the first', async () => {
        const s = await open();
        expect(await s.putWorkflowPatch(patch('p1'), null)).toBe(true);
        expect(await s.putWorkflowPatch({ ...fullPatch('p1', 'other') }, null)).toBe(false);
        expect(await s.getWorkflowPatch('p1')).toEqual(patch('p1'));
        expect(await s.listWorkflowPatches()).toHaveLength(1);
        expect(await s.listWorkflowPatches('other')).toEqual([]);
      });

      it('updates only from the expected status (compare-and-set)', async () => {
        const s = await open();
        await s.putWorkflowPatch(patch('p1'), null);
        const applied: WorkflowPatchRecord = {
          ...patch('p1'),
          status: 'applied',
          version: '3.p1',
          irHash: 'sha256:p1',
          decidedAt: 150,
          decidedBy: 'user:ada',
        };

        // From a wrong status: nothing changes.
        expect(await s.putWorkflowPatch(applied, 'applied')).toBe(false);
        expect(await s.putWorkflowPatch(applied, 'rejected')).toBe(false);
        expect(await s.getWorkflowPatch('p1')).toEqual(patch('p1'));

        expect(await s.putWorkflowPatch(applied, 'held')).toBe(true);
        expect(await s.getWorkflowPatch('p1')).toEqual(applied);

        // The status moved on: a second decider still expecting `held` loses.
        const rejected: WorkflowPatchRecord = { ...patch('p1'), status: 'rejected' };
        expect(await s.putWorkflowPatch(rejected, 'held')).toBe(false);
        expect(await s.getWorkflowPatch('p1')).toEqual(applied);

        // A record updated to fewer optional fields loses the others.
        const reverted: WorkflowPatchRecord = {
          ...patch('p1'),
          status: 'reverted',
          version: '3.p1',
          reason: 'broke prod',
        };
        expect(await s.putWorkflowPatch(reverted, 'applied')).toBe(true);
        const read = await s.getWorkflowPatch('p1');
        expect(read).toEqual(reverted);
        expect(read).not.toHaveProperty('irHash');
        expect(read).not.toHaveProperty('decidedBy');

        // An update of an unknown id writes nothing.
        expect(await s.putWorkflowPatch(patch('ghost'), 'held')).toBe(false);
        expect(await s.getWorkflowPatch('ghost')).toBeUndefined();
      });

      it('lets exactly one of two concurrent deciders from the same status win', async () => {
        const s = await open();
        await s.putWorkflowPatch(patch('p1'), null);
        const applied: WorkflowPatchRecord = { ...patch('p1'), status: 'applied', decidedAt: 1 };
        const rejected: WorkflowPatchRecord = { ...patch('p1'), status: 'rejected', decidedAt: 2 };
        const won = await Promise.all([
          s.putWorkflowPatch(applied, 'held'),
          s.putWorkflowPatch(rejected, 'held'),
        ]);
        expect(won.filter(Boolean)).toHaveLength(1);
        expect(await s.getWorkflowPatch('p1')).toEqual(won[0] ? applied : rejected);
      });

      it('lets exactly one of many concurrent inserts of the same id win', async () => {
        const s = await open();
        const won = await Promise.all(
          [1, 2, 3, 4].map((i) => s.putWorkflowPatch({ ...patch('p1'), proposedAt: i }, null)),
        );
        expect(won.filter(Boolean)).toHaveLength(1);
        const winner = won.indexOf(true) + 1;
        expect((await s.getWorkflowPatch('p1'))?.proposedAt).toBe(winner);
      });

      it("lists a workflow's patches (or all) in insertion order, not by proposedAt", async () => {
        const s = await open();
        // proposedAt runs backwards against insertion: the order must not come from the clock.
        await s.putWorkflowPatch({ ...patch('c', 'flow'), proposedAt: 30 }, null);
        await s.putWorkflowPatch({ ...patch('a', 'other'), proposedAt: 20 }, null);
        await s.putWorkflowPatch({ ...fullPatch('b', 'flow'), proposedAt: 10 }, null);
        await s.putWorkflowPatch({ ...patch('d', 'flow'), proposedAt: 10 }, null);
        // An update keeps its place.
        expect(
          await s.putWorkflowPatch(
            { ...patch('c', 'flow'), status: 'rejected', proposedAt: 30 },
            'held',
          ),
        ).toBe(true);

        const ids = async (w?: string) => (await s.listWorkflowPatches(w)).map((p) => p.patchId);
        expect(await ids()).toEqual(['c', 'a', 'b', 'd']);
        expect(await ids('flow')).toEqual(['c', 'b', 'd']);
        expect(await ids('other')).toEqual(['a']);
        expect(await ids('none')).toEqual([]);
        expect((await s.listWorkflowPatches('flow'))[0]?.status).toBe('rejected');
        expect((await s.listWorkflowPatches('flow'))[1]).toEqual({
          ...fullPatch('b', 'flow'),
          proposedAt: 10,
        });
      });
    });

    describe('leases', () => {
      it('acquires, renews for the same owner, refuses others until expiry, releases', async () => {
        const s = await open();
        expect(await s.getLease('r')).toBeUndefined();
        expect(await s.acquireLease('r', 'p1', 1000, 0)).toBe(true);
        expect(await s.getLease('r')).toEqual({ runId: 'r', owner: 'p1', expiresAt: 1000 });

        expect(await s.acquireLease('r', 'p2', 1000, 500)).toBe(false);
        expect(await s.acquireLease('r', 'p1', 1000, 600)).toBe(true); // renewal
        expect(await s.getLease('r')).toEqual({ runId: 'r', owner: 'p1', expiresAt: 1600 });
        expect(await s.acquireLease('r', 'p2', 1000, 1599)).toBe(false);

        // Expired: anyone may take it.
        expect(await s.acquireLease('r', 'p2', 1000, 1600)).toBe(true);
        expect(await s.getLease('r')).toEqual({ runId: 'r', owner: 'p2', expiresAt: 2600 });

        // Only the owner can release.
        await s.releaseLease('r', 'p1');
        expect((await s.getLease('r'))?.owner).toBe('p2');
        await s.releaseLease('r', 'p2');
        expect(await s.getLease('r')).toBeUndefined();
        expect(await s.acquireLease('r', 'p3', 10, 2000)).toBe(true);
      });

      it('renews every lease of one owner at once, and no one else’s', async () => {
        const s = await open();
        expect(await s.acquireLease('a', 'p1', 100, 0)).toBe(true);
        expect(await s.acquireLease('b', 'p1', 100, 0)).toBe(true);
        expect(await s.acquireLease('c', 'p2', 100, 0)).toBe(true);
        await s.renewLeases('p1', 100, 90);
        expect((await s.getLease('a'))?.expiresAt).toBe(190);
        expect((await s.getLease('b'))?.expiresAt).toBe(190);
        expect((await s.getLease('c'))?.expiresAt).toBe(100);
        expect(await s.acquireLease('a', 'p2', 100, 150)).toBe(false);
        expect(await s.acquireLease('c', 'p1', 100, 150)).toBe(true);
      });

      it('keeps leases per run', async () => {
        const s = await open();
        expect(await s.acquireLease('a', 'p1', 100, 0)).toBe(true);
        expect(await s.acquireLease('b', 'p2', 100, 0)).toBe(true);
        expect(await s.acquireLease('a', 'p2', 100, 50)).toBe(false);
      });

      it('grants a contested free lease to exactly one owner', async () => {
        const s = await open();
        const won = await Promise.all(
          ['p1', 'p2', 'p3', 'p4'].map((o) => s.acquireLease('r', o, 1000, 0)),
        );
        expect(won.filter(Boolean)).toHaveLength(1);
      });
    });

    describe('inbox', () => {
      it('returns pending commands oldest first and forgets completed ones', async () => {
        const s = await open();
        const a = await s.enqueueCommand('r', 'approve', { ticketId: 't1', by: 'ada' }, 10);
        const b = await s.enqueueCommand('r', 'cancel', { reason: 'enough' }, 20);
        const other = await s.enqueueCommand('q', 'cancel', null, 15);
        const c = await s.enqueueCommand(
          'r',
          'approve',
          { ticketId: 't2', nested: [1, { x: 'ü' }] },
          30,
        );
        expect(new Set([a, b, c, other]).size).toBe(4);
        expect(a < b && b < c).toBe(true);

        expect(await s.pendingCommands('r')).toEqual([
          { id: a, runId: 'r', type: 'approve', payload: { ticketId: 't1', by: 'ada' }, at: 10 },
          { id: b, runId: 'r', type: 'cancel', payload: { reason: 'enough' }, at: 20 },
          {
            id: c,
            runId: 'r',
            type: 'approve',
            payload: { ticketId: 't2', nested: [1, { x: 'ü' }] },
            at: 30,
          },
        ]);
        await s.completeCommands([a, c]);
        expect((await s.pendingCommands('r')).map((x) => x.id)).toEqual([b]);
        expect((await s.pendingCommands('q')).map((x) => x.id)).toEqual([other]);
        expect((await s.pendingCommands()).map((x) => [x.id, x.runId])).toEqual([
          [b, 'r'],
          [other, 'q'],
        ]);
        await s.completeCommands([]);
        await s.completeCommands([b, b, 987654]);
        expect(await s.pendingCommands('r')).toEqual([]);
        expect(await s.pendingCommands('none')).toEqual([]);
        const d = await s.enqueueCommand('r', 'cancel', undefined, 40);
        expect(d > c).toBe(true);
        expect(await s.pendingCommands('r')).toEqual([
          { id: d, runId: 'r', type: 'cancel', payload: null, at: 40 },
        ]);
      });
    });
  });
}
