// The fanout's composition root: live timelines over SSE (ARCHITECTURE §7). History comes from the
// event store, live events from `aob.workflow.events` read in a consumer group of this replica's
// own (`aob.fanout.<instance>`), so every replica sees every event; any number of replicas can
// serve the same runs behind a load balancer, and a client that moves between them resumes with
// Last-Event-ID.
import type { Server } from 'node:http';
import type { Adapters, Component, ServiceConfig, Starter } from '@aob/engine';
import type { TokenStore } from '@aob/store';
import type { Authenticate, SseOptions } from '@aob/control';
import {
  TimelineStreams,
  startBusFanout,
  authenticate as bearer,
  listenTimelines,
} from '@aob/control';

export interface FanoutServiceOptions {
  /** How requests are authenticated. Default: the API's bearer tokens, from the event store. */
  authenticate?: (tokens: TokenStore) => Authenticate;
  /** Overrides of the SSE settings read from the environment. */
  sse?: SseOptions;
}

/** The fanout as a `Starter` for runServer, with a chosen authentication. */
export function fanoutStarter(opts: FanoutServiceOptions = {}): Starter {
  return (config, adapters) => startFanout(config, adapters, opts);
}

export async function startFanout(
  config: ServiceConfig,
  adapters: Adapters,
  opts: FanoutServiceOptions = {},
): Promise<Component> {
  const store = await adapters.events();
  const fanout = await startBusFanout({
    store,
    bus: adapters.bus,
    service: 'fanout',
    instance: config.instance,
  });
  const streams = new TimelineStreams(fanout, { ...sseFromEnv(process.env), ...opts.sse });
  const authenticate =
    opts.authenticate?.(store) ?? ((header: string | undefined) => bearer(store, header));
  let server: Server;
  try {
    server = await listenTimelines(streams, authenticate, config.fanoutPort);
  } catch (err) {
    streams.close();
    await fanout.stop();
    throw new Error(
      `fanout: cannot listen on AOB_FANOUT_PORT ${config.fanoutPort}: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
  let stopped: Promise<void> | undefined;
  return {
    name: 'fanout',
    ready: () => fanout.ready(),
    stop: () =>
      (stopped ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        // Streams end with `event: error` (UNAVAILABLE): clients reconnect to another replica.
        await fanout.stop();
        streams.close();
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 1_000).unref();
        await closed;
      })()),
  };
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * AOB_FANOUT_HEARTBEAT_MS (default 15 000) and AOB_FANOUT_MAX_BUFFER_BYTES (default 1 MiB),
 * read here rather than in serviceConfig because only this service has them.
 */
export function sseFromEnv(env: Env): SseOptions {
  const out: SseOptions = {};
  const heartbeat = positive(env, 'AOB_FANOUT_HEARTBEAT_MS', 100, 3_600_000);
  const buffer = positive(env, 'AOB_FANOUT_MAX_BUFFER_BYTES', 4_096, 1 << 30);
  if (heartbeat !== undefined) out.heartbeatMs = heartbeat;
  if (buffer !== undefined) out.maxBufferedBytes = buffer;
  return out;
}

function positive(env: Env, name: string, min: number, max: number): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new Error(`${name} must be an integer from ${min} to ${max}, not "${raw}"`);
  }
  return n;
}
