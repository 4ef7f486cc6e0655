// The behaviour every run log (RunLogStore) must show: dense seqs, optimistic concurrency, run
// summaries, namespaces, the patch and ticket index. `make` returns a fresh, empty store.
import { describe, expect, it } from 'vitest';
import type { AnyNewEvent, AnyRunEvent } from '@aob/core';
import type { RunLogStore } from '../port.js';
import { IR, codeOf, log, opener, ref, started } from './fixtures.js';

export function runLogConformance(name: string, make: () => Promise<RunLogStore>): void {
  describe(`RunLogStore conformance: ${name}`, () => {
    const open = opener(make);

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

        const ids = async (f?: Parameters<RunLogStore['listRuns']>[0]) =>
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
      const asked = (at: number, questionId: string): AnyNewEvent => ({
        type: 'QuestionAsked',
        at,
        data: { questionId, nodeId: 'ask', attempt: 1, question: 'Which?', askees: [] },
      });

      it('finds the run of a patch, a ticket or a question from the append that introduced it', async () => {
        const s = await open();
        await s.append('r1', IR, 0, [started(1), requested(2, 'tkt_1')]);
        await s.append('r2', IR, 0, [started(3)]);
        await s.append('r2', IR, 1, [proposed(4, 'pch_1'), asked(4, 'qst_1')]);
        expect(await s.findRun('ticket', 'tkt_1')).toBe('r1');
        expect(await s.findRun('patch', 'pch_1')).toBe('r2');
        expect(await s.findRun('question', 'qst_1')).toBe('r2');
        // Kinds are apart, and an unknown id is no run.
        expect(await s.findRun('patch', 'tkt_1')).toBeUndefined();
        expect(await s.findRun('ticket', 'tkt_2')).toBeUndefined();
        expect(await s.findRun('ticket', 'qst_1')).toBeUndefined();
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
        const ids = async (f?: Parameters<RunLogStore['listRuns']>[0]) =>
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
  });
}
