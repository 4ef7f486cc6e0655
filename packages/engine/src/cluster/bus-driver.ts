// Drives cluster runs by run commands on `aob.run.commands` (ARCHITECTURE §5): the orchestrator that
// owns the run's partition applies them. Nothing is applied in the sending process.
import { Topic } from '@aob/core';
import type { Bus } from '@aob/bus';
import { context } from '@opentelemetry/api';
import type { RunDriver } from '../app/run-control.js';
import { contextOf, publishTraced } from '../telemetry/trace.js';
import type { RunCommand } from './commands.js';

export function busDriver(bus: Bus): RunDriver {
  return {
    async start(ir, inputs, opts) {
      const command: RunCommand = {
        type: 'start',
        runId: opts.runId,
        irHash: ir.irHash,
        inputs,
        ...(opts.actor !== undefined ? { actor: opts.actor } : {}),
        ...(opts.namespace !== undefined ? { namespace: opts.namespace } : {}),
        ...(opts.replay !== undefined ? { replay: opts.replay } : {}),
        ...(opts.schedule !== undefined ? { schedule: opts.schedule } : {}),
        ...(opts.budget !== undefined ? { budget: opts.budget } : {}),
        ...(opts.traceparent !== undefined ? { traceparent: opts.traceparent } : {}),
      };
      // In the run's trace: the orchestrator's `process` span is a child of this publish.
      await publishTraced(bus, Topic.commands, opts.runId, command, contextOf(opts.traceparent));
      return false; // the owning orchestrator starts it
    },
    async deliver(runId, trigger) {
      const command: RunCommand = { type: 'trigger', runId, trigger };
      await publishTraced(bus, Topic.commands, runId, command, context.active());
      return false;
    },
  };
}
