// The scenarios recorded as golden histories: the examples' workflows, driven by scripted
// handlers that behave like the examples' handler modules.
import type { WorkflowDefinition } from '../../definition/types.js';
import type { Sim } from './sim.js';
import { SimError } from './sim.js';

export interface Scenario {
  name: string;
  definition: WorkflowDefinition;
  play(sim: Sim): void;
  handlers: ConstructorParameters<typeof Sim>[2];
}

const echo = (x: unknown) => x;

export function scenarios(defs: Record<string, WorkflowDefinition>): Scenario[] {
  const approval = (decision: 'approved' | 'rejected' | 'timeout'): Scenario => ({
    name: `approval-${decision}`,
    definition: defs.approval!,
    handlers: {
      handlers: {
        checkExpense: (i) => ({ amount: (i as { amount: number }).amount, ok: true }),
        pay: () => ({ paid: true }),
        notifyRejected: () => ({ notified: true }),
      },
    },
    play(sim) {
      sim.start({ amount: 120, timeoutMs: 1000 }).runToRest();
      if (decision === 'timeout') sim.fireNextTimer();
      else
        sim.apply({
          type: 'approve',
          ticketId: sim.openTickets()[0]!,
          decision,
          by: 'ada',
          reason: 'looked fine',
        });
      sim.runToRest();
    },
  });
  return [
    {
      name: 'fanout',
      definition: defs.fanout!,
      handlers: { handlers: { upper: (w) => String(w).toUpperCase() } },
      play: (sim) =>
        void sim.start({ words: ['alpha', 'beta', 'gamma', 'delta', 'epsilon'] }).runToRest(),
    },
    approval('approved'),
    approval('rejected'),
    approval('timeout'),
    {
      name: 'retry',
      definition: defs.retry!,
      handlers: {
        handlers: {
          flaky: (_i, job) => {
            if (job.attempt < 3)
              throw new SimError('FLAKY', `flaky failure on attempt ${job.attempt}`);
            return { attempts: job.attempt };
          },
        },
      },
      play: (sim) => void sim.start({}).runToRest(),
    },
    {
      name: 'compensate',
      definition: defs.compensate!,
      handlers: {
        handlers: {
          bookHotel: () => ({ hotel: 'H-42' }),
          bookFlight: () => {
            throw new SimError('NO_SEATS', 'no seats left');
          },
          cancelHotel: echo,
        },
      },
      play: (sim) => void sim.start({}).runToRest(),
    },
    {
      name: 'patched',
      definition: defs.approval!,
      handlers: {
        handlers: {
          checkExpense: (i) => ({ amount: (i as { amount: number }).amount, ok: true }),
          pay: () => ({ paid: true }),
          notifyRejected: () => ({ notified: true }),
        },
      },
      play(sim) {
        sim.put(sim.ir.definition);
        sim.start({ amount: 120 }).runToRest();
        const patch = (patchId: string, ops: unknown[]) => ({
          patchId,
          scope: 'run',
          target: sim.runId,
          baseIrHash: sim.ir.irHash,
          ops,
          author: 'agent:auditor',
        });
        // Rejected: a cycle through a finished node. Applied: a new branch off a finished node.
        sim.apply({
          type: 'proposePatch',
          patch: patch('p-bad', [
            { op: 'add', path: '/edges/-', value: { from: 'pay', to: 'check' } },
          ]),
        });
        sim.apply({
          type: 'proposePatch',
          patch: patch('p-audit', [
            {
              op: 'add',
              path: '/nodes/-',
              value: {
                id: 'audit',
                type: 'transform',
                with: { value: '{% nodes.check.output.amount %}' },
              },
            },
            { op: 'add', path: '/edges/-', value: { from: 'check', to: 'audit' } },
          ]),
        });
        sim.runToRest();
        sim.apply({
          type: 'approve',
          ticketId: sim.openTickets()[0]!,
          decision: 'approved',
          by: 'ada',
        });
        sim.runToRest();
      },
    },
    {
      name: 'subworkflow',
      definition: defs.subworkflow!,
      handlers: {},
      play(sim) {
        sim.start({ name: 'Ada' });
        const child = sim.commands.find((c) => c.type === 'startChild') as { childRunId: string };
        sim.apply({
          type: 'childFinished',
          childRunId: child.childRunId,
          status: 'completed',
          output: sim.put('hello, Ada'),
        });
        sim.runToRest();
      },
    },
  ];
}
