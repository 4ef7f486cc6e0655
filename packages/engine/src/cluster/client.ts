// A client of the cluster topology inside a process that holds the adapters (the API service,
// tests, benchmarks): the run operations of `RunControl`, driven by run commands on the bus.
import type { AnyRunEvent, Trigger } from '@aob/core';
import { AobError } from '@aob/core';
import type { Bus } from '@aob/bus';
import type { ApplicationStore, ContentStore } from '@aob/store';
import type { RunView } from '../app/operations.js';
import { newId } from '../app/ids.js';
import { RunControl, isOver } from '../app/run-control.js';
import type { RunControlDeps } from '../app/run-control.js';
import { irLoader } from '../workflows.js';
import { pollUntil } from '../app/poll.js';
import { busDriver } from './bus-driver.js';

/** The run operations of a cluster: read from the stores, written as run commands on the bus. */
export function clusterRunControl(deps: {
  events: ApplicationStore;
  content: ContentStore;
  bus: Bus;
  /** See RunControlDeps.startWaitMs. */
  startWaitMs?: number;
  /** See RunControlDeps.changes: the events an orchestrator of this process commits. */
  changes?: RunControlDeps['changes'];
}): RunControl {
  return new RunControl({
    store: deps.events,
    content: deps.content,
    loadIr: irLoader(deps.content),
    driver: busDriver(deps.bus),
    now: Date.now,
    newId,
    ...(deps.startWaitMs !== undefined ? { startWaitMs: deps.startWaitMs } : {}),
    ...(deps.changes ? { changes: deps.changes } : {}),
  });
}

export class ClusterClient {
  readonly control: RunControl;

  constructor(
    private readonly deps: { events: ApplicationStore; content: ContentStore; bus: Bus },
  ) {
    this.control = clusterRunControl(deps);
  }

  /** Checks the definition and inputs (nothing is sent when either is bad), stores it, starts. */
  async start(
    definition: unknown,
    inputs: unknown,
    opts: { runId?: string; actor?: string; namespace?: string } = {},
  ): Promise<string> {
    return this.control.start(definition, inputs, opts);
  }

  async send(runId: string, trigger: Trigger): Promise<void> {
    await busDriver(this.deps.bus).deliver(runId, trigger);
  }

  async events(runId: string): Promise<AnyRunEvent[]> {
    return this.deps.events.read(runId);
  }

  async get(runId: string): Promise<RunView> {
    return this.control.get(runId);
  }

  /**
   * Waits until the run is over (or settled: waiting on a person), or throws TIMEOUT. Unlike
   * `RunControl.wait`, a run not started yet is waited for (a start is a command applied later).
   */
  async wait(
    runId: string,
    opts: { timeoutMs?: number; untilSettled?: boolean; pollMs?: number } = {},
  ): Promise<RunView> {
    let status = 'not started';
    const done = await pollUntil(
      async () => {
        const summary = await this.deps.events.getRun(runId);
        if (summary) status = summary.status;
        const settled = opts.untilSettled && summary?.status === 'waiting';
        return summary && (isOver(summary.status) || settled) ? true : undefined;
      },
      { timeoutMs: opts.timeoutMs ?? 60_000, everyMs: opts.pollMs ?? 50 },
    );
    if (!done) throw new AobError('TIMEOUT', `run ${runId} is ${status} after the wait`);
    return this.get(runId);
  }
}
