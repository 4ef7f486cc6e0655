// A client of the cluster topology without the API service: starts runs and sends commands over
// the bus, reads runs from the store. What `aob` and the tests use until the control plane
// (issue 5) serves the same over HTTP and gRPC.
import type { AnyRunEvent, Trigger } from '@aob/core';
import { AobError, Topic, ValidationError, compileCached, fold } from '@aob/core';
import type { Bus } from '@aob/bus';
import type { ContentStore, EventStore } from '@aob/store';
import type { RunView } from '../local/api.js';
import { runView } from '../local/views.js';
import { newId } from '../local/ids.js';
import type { RunCommand } from './commands.js';

const OVER = new Set(['completed', 'failed', 'cancelled']);

export class ClusterClient {
  constructor(private readonly deps: { events: EventStore; content: ContentStore; bus: Bus }) {}

  /** Checks the definition and inputs (nothing is sent when either is bad), stores it, starts. */
  async start(definition: unknown, inputs: unknown, opts: { runId?: string; actor?: string } = {}) {
    const ir = compileCached(definition);
    const problems = ir.checkInputs(inputs ?? {});
    if (problems.length > 0) throw new ValidationError(problems, 'inputs');
    await this.deps.content.put(ir.definition);
    const runId = opts.runId ?? newId('run');
    const command: RunCommand = {
      type: 'start',
      runId,
      irHash: ir.irHash,
      inputs: inputs ?? {},
      ...(opts.actor !== undefined ? { actor: opts.actor } : {}),
    };
    await this.deps.bus.publish(Topic.commands, runId, command);
    return runId;
  }

  async send(runId: string, trigger: Trigger): Promise<void> {
    const command: RunCommand = { type: 'trigger', runId, trigger };
    await this.deps.bus.publish(Topic.commands, runId, command);
  }

  async events(runId: string): Promise<AnyRunEvent[]> {
    return this.deps.events.read(runId);
  }

  async get(runId: string): Promise<RunView> {
    const events = await this.deps.events.read(runId);
    if (events.length === 0) throw new AobError('RUN_NOT_FOUND', `no run ${runId}`);
    const state = fold(events, runId);
    const output = state.output ? await this.deps.content.get(state.output) : undefined;
    const def = (await this.deps.content.get({
      $cas: state.irHash as `sha256:${string}`,
      size: 0,
    })) as { nodes: { id: string }[] };
    return runView(
      state,
      output,
      def.nodes.map((n) => n.id),
    );
  }

  /** Polls the store until the run is over (or settled: waiting on a person), or the timeout. */
  async wait(
    runId: string,
    opts: { timeoutMs?: number; untilSettled?: boolean; pollMs?: number } = {},
  ): Promise<RunView> {
    const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
    for (;;) {
      const summary = await this.deps.events.getRun(runId);
      if (
        summary &&
        (OVER.has(summary.status) || (opts.untilSettled && summary.status === 'waiting'))
      ) {
        return this.get(runId);
      }
      if (Date.now() > deadline) {
        throw new AobError(
          'TIMEOUT',
          `run ${runId} is ${summary?.status ?? 'not started'} after the wait`,
        );
      }
      await new Promise((r) => setTimeout(r, opts.pollMs ?? 50));
    }
  }
}
