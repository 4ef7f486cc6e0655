// schemas/event.schema.json and schemas/patch.schema.json: they accept what the engine writes,
// reject what it must not, and agree with the hand-written types (compile-time assertions).
import { describe, expect, it } from 'vitest';
import type { ErrorData } from '../errors.js';
import type * as GenEvent from '../generated/event.js';
import type * as GenPatch from '../generated/patch.js';
import { EventType, type EventData, type RunEvent } from '../run/events.js';
import { checkEventSchema } from './event-schema.js';
import { checkSchema, eventSchema } from './schemas.js';

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type RequiredKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? never : K }[keyof T];
type Agree<A, B> =
  Same<A, B> extends true
    ? Same<keyof A, keyof B> extends true
      ? Same<RequiredKeys<A>, RequiredKeys<B>>
      : false
    : false;
type AllTrue<T> = T[keyof T] extends true ? true : false;
const agree = <T extends true>(): T | undefined => undefined;

type GenByName = {
  RunStarted: GenEvent.RunStartedData;
  NodeScheduled: GenEvent.NodeScheduledData;
  NodeStarted: GenEvent.NodeStartedData;
  NodeSucceeded: GenEvent.NodeSucceededData;
  NodeFailed: GenEvent.NodeFailedData;
  NodeRetryScheduled: GenEvent.NodeRetryScheduledData;
  NodeRedispatched: GenEvent.NodeRedispatchedData;
  NodeSkipped: GenEvent.NodeSkippedData;
  NodeLog: GenEvent.NodeLogData;
  TimerScheduled: GenEvent.TimerScheduledData;
  TimerFired: GenEvent.TimerFiredData;
  ApprovalRequested: GenEvent.ApprovalRequestedData;
  ApprovalEscalated: GenEvent.ApprovalEscalatedData;
  ApprovalDecided: GenEvent.ApprovalDecidedData;
  ApprovalReassigned: GenEvent.ApprovalReassignedData;
  QuestionAsked: GenEvent.QuestionAskedData;
  QuestionAnswered: GenEvent.QuestionAnsweredData;
  PatchProposed: GenEvent.PatchProposedData;
  PatchHeld: GenEvent.PatchHeldData;
  PatchRejected: GenEvent.PatchRejectedData;
  PatchApplied: GenEvent.PatchAppliedData;
  PatchReverted: GenEvent.PatchRevertedData;
  ChildRunStarted: GenEvent.ChildRunStartedData;
  RunWaiting: GenEvent.RunWaitingData;
  BudgetExceeded: GenEvent.BudgetExceededData;
  BudgetRaised: GenEvent.BudgetRaisedData;
  RunCompleted: GenEvent.RunCompletedData;
  RunFailed: GenEvent.RunFailedData;
  RunCancelled: GenEvent.RunCancelledData;
};

const HASH = `sha256:${'a'.repeat(64)}` as const;
const ref = { $cas: HASH, size: 12 };

function event<T extends EventType>(type: T, data: EventData[T], seq = 1): RunEvent<T> {
  return { runId: 'r1', seq, type, at: 1_700_000_000_000, irHash: HASH, data };
}

describe('event schema', () => {
  it('agrees with run/events.ts (compile-time)', () => {
    agree<AllTrue<{ [K in EventType]: Agree<EventData[K], GenByName[K]> }>>();
    agree<Same<EventType, GenEvent.EventType>>();
    agree<Agree<ErrorData, GenEvent.ErrorData>>();
    agree<
      Agree<Omit<RunEvent, 'data' | 'type'>, Omit<GenEvent.RunEventEnvelope, 'data' | 'type'>>
    >();
    expect(Object.values(EventType)).toEqual(eventSchema.$defs.eventType.enum);
  });

  it('accepts events as the engine writes them', () => {
    const events = [
      event('RunStarted', { workflow: { name: 'wf', version: '1' }, inputs: ref }),
      event(
        'NodeScheduled',
        { nodeId: 'a', attempt: 1, input: ref, inputHash: 'h', priority: 'high' },
        2,
      ),
      event(
        'NodeSucceeded',
        { nodeId: 'a', attempt: 1, output: ref, ports: ['success'], route: ['b'] },
        3,
      ),
      event('NodeFailed', {
        nodeId: 'a',
        attempt: 2,
        error: { code: 'HANDLER_ERROR', message: 'boom', retryable: true, details: { x: 1 } },
        final: true,
        handled: false,
      }),
      event('NodeRedispatched', { nodeId: 'm', iteration: 3, attempt: 1, overdueMs: 1_200 }),
      event('PatchRejected', {
        patchId: 'p',
        violations: [{ code: 'CYCLE', path: '/edges/0', message: 'm' }],
      }),
      event('ApprovalReassigned', { ticketId: 't', approvers: ['group:leads'], by: 'root' }),
      event('ApprovalDecided', {
        ticketId: 't',
        decision: 'approved',
        by: 'timeout',
        reason: 'not decided in time (escalate)',
        timedOut: true,
      }),
      event('RunCancelled', {}),
      event('RunStarted', {
        workflow: { name: 'wf', version: '1' },
        inputs: ref,
        budget: { tokens: 100, costUsd: 0.5, wallMs: 60_000, nodes: 3, onExceeded: 'cancel' },
        budgetTimer: { timerId: 't1', dueAt: 60_000 },
      }),
      event('BudgetExceeded', { limit: 'tokens', budget: 100, used: 120, onExceeded: 'fail' }),
    ];
    for (const e of events) expect(checkEventSchema(e)).toEqual([]);
    expect(
      checkEventSchema({
        ...events[0],
        actor: 'u',
        traceparent: `00-${'1'.repeat(32)}-${'2'.repeat(16)}-01`,
      }),
    ).toEqual([]);
  });

  it('checks data against the schema of the event type', () => {
    const bad = event('NodeSucceeded', {
      nodeId: 'a',
      attempt: 0,
      output: { $cas: 'md5:x', size: 1 },
    } as never);
    expect(checkEventSchema(bad).map((p) => p.path)).toEqual([
      '/data/attempt',
      '/data/output/$cas',
    ]);
    expect(
      checkEventSchema({ ...event('RunCancelled', {}), seq: 0, type: 'RunExploded' }).map(
        (p) => p.path,
      ),
    ).toEqual(['/seq', '/type']);
    // A reassignment leaves somebody to decide.
    expect(
      checkEventSchema(event('ApprovalReassigned', { ticketId: 't', approvers: [], by: '' })).map(
        (p) => p.path,
      ),
    ).toEqual(['/data/approvers', '/data/by']);
  });
});

describe('patch schema', () => {
  const patch = (ops: unknown[]): GenPatch.PatchDocument =>
    ({
      patchId: 'p-1',
      scope: 'run',
      target: 'r1',
      baseIrHash: HASH,
      ops,
      author: 'agent:planner',
      rationale: 'add a review step',
    }) as GenPatch.PatchDocument;

  it('accepts the six RFC 6902 operations', () => {
    const doc = patch([
      {
        op: 'add',
        path: '/nodes/-',
        value: { id: 'review', type: 'task', with: { handler: 'r' } },
      },
      { op: 'remove', path: '/edges/0' },
      { op: 'replace', path: '/nodes/0/with/url', value: 'https://x.dev' },
      { op: 'move', from: '/edges/1', path: '/edges/0' },
      { op: 'copy', from: '/nodes/0', path: '/nodes/-' },
      { op: 'test', path: '/nodes/0/id', value: 'fetch' },
    ]);
    expect(checkSchema('patch', doc)).toEqual([]);
  });

  it('names what each bad operation lacks', () => {
    const ps = checkSchema(
      'patch',
      patch([
        { op: 'add', path: '/nodes/-' },
        { op: 'move', path: '/a' },
        { op: 'frobnicate', path: '/a' },
        { path: '/a' },
        { op: 'remove', path: 'nodes/0' },
        { op: 'remove', path: '/a', value: 1 },
      ]),
    );
    expect(ps.map((p) => [p.path, p.message])).toEqual([
      ['/ops/0/value', "missing required property 'value'"],
      ['/ops/1/from', "missing required property 'from'"],
      ['/ops/2/op', "unknown 'op' value 'frobnicate'"],
      ['/ops/3/op', "missing required property 'op'"],
      ['/ops/4/path', 'must be a JSON pointer such as /nodes/0'],
      ['/ops/5/value', expect.stringMatching(/^unknown property 'value'/)],
    ]);
  });

  it('requires the envelope fields', () => {
    expect(checkSchema('patch', { ops: [] }).map((p) => p.path)).toEqual([
      '/patchId',
      '/scope',
      '/target',
      '/baseIrHash',
      '/author',
      '/ops',
    ]);
  });
});
