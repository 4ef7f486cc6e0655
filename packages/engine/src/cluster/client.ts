// A client of the cluster topology inside a process that holds the adapters (the API service,
// tests, benchmarks): the run operations of `RunControl`, driven by run commands on the bus.
import type { AnyRunEvent, Trigger } from '@aob/core';
import { AobError } from '@aob/core';
import type { Bus } from '@aob/bus';
import type { ContentStore, EventStore } from '@aob/store';
import type { RunView } from '../local/api.js';
import { newId } from '../local/ids.js';
import { RunControl, isOver } from '../control/run-control.js';
import { irLoader } from '../workflows.js';
import { busDriver } from './bus-driver.js';

/** The run operations of a cluster: read from the stores, written as run commands on the bus. */
export function clusterRunControl(deps: {
  events: EventStore;
  content: ContentStore;
  bus: Bus;
  /** See RunControlDeps.startWaitMs. */
  startWaitMs?: number;
}): RunControl {
  return new RunControl({
    store: deps.events,
    content: deps.content,
    loadIr: irLoader(deps.content),
    driver: busDriver(deps.bus),
    now: Date.now,
    newId,
    ...(deps.startWaitMs !== undefined ? { startWaitMs: deps.startWaitMs } : {}),
  });
}

export class ClusterClient {
  readonly control: RunControl;

  constructor(private readonly deps: { events: EventStore; content: ContentStore; bus: Bus }) {
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
        (isOver(summary.status) || (opts.untilSettled && summary.status === 'waiting'))
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
