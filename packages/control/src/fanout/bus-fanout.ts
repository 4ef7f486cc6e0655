// A fanout hub fed by `aob.workflow.events` (and the token deltas of `aob.node.deltas`) on a
// service's bus, as both the fanout service and the api (which serves timelines itself) run one:
// a consumer group per process, so every replica sees every event, and failures reported as
// warnings naming the service.
import type { Bus } from '@aob/bus';
import { Fanout } from './hub.js';
import { BusDeltaSource, BusLiveSource } from './live-source.js';
import type { TimelineStore } from './types.js';

export async function startBusFanout(opts: {
  store: TimelineStore;
  bus: Bus;
  /** Names the process's consumer group (`aob.<service>.<instance>`) and its warnings. */
  service: string;
  instance: string;
}): Promise<Fanout> {
  const warn = (what: string) => (err: unknown) =>
    process.emitWarning(
      `${opts.service}: ${what}: ${err instanceof Error ? err.message : String(err)}`,
    );
  const fanout = new Fanout({
    store: opts.store,
    source: new BusLiveSource({
      bus: opts.bus,
      group: `aob.${opts.service}.${opts.instance}`,
      onError: warn('reading aob.workflow.events failed (retrying)'),
    }),
    // A group of its own too: every replica shows every delta of the runs it serves.
    deltas: new BusDeltaSource({
      bus: opts.bus,
      group: `aob.${opts.service}.${opts.instance}.deltas`,
      onError: warn('reading aob.node.deltas failed (retrying)'),
    }),
    onError: warn('store read failed'),
  });
  await fanout.start();
  return fanout;
}
