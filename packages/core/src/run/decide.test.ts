import { describe, expect, it } from 'vitest';
import { compile } from '../ir/compile.js';
import type { WorkflowDefinition } from '../definition/types.js';
import { fold } from './evolve.js';
import { Sim, SimError } from './testing/sim.js';
import { TERMINAL_EVENTS } from './events.js';

const wf = (
  nodes: WorkflowDefinition['nodes'],
  edges: WorkflowDefinition['edges'] = [],
  extra: Partial<WorkflowDefinition> = {},
): WorkflowDefinition => ({
  name: 't',
  version: '1',
  nodes,
  edges,
  ...extra,
});
const task = (id: string, handler = id, more: object = {}) => ({
  id,
  type: 'task' as const,
  with: { handler },
  ...more,
});
const echo = { echo: (input: unknown) => input };

function terminalCount(sim: Sim): number {
  return sim.log.filter((e) => TERMINAL_EVENTS.has(e.type)).length;
}

/** Every test ends by checking the two invariants that hold for any run. */
function invariants(sim: Sim): void {
  expect(fold(sim.log, sim.runId)).toEqual(sim.state);
  expect(sim.log.map((e) => e.seq)).toEqual(sim.log.map((_, i) => i + 1));
  expect(terminalCount(sim)).toBeLessThanOrEqual(1);
}

describe('decide: a chain', () => {
  const ir = compile(
    wf(
      [task('a', 'inc'), task('b', 'inc'), task('c', 'inc')],
      [
        { from: 'a', to: 'b' },
        { from: 'b', to: 'c' },
      ],
      { output: '{% nodes.c.output %}' },
    ),
  );
  const handlers = {
    inc: (input: unknown) => {
      const v = input as Record<string, number> & { n?: number };
      const prev = v.n ?? Object.values(v)[0]!;
      return prev + 1;
    },
  };

  it('runs nodes in order and completes once with the output', () => {
    const sim = new Sim(ir, 'r', { handlers }).start({ n: 1 }).runToRest();
    expect(sim.state.status).toBe('completed');
    expect(sim.output()).toBe(4);
    expect(sim.types('a')).toEqual(['NodeScheduled', 'NodeStarted', 'NodeSucceeded']);
    expect(sim.log.at(-1)!.type).toBe('RunCompleted');
    expect(terminalCount(sim)).toBe(1);
    invariants(sim);
  });

  it('ignores a duplicate result for the same node and attempt', () => {
    const sim = new Sim(ir, 'r', { handlers }).start({ n: 1 });
    sim.step();
    const seq = sim.state.seq;
    const before = structuredClone(sim.state);
    const out = sim.put(2);
    expect(sim.apply({ type: 'nodeSucceeded', nodeId: 'a', attempt: 1, output: out })).toEqual([]);
    expect(
      sim.apply({
        type: 'nodeFailed',
        nodeId: 'a',
        attempt: 1,
        error: { code: 'X', message: 'x', retryable: true },
      }),
    ).toEqual([]);
    expect(sim.state.seq).toBe(seq);
    expect(sim.state).toEqual(before);
    sim.runToRest();
    expect(sim.output()).toBe(4);
    invariants(sim);
  });

  it('is deterministic: the same triggers give the same log', () => {
    const a = new Sim(ir, 'r', { handlers }).start({ n: 1 }).runToRest();
    const b = new Sim(ir, 'r', { handlers }).start({ n: 1 }).runToRest();
    expect(a.log).toEqual(b.log);
  });

  it('records cancellation once and ignores results after it', () => {
    const sim = new Sim(ir, 'r', { handlers }).start({ n: 1 });
    sim.apply({ type: 'cancel', reason: 'enough', by: 'me' });
    expect(sim.state.status).toBe('cancelled');
    expect(sim.commands.some((c) => c.type === 'abortJobs')).toBe(true);
    expect(
      sim.apply({ type: 'nodeSucceeded', nodeId: 'a', attempt: 1, output: sim.put(2) }),
    ).toEqual([]);
    expect(sim.apply({ type: 'cancel' })).toEqual([]);
    expect(terminalCount(sim)).toBe(1);
    invariants(sim);
  });
});

describe('decide: retries', () => {
  it('retries with exponential backoff and recorded jitter, then succeeds on the third attempt', () => {
    const ir = compile(
      wf([
        task('flaky', 'flaky', {
          retry: { maxAttempts: 3, initialMs: 100, multiplier: 2, maxMs: 10_000, jitter: 0.5 },
        }),
      ]),
    );
    const sim = new Sim(ir, 'r', {
      handlers: {
        flaky: (_i, job) => {
          if (job.attempt < 3) throw new SimError('FLAKY', `attempt ${job.attempt}`);
          return 'ok';
        },
      },
      random: () => 0.5,
    })
      .start()
      .runToRest();
    expect(sim.state.status).toBe('completed');
    const retries = sim.log
      .filter((e) => e.type === 'NodeRetryScheduled')
      .map((e) => (e.data as { delayMs: number }).delayMs);
    // 100 * 2^(n-1), less half of the 0.5 jitter fraction.
    expect(retries).toEqual([75, 150]);
    expect(sim.state.nodes.flaky!.attempt).toBe(3);
    invariants(sim);
  });

  it('does not retry a non-retryable error, and fails the run', () => {
    const ir = compile(wf([task('bad')]));
    const sim = new Sim(ir, 'r', {
      handlers: {
        bad: () => {
          throw new SimError('NOPE', 'no', false);
        },
      },
    })
      .start()
      .runToRest();
    expect(sim.state.status).toBe('failed');
    expect(sim.state.error?.code).toBe('NOPE');
    expect(sim.types('bad')).toEqual(['NodeScheduled', 'NodeStarted', 'NodeFailed', 'RunFailed']);
    expect(sim.log.at(-1)!.type).toBe('RunFailed');
    invariants(sim);
  });

  it('fails the run after the last attempt of an uncaught failure', () => {
    const ir = compile(
      wf(
        [task('bad', 'bad', { retry: { maxAttempts: 2, initialMs: 1 } }), task('next', 'echo')],
        [{ from: 'bad', to: 'next' }],
      ),
    );
    const sim = new Sim(ir, 'r', {
      handlers: {
        ...echo,
        bad: () => {
          throw new SimError('E', 'boom');
        },
      },
    })
      .start()
      .runToRest();
    expect(sim.state.status).toBe('failed');
    expect(sim.state.nodes.bad!.attempt).toBe(2);
    expect(sim.state.nodes.next?.status ?? 'pending').toBe('pending');
    invariants(sim);
  });
});

describe('decide: routing', () => {
  it('a failure edge catches a final failure and the run completes', () => {
    const ir = compile(
      wf(
        [
          task('book', 'fail', { retry: { maxAttempts: 1 } }),
          task('ok', 'echo'),
          task('compensate', 'echo'),
        ],
        [
          { from: 'book', to: 'ok' },
          { from: 'book', to: 'compensate', on: 'failure' },
        ],
      ),
    );
    const sim = new Sim(ir, 'r', {
      handlers: {
        ...echo,
        fail: () => {
          throw new SimError('NO_SEATS', 'none');
        },
      },
    })
      .start()
      .runToRest();
    expect(sim.state.status).toBe('completed');
    expect(sim.state.nodes.book!.handled).toBe(true);
    expect(sim.state.nodes.ok!.status).toBe('skipped');
    expect(sim.state.nodes.compensate!.status).toBe('succeeded');
    const input = sim.content.get(sim.state.nodes.compensate!.input!.$cas) as {
      book: { error: { code: string } };
    };
    expect(input.book.error.code).toBe('NO_SEATS');
    invariants(sim);
  });

  it('skips untaken branches, propagates skips, and a join after them still runs', () => {
    const ir = compile(
      wf(
        [
          task('classify', 'echo'),
          task('high', 'echo'),
          task('low', 'echo'),
          task('afterHigh', 'echo'),
          { id: 'merge', type: 'join', with: { mode: 'all' } },
        ],
        [
          { from: 'classify', to: 'high', when: "{% nodes.classify.output.risk = 'high' %}" },
          { from: 'classify', to: 'low', when: "{% nodes.classify.output.risk != 'high' %}" },
          { from: 'high', to: 'afterHigh' },
          { from: 'afterHigh', to: 'merge' },
          { from: 'low', to: 'merge' },
        ],
      ),
    );
    const sim = new Sim(ir, 'r', { handlers: echo }).start({ risk: 'low' }).runToRest();
    expect(sim.state.status).toBe('completed');
    expect(sim.state.nodes.high!.status).toBe('skipped');
    expect(sim.state.nodes.afterHigh!.status).toBe('skipped');
    expect(sim.state.nodes.low!.status).toBe('succeeded');
    expect(sim.state.nodes.merge!.status).toBe('succeeded');
    expect(sim.content.get(sim.state.nodes.merge!.output!.$cas)).toEqual({
      low: { classify: { risk: 'low' } },
    });
    invariants(sim);
  });

  it('join any runs on the first branch; join n waits for n', () => {
    const nodes = [task('s', 'echo'), task('x', 'echo'), task('y', 'echo'), task('z', 'echo')];
    const fan = [
      { from: 's', to: 'x' },
      { from: 's', to: 'y' },
      { from: 's', to: 'z' },
    ];
    const anyIr = compile(
      wf(
        [...nodes, { id: 'j', type: 'join', with: { mode: 'any' } }],
        [...fan, { from: 'x', to: 'j' }, { from: 'y', to: 'j' }, { from: 'z', to: 'j' }],
      ),
    );
    const sim = new Sim(anyIr, 'r', { handlers: echo }).start();
    sim.step(); // s
    sim.step(); // x
    expect(sim.state.nodes.j!.status).toBe('scheduled');
    sim.runToRest();
    expect(sim.state.status).toBe('completed');
    invariants(sim);

    const nIr = compile(
      wf(
        [...nodes, { id: 'j', type: 'join', with: { mode: 'n', n: 2 } }],
        [...fan, { from: 'x', to: 'j' }, { from: 'y', to: 'j' }, { from: 'z', to: 'j' }],
      ),
    );
    const simN = new Sim(nIr, 'r', { handlers: echo }).start();
    simN.step();
    simN.step();
    expect(simN.state.nodes.j?.status ?? 'pending').toBe('pending');
    simN.step();
    expect(simN.state.nodes.j!.status).toBe('scheduled');
    simN.runToRest();
    expect(simN.state.status).toBe('completed');
    invariants(simN);
  });
});

describe('decide: map', () => {
  it('fans out with a concurrency limit and returns results in item order', () => {
    const ir = compile(
      wf(
        [
          {
            id: 'm',
            type: 'map',
            with: {
              items: '{% inputs.xs %}',
              concurrency: 2,
              body: { type: 'task', with: { handler: 'sq' } },
            },
          },
        ],
        [],
        { output: '{% nodes.m.output %}' },
      ),
    );
    const sim = new Sim(ir, 'r', { handlers: { sq: (x) => (x as number) ** 2 } }).start({
      xs: [1, 2, 3, 4, 5],
    });
    let maxInFlight = 0;
    while (sim.jobs.length > 0) {
      maxInFlight = Math.max(maxInFlight, sim.jobs.length);
      sim.jobs.reverse(); // finish out of order
      sim.step();
    }
    sim.runToRest();
    expect(maxInFlight).toBe(2);
    expect(sim.output()).toEqual([1, 4, 9, 16, 25]);
    invariants(sim);
  });

  it('an empty list succeeds at once; a failed item fails the map', () => {
    const ir = compile(
      wf([
        {
          id: 'm',
          type: 'map',
          with: {
            items: '{% inputs.xs %}',
            concurrency: 3,
            body: { type: 'task', with: { handler: 'h' }, retry: { maxAttempts: 1 } },
          },
        },
      ]),
    );
    const empty = new Sim(ir, 'r', { handlers: { h: (x) => x } }).start({ xs: [] }).runToRest();
    expect(empty.state.status).toBe('completed');
    expect(empty.output()).toEqual([]);
    const failing = new Sim(ir, 'r', {
      handlers: {
        h: (x) => {
          if (x === 2) throw new SimError('BAD', 'two');
          return x;
        },
      },
    })
      .start({ xs: [1, 2, 3] })
      .runToRest();
    expect(failing.state.status).toBe('failed');
    expect(failing.state.error?.code).toBe('MAP_ITERATION_FAILED');
    invariants(failing);
  });
});

describe('decide: approvals and timers', () => {
  const approvalWf = (withCfg: object) =>
    compile(
      wf(
        [
          { id: 'gate', type: 'approval', with: { approvers: ['ops'], ...withCfg } },
          task('yes', 'echo'),
          task('no', 'echo'),
          task('late', 'echo'),
        ],
        [
          { from: 'gate', to: 'yes', on: 'approved' },
          { from: 'gate', to: 'no', on: 'rejected' },
          { from: 'gate', to: 'late', on: 'timeout' },
        ],
      ),
    );

  it('waits for a person, then follows the approved port', () => {
    const sim = new Sim(approvalWf({}), 'r', { handlers: echo }).start().runToRest();
    expect(sim.state.status).toBe('waiting');
    const [ticket] = sim.openTickets();
    sim.apply({
      type: 'approve',
      ticketId: ticket!,
      decision: 'approved',
      by: 'ada',
      reason: 'fine',
    });
    sim.runToRest();
    expect(sim.state.status).toBe('completed');
    expect(sim.state.nodes.yes!.status).toBe('succeeded');
    expect(sim.state.nodes.no!.status).toBe('skipped');
    expect(sim.content.get(sim.state.nodes.gate!.output!.$cas)).toEqual({
      decision: 'approved',
      by: 'ada',
      reason: 'fine',
    });
    // A second decision on a decided ticket changes nothing.
    expect(
      sim.apply({ type: 'approve', ticketId: ticket!, decision: 'rejected', by: 'bob' }),
    ).toEqual([]);
    invariants(sim);
  });

  it('needs a quorum of approvals; a rejection decides at once', () => {
    const sim = new Sim(approvalWf({ quorum: 2 }), 'r', { handlers: echo }).start().runToRest();
    const [ticket] = sim.openTickets();
    sim.apply({ type: 'approve', ticketId: ticket!, decision: 'approved', by: 'a' });
    expect(sim.state.nodes.gate!.status).toBe('waiting');
    sim.apply({ type: 'approve', ticketId: ticket!, decision: 'rejected', by: 'b' });
    sim.runToRest();
    expect(sim.state.nodes.no!.status).toBe('succeeded');
    invariants(sim);
  });

  it('a timeout with onTimeout reject takes the rejected and timeout ports', () => {
    const sim = new Sim(approvalWf({ timeoutMs: 1000, onTimeout: 'reject' }), 'r', {
      handlers: echo,
    })
      .start()
      .runToRest();
    expect(sim.state.status).toBe('waiting');
    sim.fireNextTimer();
    sim.runToRest();
    expect(sim.state.status).toBe('completed');
    expect(sim.state.nodes.no!.status).toBe('succeeded');
    expect(sim.state.nodes.late!.status).toBe('succeeded');
    expect(sim.state.nodes.yes!.status).toBe('skipped');
    invariants(sim);
  });

  it('escalates on the first timeout and applies the default decision on the second', () => {
    const sim = new Sim(
      approvalWf({
        timeoutMs: 1000,
        onTimeout: 'escalate',
        escalateTo: ['leads'],
        defaultDecision: 'approve',
      }),
      'r',
      { handlers: echo },
    )
      .start()
      .runToRest();
    sim.fireNextTimer();
    expect(sim.types().includes('ApprovalEscalated')).toBe(true);
    expect(sim.state.nodes.gate!.ticket!.approvers).toEqual(['leads']);
    sim.fireNextTimer();
    sim.runToRest();
    expect(sim.state.nodes.yes!.status).toBe('succeeded');
    invariants(sim);
  });

  it('counts distinct approvers: a second approval by the same identity changes nothing', () => {
    const sim = new Sim(approvalWf({ quorum: 2 }), 'r', { handlers: echo }).start().runToRest();
    const [ticket] = sim.openTickets();
    const approve = (by: string) =>
      sim.apply({ type: 'approve', ticketId: ticket!, decision: 'approved', by });
    expect(approve('ada').map((e) => e.type)).toEqual(['ApprovalDecided']);
    expect(approve('ada')).toEqual([]);
    expect(sim.state.nodes.gate!.status).toBe('waiting');
    expect(sim.state.nodes.gate!.ticket!.approvals).toEqual([{ by: 'ada' }]);
    approve('bob');
    expect(sim.state.nodes.gate!.ticket!.decided).toEqual({ decision: 'approved', by: 'bob' });
    sim.runToRest();
    expect(sim.state.nodes.yes!.status).toBe('succeeded');
    invariants(sim);
  });

  it('carries the message to the ticket', () => {
    const sim = new Sim(approvalWf({ message: "{% 'Pay ' & $string(40 + 2) & ' EUR?' %}" }), 'r', {
      handlers: echo,
    })
      .start()
      .runToRest();
    expect(sim.log.find((e) => e.type === 'ApprovalRequested')!.data).toMatchObject({
      message: 'Pay 42 EUR?',
    });
    expect(sim.state.nodes.gate!.ticket!.message).toBe('Pay 42 EUR?');
    invariants(sim);
  });

  it('reassignment replaces the approvers and starts the count afresh', () => {
    const sim = new Sim(approvalWf({ quorum: 2, timeoutMs: 1000, onTimeout: 'reject' }), 'r', {
      handlers: echo,
    })
      .start()
      .runToRest();
    const [ticket] = sim.openTickets();
    const dueAt = sim.state.nodes.gate!.ticket!.timer!.dueAt;
    sim.apply({ type: 'approve', ticketId: ticket!, decision: 'approved', by: 'ada' });
    const before = sim.commands.length;
    const events = sim.apply({
      type: 'reassign',
      ticketId: ticket!,
      approvers: ['group:leads', 'user:cy'],
      by: 'root',
      reason: 'ops is away',
    });
    expect(events).toMatchObject([
      {
        type: 'ApprovalReassigned',
        actor: 'root',
        data: {
          ticketId: ticket,
          approvers: ['group:leads', 'user:cy'],
          by: 'root',
          reason: 'ops is away',
        },
      },
    ]);
    // Nothing to do outside the log: the ticket's new approvers are read from it.
    expect(sim.commands.slice(before)).toEqual([]);
    const t = sim.state.nodes.gate!.ticket!;
    expect(t.approvers).toEqual(['group:leads', 'user:cy']);
    // ada's approval no longer counts; the timeout still stands.
    expect(t.approvals).toEqual([]);
    expect(t.timer?.dueAt).toBe(dueAt);
    sim.apply({ type: 'approve', ticketId: ticket!, decision: 'approved', by: 'cy' });
    expect(sim.state.nodes.gate!.status).toBe('waiting');
    sim.apply({ type: 'approve', ticketId: ticket!, decision: 'approved', by: 'dee' });
    sim.runToRest();
    expect(sim.state.nodes.yes!.status).toBe('succeeded');
    expect(sim.content.get(sim.state.nodes.gate!.output!.$cas)).toEqual({
      decision: 'approved',
      by: 'dee',
      reason: null,
    });
    invariants(sim);
  });

  it('a reassignment of a decided ticket, or to nobody, changes nothing', () => {
    const sim = new Sim(approvalWf({}), 'r', { handlers: echo }).start().runToRest();
    const [ticket] = sim.openTickets();
    const reassign = (approvers: string[], by = 'root') =>
      sim.apply({ type: 'reassign', ticketId: ticket!, approvers, by });
    expect(reassign([])).toEqual([]);
    expect(reassign(['ok', ''])).toEqual([]);
    expect(reassign(['ok'], '')).toEqual([]);
    expect(sim.apply({ type: 'reassign', ticketId: 'nope', approvers: ['x'], by: 'root' })).toEqual(
      [],
    );
    expect(sim.state.nodes.gate!.ticket!.approvers).toEqual(['ops']);
    sim.apply({ type: 'approve', ticketId: ticket!, decision: 'rejected', by: 'ada' });
    expect(reassign(['leads'])).toEqual([]);
    expect(sim.state.nodes.gate!.ticket!.approvers).toEqual(['ops']);
    invariants(sim);
  });

  it('the default decision after escalation is final whatever the quorum, and the fold agrees', () => {
    const sim = new Sim(
      approvalWf({
        quorum: 2,
        timeoutMs: 1000,
        onTimeout: 'escalate',
        escalateTo: ['leads'],
        defaultDecision: 'approve',
      }),
      'r',
      { handlers: echo },
    )
      .start()
      .runToRest();
    const [ticket] = sim.openTickets();
    sim.apply({ type: 'approve', ticketId: ticket!, decision: 'approved', by: 'ada' });
    sim.fireNextTimer();
    expect(sim.state.nodes.gate!.ticket).toMatchObject({ escalated: true, approvers: ['leads'] });
    sim.fireNextTimer();
    const decided = sim.log.filter((e) => e.type === 'ApprovalDecided').at(-1)!;
    expect(decided).toMatchObject({
      actor: 'timeout',
      data: { decision: 'approved', by: 'timeout', timedOut: true },
    });
    const t = sim.state.nodes.gate!.ticket!;
    // The timeout is nobody's approval: ada's stays the only one.
    expect(t.approvals).toEqual([{ by: 'ada' }]);
    expect(t.decided).toEqual({
      decision: 'approved',
      by: 'timeout',
      reason: 'not decided in time (escalate)',
    });
    sim.runToRest();
    expect(sim.state.nodes.gate!.ports).toEqual(['approved', 'timeout']);
    expect(sim.state.nodes.yes!.status).toBe('succeeded');
    expect(sim.state.nodes.late!.status).toBe('succeeded');
    invariants(sim);
  });

  it('a log recorded before timedOut existed folds as it did', () => {
    const sim = new Sim(approvalWf({ timeoutMs: 5, onTimeout: 'reject' }), 'r', {
      handlers: echo,
    })
      .start()
      .runToRest();
    sim.fireNextTimer();
    sim.runToRest();
    const old = sim.log.map((e) => {
      if (e.type !== 'ApprovalDecided') return e;
      const { timedOut: _dropped, ...data } = e.data;
      return { ...e, data };
    });
    expect(old.some((e) => e.type === 'ApprovalDecided' && 'timedOut' in e.data)).toBe(false);
    expect(fold(old, sim.runId)).toEqual(sim.state);
  });

  it('onTimeout fail fails the node', () => {
    const sim = new Sim(approvalWf({ timeoutMs: 5, onTimeout: 'fail' }), 'r', { handlers: echo })
      .start()
      .runToRest();
    sim.fireNextTimer();
    expect(sim.state.status).toBe('failed');
    expect(sim.state.error?.code).toBe('APPROVAL_TIMEOUT');
    invariants(sim);
  });

  it('a timer node waits for its duration', () => {
    const sim = new Sim(
      compile(
        wf(
          [{ id: 'wait', type: 'timer', with: { durationMs: 5000 } }, task('after', 'echo')],
          [{ from: 'wait', to: 'after' }],
        ),
      ),
      'r',
      { handlers: echo },
    );
    sim.start();
    const t0 = sim.now;
    sim.runToRest();
    expect(sim.state.status).toBe('completed');
    expect(sim.now - t0).toBe(5000);
    invariants(sim);
  });
});

describe('decide: child runs, recovery and replay', () => {
  it('a subworkflow starts a child run and continues with its output', () => {
    const ir = compile(
      wf(
        [
          {
            id: 'child',
            type: 'subworkflow',
            with: { workflow: 'greet@1', inputs: { name: '{% inputs.name %}' } },
          },
          task('after', 'echo'),
        ],
        [{ from: 'child', to: 'after' }],
      ),
    );
    const sim = new Sim(ir, 'r', { handlers: echo }).start({ name: 'Ada' });
    const start = sim.commands.find((c) => c.type === 'startChild');
    expect(start).toMatchObject({
      workflow: 'greet@1',
      inputs: { name: 'Ada' },
      parent: { runId: 'r', nodeId: 'child' },
    });
    const childRunId = (start as { childRunId: string }).childRunId;
    sim.apply({
      type: 'childFinished',
      childRunId,
      status: 'completed',
      output: sim.put('hello Ada'),
    });
    sim.runToRest();
    expect(sim.state.status).toBe('completed');
    expect(sim.output()).toEqual({ child: 'hello Ada' });
    invariants(sim);
  });

  it('recover re-dispatches in-flight jobs and re-arms timers without new events for finished nodes', () => {
    const ir = compile(wf([task('a', 'echo'), task('b', 'echo')], [{ from: 'a', to: 'b' }]));
    const sim = new Sim(ir, 'r', { handlers: echo }).start({ x: 1 });
    sim.step(); // a done, b dispatched
    // The process dies: a new shell folds the log and recovers.
    const again = new Sim(ir, 'r', { handlers: echo });
    for (const [k, v] of sim.content) again.content.set(k, v);
    again.state = fold(sim.log, 'r');
    again.log.push(...sim.log);
    const events = again.apply({ type: 'recover' });
    expect(events).toEqual([]);
    expect(again.jobs.map((j) => j.nodeId)).toEqual(['b']);
    again.runToRest();
    expect(again.state.status).toBe('completed');
    expect(
      again.log.filter((e) => e.type === 'NodeScheduled' && e.data.nodeId === 'a'),
    ).toHaveLength(1);
    invariants(again);
  });

  it('replay reuses upstream results and, in freeze mode, unchanged downstream ones', () => {
    const ir = compile(
      wf(
        [task('a', 'count'), task('b', 'count'), task('c', 'count')],
        [
          { from: 'a', to: 'b' },
          { from: 'b', to: 'c' },
        ],
      ),
    );
    let calls = 0;
    const handlers = { count: () => ({ fixed: true, n: ++calls > 0 }) };
    const original = new Sim(ir, 'orig', { handlers }).start().runToRest();
    expect(calls).toBe(3);
    const recorded = Object.fromEntries(
      Object.entries(original.state.nodes).map(([id, n]) => [
        id,
        {
          outcome: 'succeeded' as const,
          output: n.output!,
          route: n.route!,
          ports: n.ports!,
          inputHash: n.inputHash!,
        },
      ]),
    );
    const freeze = new Sim(ir, 'replay', { handlers });
    for (const [k, v] of original.content) freeze.content.set(k, v);
    freeze
      .start({}, { replay: { of: 'orig', fromNode: 'b', mode: 'freeze', recorded } })
      .runToRest();
    expect(freeze.state.status).toBe('completed');
    expect(calls).toBe(4); // only b ran again
    expect(freeze.state.nodes.a!.reused).toBe('recorded');
    expect(freeze.state.nodes.c!.reused).toBe('frozen');

    const live = new Sim(ir, 'replay2', { handlers });
    for (const [k, v] of original.content) live.content.set(k, v);
    live.start({}, { replay: { of: 'orig', fromNode: 'b', mode: 'live', recorded } }).runToRest();
    expect(calls).toBe(6); // b and c ran again
    invariants(live);
  });
});
