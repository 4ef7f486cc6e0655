// The approval desk over a real engine (in-memory store, in-process driver): who may decide, the
// quorum of distinct people, reassignment, escalation and the default decision, and the deciding
// identity and reason as the run's log records them.
import { afterEach, describe, expect, it } from 'vitest';
import type { AnyRunEvent, WorkflowDefinition } from '@aob/core';
import { LocalEngine, RunControl } from '@aob/engine';
import type { Principal, Role } from '../auth/index.js';
import { ApprovalDesk } from './desk.js';
import type { TicketView } from './desk.js';

const engines: LocalEngine[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.close()));
});

async function setup(): Promise<{ engine: LocalEngine; desk: ApprovalDesk }> {
  const engine = await LocalEngine.open({ store: 'memory' });
  engines.push(engine);
  return { engine, desk: new ApprovalDesk({ control: engine.control }) };
}

const who = (
  subject: string,
  role: Role,
  groups: string[] = [],
  namespace = 'acme',
): Principal => ({
  subject,
  role,
  namespace,
  groups,
  tokenId: `tok_${subject}`,
});

const gate = (cfg: Record<string, unknown>): WorkflowDefinition =>
  ({
    name: 'gate',
    version: '1',
    nodes: [{ id: 'gate', type: 'approval', with: { message: 'Ship it?', ...cfg } }],
    edges: [],
    output: '{% nodes.gate.output %}',
  }) as WorkflowDefinition;

/** Starts a run in `namespace` and returns it with its open ticket. */
async function open(
  engine: LocalEngine,
  cfg: Record<string, unknown>,
  namespace = 'acme',
): Promise<{ runId: string; ticketId: string }> {
  const runId = await engine.control.start(gate(cfg), {}, { namespace });
  const view = await engine.control.wait(runId, { untilSettled: true, timeoutMs: 5_000 });
  expect(view.status).toBe('waiting');
  return { runId, ticketId: view.waitingOn![0]! };
}

async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'expected a refusal').toBeDefined();
  return err as { code: string; message: string };
}

async function approvalEvents(engine: LocalEngine, runId: string): Promise<AnyRunEvent[]> {
  return (await engine.control.events(runId)).filter((e) => e.type.startsWith('Approval'));
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 8_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('ApprovalDesk', () => {
  it('a quorum of 2 of 3 needs two distinct people; the same one twice is refused', async () => {
    const { engine, desk } = await setup();
    const { runId, ticketId } = await open(engine, {
      approvers: ['user:ada', 'user:bob', 'cy'],
      quorum: 2,
    });
    const ada = who('ada', 'approver');
    const bob = who('bob', 'approver');
    const cy = who('cy', 'admin');

    const [listed] = (await desk.list(cy, { status: 'open' })).items;
    expect(listed).toMatchObject({
      ticketId,
      runId,
      status: 'open',
      message: 'Ship it?',
      approvers: ['user:ada', 'user:bob', 'cy'],
      quorum: 2,
      approvals: [],
      escalated: false,
      eligible: true,
    });

    const first = await desk.decide(ada, ticketId, 'approved', 'looks right');
    expect(first).toMatchObject({
      status: 'open',
      approvals: [{ by: 'ada', reason: 'looks right' }],
      eligible: true,
    });
    const again = await refusal(desk.decide(ada, ticketId, 'approved'));
    expect(again.code).toBe('ALREADY_APPROVED');
    expect(again.message).toContain('1 more approval');

    const second = await desk.decide(bob, ticketId, 'approved', 'ok by me');
    expect(second).toMatchObject({
      status: 'approved',
      decidedBy: 'bob',
      reason: 'ok by me',
      approvals: [
        { by: 'ada', reason: 'looks right' },
        { by: 'bob', reason: 'ok by me' },
      ],
      eligible: false,
    });
    expect((await refusal(desk.decide(cy, ticketId, 'rejected'))).code).toBe('TICKET_DECIDED');

    const done = await engine.control.wait(runId, { timeoutMs: 5_000 });
    expect(done.output).toEqual({ decision: 'approved', by: 'bob', reason: 'ok by me' });
    // The log: one decision each, by the principals' subjects, with their reasons.
    const decided = (await approvalEvents(engine, runId)).filter(
      (e) => e.type === 'ApprovalDecided',
    );
    expect(decided.map((e) => [e.actor, e.data])).toEqual([
      ['ada', { ticketId, decision: 'approved', by: 'ada', reason: 'looks right' }],
      ['bob', { ticketId, decision: 'approved', by: 'bob', reason: 'ok by me' }],
    ]);
    expect((await desk.list(cy, { status: 'open' })).items).toEqual([]);
    expect((await desk.list(cy, { status: 'all' })).items.map((t) => t.status)).toEqual([
      'approved',
    ]);
  });

  it('group and role entries; the role must be approver or above, and an agent never decides', async () => {
    const { engine, desk } = await setup();
    const { runId, ticketId } = await open(engine, { approvers: ['group:finance', 'role:admin'] });
    const eligible = async (p: Principal) =>
      (await desk.list(p, { status: 'open' })).items.find((t) => t.ticketId === ticketId)?.eligible;

    const fin = who('fin', 'approver', ['finance']);
    const outsider = who('dee', 'approver', ['ops']);
    const root = who('root', 'admin');
    const clerk = who('clerk', 'operator', ['finance']);
    const bot = who('bot', 'agent', ['finance']);
    expect(await eligible(fin)).toBe(true);
    expect(await eligible(root)).toBe(true);
    expect(await eligible(outsider)).toBe(false);
    expect(await eligible(clerk)).toBe(false);
    expect(await eligible(bot)).toBe(false);

    const notListed = await refusal(desk.decide(outsider, ticketId, 'approved'));
    expect(notListed.code).toBe('FORBIDDEN');
    expect(notListed.message).toContain('accepts group:finance, role:admin');
    expect(notListed.message).toContain('dee (role approver, groups ops)');
    expect((await refusal(desk.decide(clerk, ticketId, 'approved'))).code).toBe('FORBIDDEN');
    const agent = await refusal(desk.decide(bot, ticketId, 'approved'));
    expect(agent.code).toBe('FORBIDDEN');
    // Nothing refused reached the log.
    expect((await approvalEvents(engine, runId)).map((e) => e.type)).toEqual(['ApprovalRequested']);

    const view = await desk.decide(fin, ticketId, 'rejected', 'over budget');
    expect(view).toMatchObject({ status: 'rejected', decidedBy: 'fin', reason: 'over budget' });
    const done = await engine.control.wait(runId, { timeoutMs: 5_000 });
    expect(done.output).toEqual({ decision: 'rejected', by: 'fin', reason: 'over budget' });
  });

  it("another namespace's ticket does not exist", async () => {
    const { engine, desk } = await setup();
    const { ticketId } = await open(engine, { approvers: ['role:approver'] }, 'acme');
    const stranger = who('root', 'admin', [], 'globex');
    expect((await desk.list(stranger, { status: 'all' })).items).toEqual([]);
    const unknown = await refusal(desk.decide(stranger, 'ticket_nope', 'approved'));
    for (const attempt of [
      desk.decide(stranger, ticketId, 'approved'),
      desk.reassign(stranger, ticketId, ['user:root']),
      desk.get(stranger, ticketId),
    ]) {
      const err = await refusal(attempt);
      expect(err.code).toBe('TICKET_NOT_FOUND');
      expect(err.message).toBe(unknown.message.replace('ticket_nope', ticketId));
    }
    expect((await desk.get(who('ada', 'viewer'), ticketId)).status).toBe('open');
  });

  it('reassignment: the new approver decides, the old one is refused, the log says who and why', async () => {
    const { engine, desk } = await setup();
    const { runId, ticketId } = await open(engine, { approvers: ['user:ada'], quorum: 2 });
    const ada = who('ada', 'approver');
    const eve = who('eve', 'approver', ['leads']);
    const fay = who('fay', 'approver', ['leads']);
    const root = who('root', 'admin');

    await desk.decide(ada, ticketId, 'approved');
    expect((await refusal(desk.reassign(ada, ticketId, ['user:ada']))).code).toBe('FORBIDDEN');
    const bad = await refusal(desk.reassign(root, ticketId, ['group:', 'leads:x', 'role:agent']));
    expect(bad.code).toBe('VALIDATION');
    expect(
      (bad as unknown as { problems: { path: string }[] }).problems.map((p) => p.path),
    ).toEqual(['/approvers/0', '/approvers/1', '/approvers/2']);
    expect((await refusal(desk.reassign(root, ticketId, []))).code).toBe('VALIDATION');

    const moved = await desk.reassign(root, ticketId, ['group:leads'], 'ada is on leave');
    expect(moved).toMatchObject({
      status: 'open',
      approvers: ['group:leads'],
      approvals: [], // ada's approval no longer counts
      eligible: false, // root is an admin, but not in leads
    } satisfies Partial<TicketView>);
    const refused = await refusal(desk.decide(ada, ticketId, 'approved'));
    expect(refused.code).toBe('FORBIDDEN');
    expect(refused.message).toContain('accepts group:leads');

    expect((await desk.decide(eve, ticketId, 'approved', 'fine')).status).toBe('open');
    const decided = await desk.decide(fay, ticketId, 'approved', 'agreed');
    expect(decided).toMatchObject({ status: 'approved', decidedBy: 'fay', reason: 'agreed' });
    expect((await refusal(desk.reassign(root, ticketId, ['user:ada']))).code).toBe(
      'TICKET_DECIDED',
    );

    const log = await approvalEvents(engine, runId);
    expect(log.map((e) => [e.type, e.actor, e.data])).toEqual([
      ['ApprovalRequested', undefined, expect.objectContaining({ approvers: ['user:ada'] })],
      ['ApprovalDecided', 'ada', { ticketId, decision: 'approved', by: 'ada' }],
      [
        'ApprovalReassigned',
        'root',
        { ticketId, approvers: ['group:leads'], by: 'root', reason: 'ada is on leave' },
      ],
      ['ApprovalDecided', 'eve', { ticketId, decision: 'approved', by: 'eve', reason: 'fine' }],
      ['ApprovalDecided', 'fay', { ticketId, decision: 'approved', by: 'fay', reason: 'agreed' }],
    ]);
    expect((await engine.control.wait(runId, { timeoutMs: 5_000 })).status).toBe('completed');
  });

  it('timeout → escalate → the escalated approver decides', async () => {
    const { engine, desk } = await setup();
    const { runId, ticketId } = await open(engine, {
      approvers: ['user:ada'],
      timeoutMs: 1_200,
      onTimeout: 'escalate',
      escalateTo: ['group:leads'],
      defaultDecision: 'reject',
    });
    const ada = who('ada', 'approver');
    const lead = who('lee', 'approver', ['leads']);
    const root = who('root', 'admin');
    expect((await desk.get(lead, ticketId)).eligible).toBe(false);
    const escalated = await until('the escalation', async () => {
      const t = await desk.get(root, ticketId);
      return t.escalated ? t : undefined;
    });
    expect(escalated).toMatchObject({ status: 'open', approvers: ['group:leads'] });
    expect(escalated.dueAt).toBeGreaterThan(Date.now() - 1_000);
    expect((await refusal(desk.decide(ada, ticketId, 'approved'))).code).toBe('FORBIDDEN');
    const view = await desk.decide(lead, ticketId, 'approved', 'covering for ada');
    expect(view).toMatchObject({
      status: 'approved',
      decidedBy: 'lee',
      reason: 'covering for ada',
      escalated: true,
    });
    const done = await engine.control.wait(runId, { timeoutMs: 5_000 });
    expect(done.output).toEqual({ decision: 'approved', by: 'lee', reason: 'covering for ada' });
    const log = await approvalEvents(engine, runId);
    expect(log.map((e) => e.type)).toEqual([
      'ApprovalRequested',
      'ApprovalEscalated',
      'ApprovalDecided',
    ]);
    expect(log[2]!.data).toEqual({
      ticketId,
      decision: 'approved',
      by: 'lee',
      reason: 'covering for ada',
    });
  });

  it('timeout → escalate → timeout → the default decision, recorded as the timeout', async () => {
    const { engine, desk } = await setup();
    const { runId, ticketId } = await open(engine, {
      approvers: ['user:ada', 'user:bob'],
      quorum: 2,
      timeoutMs: 300,
      onTimeout: 'escalate',
      escalateTo: ['group:leads'],
      defaultDecision: 'approve',
    });
    await desk.decide(who('ada', 'approver'), ticketId, 'approved', 'one of two');
    const done = await engine.control.wait(runId, { timeoutMs: 8_000 });
    expect(done.status).toBe('completed');
    expect(done.output).toEqual({
      decision: 'approved',
      by: 'timeout',
      reason: 'not decided in time (escalate)',
    });
    const [ticket] = (await desk.list(who('root', 'admin'), { status: 'all' })).items;
    expect(ticket).toMatchObject({
      ticketId,
      status: 'approved',
      escalated: true,
      decidedBy: 'timeout',
      reason: 'not decided in time (escalate)',
      approvals: [{ by: 'ada', reason: 'one of two' }],
      eligible: false,
    });
    const log = await approvalEvents(engine, runId);
    expect(log.map((e) => [e.type, e.actor])).toEqual([
      ['ApprovalRequested', undefined],
      ['ApprovalDecided', 'ada'],
      ['ApprovalEscalated', undefined],
      ['ApprovalDecided', 'timeout'],
    ]);
    expect(log[3]!.data).toMatchObject({ by: 'timeout', timedOut: true, decision: 'approved' });
    const late = await refusal(
      desk.decide(who('lee', 'approver', ['leads']), ticketId, 'rejected'),
    );
    expect(late.code).toBe('TICKET_DECIDED');
    expect(late.message).toContain('approved by timeout');
  });

  it('a decision the run owner does not apply in time is DECISION_PENDING, retryable', async () => {
    const { engine } = await setup();
    const { ticketId } = await open(engine, { approvers: ['role:approver'] });
    const delivered: unknown[] = [];
    // The same stores, but a driver that hands triggers to nobody (an owner that is down).
    const control = new RunControl({
      store: engine.store,
      content: engine.content,
      loadIr: () => Promise.reject(new Error('not needed')),
      now: Date.now,
      newId: (kind) => `${kind}_x`,
      driver: {
        start: () => Promise.reject(new Error('not needed')),
        deliver: (_runId, trigger) => {
          delivered.push(trigger);
          return Promise.resolve(false);
        },
      },
    });
    const desk = new ApprovalDesk({ control, decisionWaitMs: 300, pollMs: 20 });
    const err = await refusal(desk.decide(who('ada', 'approver'), ticketId, 'approved', 'ok'));
    expect(err).toMatchObject({ code: 'DECISION_PENDING', retryable: true });
    // The principal's subject is what travels, with the reason.
    expect(delivered).toEqual([
      { type: 'approve', ticketId, decision: 'approved', by: 'ada', reason: 'ok' },
    ]);
  });
});
