// Schedules over gRPC (issue 19), through the typed client against a real grpc-js server over
// the local engine: a bad schedule is INVALID_ARGUMENT naming every problem (the REST API's
// problems, nothing stored), then create, list, pause with a note, trigger (the run's RunView
// carries its schedule tick), backfill (a tick once ever), another namespace, delete.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { status } from '@grpc/grpc-js';
import { LocalEngine } from '@aob/engine';
import { authenticate, issueToken } from '../auth/index.js';
import { ControlPlane } from '../control-plane.js';
import { ApprovalDesk } from '../hitl/index.js';
import { RunStatus } from '../generated/aob/v1/common_pb.js';
import { Runs } from '../generated/aob/v1/runs_pb.js';
import { Schedules } from '../generated/aob/v1/schedules_pb.js';
import { Workflows } from '../generated/aob/v1/workflows_pb.js';
import { serveApiGrpc } from './api-server.js';
import type { ServiceClient } from './client.js';
import { createClient } from './client.js';
import type { MethodsOf } from './definition.js';
import { errorDetailOf } from './errors.js';
import type { GrpcServer } from './server.js';
import { failure } from './test-support.js';

const doubler = {
  name: 'sched-doubler',
  version: '1',
  inputs: { type: 'object', properties: { n: { type: 'number' } }, required: ['n'] },
  nodes: [{ id: 'double', type: 'transform', with: { value: '{% inputs.n * 2 %}' } }],
  output: '{% nodes.double.output %}',
};

let engine: LocalEngine;
let server: GrpcServer;
let schedules: ServiceClient<MethodsOf<typeof Schedules>>;
let runs: ServiceClient<MethodsOf<typeof Runs>>;
const tokens: Record<string, string> = {};
const as = (who: string) => ({ metadata: { authorization: `Bearer ${tokens[who]!}` } });

beforeAll(async () => {
  engine = await LocalEngine.open({ store: 'memory' });
  const plane = new ControlPlane({
    control: engine.control,
    store: engine.store,
    approvals: new ApprovalDesk({ control: engine.control }),
  });
  for (const [who, role, namespace] of [
    ['operator', 'operator', 'acme'],
    ['other', 'admin', 'beta'],
  ] as const) {
    const issued = await issueToken(
      engine.store,
      { subject: who, role, namespace, groups: [] },
      'test',
    );
    tokens[who] = issued.token;
  }
  server = await serveApiGrpc({
    control: plane,
    authenticate: (header) => authenticate(engine.store, header),
    host: '127.0.0.1',
    port: 0,
  });
  const address = `127.0.0.1:${server.port}`;
  schedules = createClient(Schedules, address);
  runs = createClient(Runs, address);
  const workflows = createClient(Workflows, address);
  try {
    await workflows.register({ definitionJson: JSON.stringify(doubler) }, as('operator'));
  } finally {
    workflows.close();
  }
});

afterAll(async () => {
  schedules?.close();
  runs?.close();
  await server?.stop(100);
  await engine?.close();
});

describe('aob.v1.Schedules', () => {
  it('refuses a bad schedule as INVALID_ARGUMENT naming every problem, and stores nothing', async () => {
    const err = await failure(
      schedules.create(
        {
          workflow: 'nope',
          inputsJson: '{}',
          cron: '99 * * * *',
          timezone: 'Atlantis/Capital',
          every: '5m',
          overlap: 'queue',
        },
        as('operator'),
      ),
    );
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    const detail = errorDetailOf(err)!;
    expect(detail.code).toBe('VALIDATION');
    expect(detail.problems.map((p) => `${p.code} ${p.path}`)).toEqual([
      'CONFLICTING_OPTIONS /every',
      'BAD_TIMEZONE /timezone',
      'BAD_CRON /cron',
      'BAD_OVERLAP /overlap',
      'UNKNOWN_WORKFLOW /workflow',
    ]);
    const notJson = await failure(
      schedules.create(
        { workflow: 'sched-doubler', every: '1h', inputsJson: '{n' },
        as('operator'),
      ),
    );
    expect(notJson.code).toBe(status.INVALID_ARGUMENT);
    expect(errorDetailOf(notJson)!.problems.map((p) => p.path)).toEqual(['/inputs_json']);
    expect((await schedules.list({}, as('operator'))).items).toEqual([]);
  });

  it('creates, lists, pauses with a note, triggers, backfills and deletes', async () => {
    const { schedule: s } = await schedules.create(
      {
        workflow: 'sched-doubler@1',
        inputsJson: JSON.stringify({ n: 21 }),
        cron: '30 2 * * *',
        timezone: 'Europe/Berlin',
        overlap: 'allow',
      },
      as('operator'),
    );
    expect(s).toMatchObject({
      workflow: 'sched-doubler@1',
      namespace: 'acme',
      cron: '30 2 * * *',
      timezone: 'Europe/Berlin',
      overlap: 'allow',
      paused: false,
      createdBy: 'operator',
    });
    expect(JSON.parse(s!.inputsJson)).toEqual({ n: 21 });
    expect(Number(s!.nextTickAt)).toBeGreaterThan(Date.now());

    const listed = await schedules.list({}, as('operator'));
    expect(listed.items.map((i) => i.scheduleId)).toEqual([s!.scheduleId]);
    expect((await schedules.get({ scheduleId: s!.scheduleId }, as('operator'))).schedule).toEqual(
      s,
    );

    const paused = await schedules.pause(
      { scheduleId: s!.scheduleId, note: 'quarter close' },
      as('operator'),
    );
    expect(paused.schedule).toMatchObject({ paused: true, note: 'quarter close' });
    expect(
      (await schedules.resume({ scheduleId: s!.scheduleId }, as('operator'))).schedule!.paused,
    ).toBe(false);

    // A trigger's run records its schedule tick, shown in gRPC's RunView as in REST's.
    const { run: triggered } = await schedules.trigger(
      { scheduleId: s!.scheduleId },
      as('operator'),
    );
    expect(triggered).toMatchObject({ started: true });
    const { run } = await runs.wait(
      { runId: triggered!.runId, untilSettled: true, timeoutMs: 5_000 },
      as('operator'),
    );
    expect(run!.status).toBe(RunStatus.COMPLETED);
    expect(run!.outputJson).toBe('42');
    expect(run!.schedule).toMatchObject({
      scheduleId: s!.scheduleId,
      tick: triggered!.tick,
      reason: 'trigger',
    });

    // 02:30 in Berlin on 29 and 31 March, and 03:00 on 30 March (02:30 does not exist that day).
    const window = { from: '2025-03-29T00:00:00Z', to: '2025-04-01T00:00:00Z' };
    const first = await schedules.backfill(
      { scheduleId: s!.scheduleId, ...window },
      as('operator'),
    );
    expect(first.runs.map((r) => new Date(Number(r.tick)).toISOString())).toEqual([
      '2025-03-29T01:30:00.000Z',
      '2025-03-30T01:00:00.000Z',
      '2025-03-31T00:30:00.000Z',
    ]);
    expect(first.runs.every((r) => r.started)).toBe(true);
    const again = await schedules.backfill(
      { scheduleId: s!.scheduleId, ...window },
      as('operator'),
    );
    expect(again.runs.map((r) => [r.runId, r.started])).toEqual(
      first.runs.map((r) => [r.runId, false]),
    );

    // Another namespace does not find it, nor lists it.
    const elsewhere = await failure(schedules.get({ scheduleId: s!.scheduleId }, as('other')));
    expect(elsewhere.code).toBe(status.NOT_FOUND);
    expect((await schedules.list({}, as('other'))).items).toEqual([]);

    const deleted = await schedules.delete({ scheduleId: s!.scheduleId }, as('operator'));
    expect(deleted.schedule!.scheduleId).toBe(s!.scheduleId);
    const gone = await failure(schedules.get({ scheduleId: s!.scheduleId }, as('operator')));
    expect(gone.code).toBe(status.NOT_FOUND);
    expect(errorDetailOf(gone)!.code).toBe('SCHEDULE_NOT_FOUND');
  });
});
