// Runs services in one process (DESIGN §7: `aob server --services orchestrator,runner`): builds the
// shared adapters from the configuration, starts each service's component, serves /healthz and
// /readyz, and shuts down gracefully on SIGTERM or SIGINT (readiness goes 503 first, then the
// components stop taking work and finish or release what they hold, then the adapters close).
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Bus } from '@aob/bus';
import { KafkaBus, RedisStreamsBus } from '@aob/bus';
import type { AttemptLedger, ContentStore } from '@aob/store';
import { PgEventStore, S3AttemptLedger, S3ContentStore } from '@aob/store';
import type { ServiceConfig, ServiceName } from './config.js';
import { serviceConfig } from './config.js';

/** What a service's composition root starts: it knows whether it is ready and how to stop. */
export interface Component {
  readonly name: ServiceName;
  ready(): boolean;
  stop(): Promise<void>;
}

/** The adapters a process's services share (one bus client, one content store, one pool). */
export interface Adapters {
  bus: Bus;
  content: ContentStore;
  /**
   * Who runs which node attempt, and how each ended: in the content store's bucket (runners
   * hold its credentials already, and no database's). Absent without a content store.
   */
  attempts?: AttemptLedger;
  /** Opened on first use: only the orchestrator needs the database. */
  events(): Promise<PgEventStore>;
}

export type Starter = (config: ServiceConfig, adapters: Adapters) => Promise<Component>;

export interface Log {
  info(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** One JSON line per entry on stderr (what a container's log collector reads). */
export const jsonLog: Log = {
  info: (message, fields) => line('info', message, fields),
  error: (message, fields) => line('error', message, fields),
};

function line(level: string, message: string, fields?: Record<string, unknown>): void {
  process.stderr.write(
    `${JSON.stringify({ level, time: new Date().toISOString(), message, ...fields })}\n`,
  );
}

export interface RunningServer {
  /** The health port actually bound (AOB_HTTP_PORT=0 picks a free one). */
  port: number;
  ready(): boolean;
  stop(): Promise<void>;
}

export function openAdapters(config: ServiceConfig): Adapters {
  const bus: Bus =
    config.bus.kind === 'kafka'
      ? new KafkaBus({
          brokers: config.bus.brokers,
          prefix: config.bus.prefix,
          sessionTimeout: config.bus.sessionTimeoutMs,
          // For the topics this process creates (existing ones are never resized). The bus takes
          // one count for every topic: the run-owned topics' (AOB_KAFKA_PARTITIONS); the job
          // topics' own (AOB_KAFKA_JOB_PARTITIONS) needs a count per topic (kafkaPartitionsOf).
          // One count for all keeps equal the counts of the topics one group reads together.
          partitions: config.bus.partitions,
          redeliverAfterMs: config.redeliverAfterMs,
          heartbeatInterval: Math.max(100, Math.floor(config.bus.sessionTimeoutMs / 10)),
        })
      : new RedisStreamsBus({
          url: config.bus.url,
          prefix: config.bus.prefix,
          redeliverAfterMs: config.redeliverAfterMs,
        });
  const s3 = config.s3;
  // Without AOB_S3_BUCKET (allowed only for services that read no content: the validator) the
  // content store is one that says so on first use.
  const content: ContentStore = s3
    ? new S3ContentStore({
        bucket: s3.bucket,
        region: s3.region,
        ...(s3.endpoint !== undefined ? { endpoint: s3.endpoint } : {}),
        ...(s3.prefix !== undefined ? { prefix: s3.prefix } : {}),
        ...(s3.credentials ? { credentials: s3.credentials } : {}),
        forcePathStyle: s3.forcePathStyle,
      })
    : noContentStore();
  const attempts = s3
    ? new S3AttemptLedger({
        bucket: s3.bucket,
        region: s3.region,
        ...(s3.endpoint !== undefined ? { endpoint: s3.endpoint } : {}),
        ...(s3.prefix !== undefined ? { prefix: s3.prefix } : {}),
        ...(s3.credentials ? { credentials: s3.credentials } : {}),
      })
    : undefined;
  let events: Promise<PgEventStore> | undefined;
  return {
    bus,
    content,
    ...(attempts ? { attempts } : {}),
    events: () => (events ??= PgEventStore.open({ connectionString: config.databaseUrl! })),
  };
}

function noContentStore(): ContentStore {
  const refuse = () =>
    Promise.reject(new Error('no content store is configured (AOB_S3_BUCKET is not set)'));
  return { put: refuse, get: refuse, has: refuse, close: () => Promise.resolve() };
}

export async function runServer(
  config: ServiceConfig,
  starters: Partial<Record<ServiceName, Starter>>,
  log: Log = jsonLog,
): Promise<RunningServer> {
  const adapters = openAdapters(config);
  const components: Component[] = [];
  let stopping = false;
  const ready = () =>
    !stopping && components.length === config.services.length && components.every((c) => c.ready());
  const http = await serveHealth(config.httpPort, ready);
  try {
    for (const name of config.services) {
      const start = starters[name];
      if (!start) throw new Error(`this build has no ${name} service`);
      components.push(await start(config, adapters));
      log.info('service started', { service: name, instance: config.instance });
    }
  } catch (err) {
    stopping = true;
    await closeAll(components, adapters, http, log);
    throw err;
  }
  let stopped: Promise<void> | undefined;
  return {
    port: (http.address() as AddressInfo).port,
    ready,
    stop: () => {
      stopping = true;
      return (stopped ??= closeAll(components, adapters, http, log));
    },
  };
}

/** Stops on SIGTERM / SIGINT and exits 0 once everything is closed (1 if closing failed). */
export function stopOnSignals(server: RunningServer, log: Log = jsonLog): void {
  const onSignal = (signal: NodeJS.Signals) => {
    log.info('stopping', { signal });
    server.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error('stopping failed', { error: String(err) });
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}

async function closeAll(
  components: readonly Component[],
  adapters: Adapters,
  http: Server,
  log: Log,
): Promise<void> {
  // Components first (they drain into the adapters), in reverse start order.
  for (const c of [...components].reverse()) {
    try {
      await c.stop();
      log.info('service stopped', { service: c.name });
    } catch (err) {
      log.error('service did not stop cleanly', { service: c.name, error: String(err) });
    }
  }
  await adapters.bus.close().catch(() => undefined);
  await adapters.content.close().catch(() => undefined);
  await adapters.attempts?.close().catch(() => undefined);
  await adapters
    .events()
    .then((e) => e.close())
    .catch(() => undefined);
  await new Promise<void>((resolve) => http.close(() => resolve()));
}

async function serveHealth(port: number, ready: () => boolean): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"alive"}');
    } else if (req.method === 'GET' && path === '/readyz') {
      const ok = ready();
      res
        .writeHead(ok ? 200 : 503, { 'content-type': 'application/json' })
        .end(JSON.stringify({ status: ok ? 'ready' : 'not ready' }));
    } else {
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end('{"status":"no such endpoint"}');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '0.0.0.0', () => resolve());
  });
  return server;
}

/**
 * The `main` of a service's own entry point (`node services/<name>/dist/main.js`): reads the
 * environment, runs the one service, stops on signals; exits 1 naming what failed to start.
 */
export async function runServiceMain(name: ServiceName, start: Starter): Promise<void> {
  try {
    const server = await runServer(serviceConfig(process.env, [name]), { [name]: start });
    stopOnSignals(server);
  } catch (err) {
    jsonLog.error(`${name} did not start`, {
      error: err instanceof Error ? err.message : String(err),
    });
    process.exit(1);
  }
}
