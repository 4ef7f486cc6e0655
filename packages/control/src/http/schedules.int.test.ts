// Schedules over REST (issue 19), end to end over real HTTP with every response checked against
// openapi.json, through @aob/client: create (a bad request names every problem and stores
// nothing), list, show, pause and resume with a note, trigger, backfill (a tick once ever),
// delete, namespaces, and the scheduler of the harness's engine starting ticks recorded on runs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AobApiError, AobHttpClient } from '@aob/client';
import type { ApiHarness } from './test-support.js';
import { eventually, startApiHarness } from './test-support.js';

let api: ApiHarness;
let client: AobHttpClient;
let other: AobHttpClient;
const doubler = {
  name: 'sched-doubler',
  version: '1',
  inputs: { type: 'object', properties: { n: { type: 'number' } }, required: ['n'] },
  nodes: [{ id: 'double', type: 'transform', with: { value: '{% inputs.n * 2 %}' } }],
  output: '{% nodes.double.output %}',
};

beforeAll(async () => {
  api = await startApiHarness();
  client = new AobHttpClient({ baseUrl: api.url, token: await api.token('operator', 'acme') });
  other = new AobHttpClient({ baseUrl: api.url, token: await api.token('admin', 'beta') });
  await client.registerWorkflow(doubler);
});
afterAll(() => api.close());

const refusal = async (p: Promise<unknown>): Promise<AobApiError> => {
  const err = await p.catch((e: unknown) => e);
  expect(err).toBeInstanceOf(AobApiError);
  return err as AobApiError;
};

describe('/v1/schedules', () => {
  it('refuses a bad schedule naming every problem, and stores nothing', async () => {
    const err = await refusal(
      client.createSchedule({
        workflow: 'nope',
        inputs: {},
        cron: '99 * * * *',
        timezone: 'Atlantis/Capital',
        every: '5m',
        overlap: 'queue' as never,
      }),
    );
    expect(err.status).toBe(400);
    expect(err.errors.map((p) => `${p.code} ${p.path}`)).toEqual([
      'CONFLICTING_OPTIONS /every',
      'BAD_TIMEZONE /timezone',
      'BAD_CRON /cron',
      'BAD_OVERLAP /overlap',
      'UNKNOWN_WORKFLOW /workflow',
    ]);
    const inputs = await refusal(client.createSchedule({ workflow: 'sched-doubler', every: '1h' }));
    expect(inputs.errors[0]!.path).toMatch(/^\/inputs/);
    expect((await client.listSchedules()).items).toEqual([]);
  });

  it('creates, lists, shows, pauses and resumes with a note, triggers, backfills and deletes', async () => {
    const s = await client.createSchedule({
      workflow: 'sched-doubler@1',
      inputs: { n: 21 },
      cron: '30 2 * * *',
      timezone: 'Europe/Berlin',
      overlap: 'allow',
    });
    expect(s).toMatchObject({
      workflow: 'sched-doubler@1',
      timezone: 'Europe/Berlin',
      paused: false,
    });
    expect(s.nextTickAt).toBeGreaterThan(Date.now());
    expect((await client.listSchedules()).items.map((i) => i.scheduleId)).toEqual([s.scheduleId]);
    expect(await client.getSchedule(s.scheduleId)).toEqual(s);

    const paused = await client.pauseSchedule(s.scheduleId, 'quarter close');
    expect(paused).toMatchObject({ paused: true, note: 'quarter close' });
    const resumed = await client.resumeSchedule(s.scheduleId);
    expect(resumed.paused).toBe(false);

    const now = await client.triggerSchedule(s.scheduleId);
    expect(now.started).toBe(true);
    const run = await client.waitRun(now.runId, { timeoutMs: 10_000 });
    expect(run).toMatchObject({ status: 'completed', output: 42 });
    expect(run.schedule).toEqual({ scheduleId: s.scheduleId, tick: now.tick, reason: 'trigger' });

    const range = { from: '2025-03-28T00:00:00Z', to: '2025-04-01T00:00:00Z' };
    const first = await client.backfillSchedule(s.scheduleId, range);
    // 02:30 in Berlin on 28, 29, 31 March, and 03:00 on 30 March (02:30 does not exist that day).
    expect(first.runs.map((r) => new Date(r.tick).toISOString())).toEqual([
      '2025-03-28T01:30:00.000Z',
      '2025-03-29T01:30:00.000Z',
      '2025-03-30T01:00:00.000Z',
      '2025-03-31T00:30:00.000Z',
    ]);
    expect(first.runs.every((r) => r.started)).toBe(true);
    const again = await client.backfillSchedule(s.scheduleId, range);
    expect(again.runs.map((r) => r.runId)).toEqual(first.runs.map((r) => r.runId));
    expect(again.runs.some((r) => r.started)).toBe(false);
    const future = await refusal(
      client.backfillSchedule(s.scheduleId, { from: range.from, to: '2999-01-01T00:00:00Z' }),
    );
    expect(future.errors.map((p) => p.path)).toEqual(['/to']);

    // Another namespace sees nothing of it.
    expect((await refusal(other.getSchedule(s.scheduleId))).status).toBe(404);
    expect((await other.listSchedules()).items).toEqual([]);

    expect((await client.deleteSchedule(s.scheduleId)).scheduleId).toBe(s.scheduleId);
    expect((await refusal(client.getSchedule(s.scheduleId))).code).toBe('SCHEDULE_NOT_FOUND');
  });

  it("the engine's scheduler starts each tick's run once, recording the schedule and tick", async () => {
    const s = await client.createSchedule({
      workflow: 'sched-doubler',
      inputs: { n: 1 },
      every: '1s',
      overlap: 'allow',
    });
    const scheduler = api.engine.startScheduler({ pollMs: 50 });
    try {
      const view = await eventually(async () => {
        const v = await client.getSchedule(s.scheduleId);
        return v.counts.started >= 2 ? v : undefined;
      }, 10_000);
      const run = await client.getRun(view.lastRunId!);
      expect(run.schedule).toEqual({
        scheduleId: s.scheduleId,
        tick: view.lastTickAt,
        reason: 'tick',
      });
    } finally {
      await scheduler.stop();
      await client.deleteSchedule(s.scheduleId);
    }
  });
});
