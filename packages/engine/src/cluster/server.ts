// Runs services in one process (ARCHITECTURE §7: `aob server --services orchestrator,runner`): builds the
// shared adapters from the configuration, starts each service's component, serves /healthz,
// /readyz and /metrics (Prometheus text), logs JSON lines on stdout (pino), and shuts down gracefully on SIGTERM or SIGINT (readiness goes 503 first, then the
// components stop taking work and finish or release what they hold, then the adapters close).
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DELTA_RETENTION, Topic, setServerLimits } from '@aob/core';
import type { Bus } from '@aob/bus';
import { KafkaBus, RedisStreamsBus } from '@aob/bus';
import type { AttemptLedger, ContentStore } from '@aob/store';
import type { S3AttemptLedgerOptions } from '@aob/store';
import {
  PgAttemptLedger,
  PgEventStore,
  RedisAttemptLedger,
  S3AttemptLedger,
  S3ContentStore,
} from '@aob/store';
import type { ServiceConfig, ServiceName } from './config.js';
import { kafkaPartitionsOf, serviceConfig } from './config.js';
import type { Tracing } from '../telemetry/setup.js';
import { startTracing } from '../telemetry/setup.js';
import { enableRunContext } from '../telemetry/run-context.js';
import type { Metrics } from '../telemetry/metrics-setup.js';
import { startMetrics } from '../telemetry/metrics-setup.js';
import { serviceLogger } from '../telemetry/log.js';
import { CommittedEvents } from './committed-events.js';
import { JobHandoff } from './job-handoff.js';

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
   * Who runs which node attempt, and how each ended (AOB_ATTEMPT_LEDGER): in Redis, in
   * PostgreSQL, or in the content store's bucket (runners hold its credentials already, and no
   * database's). Absent with the S3 ledger and no content store.
   */
  attempts?: AttemptLedger;
  /** Opened on first use: only the orchestrator needs the database. */
  events(): Promise<PgEventStore>;
  /**
   * Where an orchestrator and a runner of this process meet (job-handoff.ts): the orchestrator's
   * jobs go straight to the runner, and their results straight back, while both run here.
   */
  handoff?: JobHandoff;
  /**
   * The events this process's orchestrator commits, heard by the waits of its API and HITL
   * services (committed-events.ts), which otherwise see them by polling.
   */
  committed?: CommittedEvents;
  /** Closes what was opened (the database only if something asked for it). */
  close(): Promise<void>;
}

export type Starter = (config: ServiceConfig, adapters: Adapters) => Promise<Component>;

export interface Log {
  info(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/**
 * One JSON line per entry on stdout (what a container's log collector reads), through the
 * process's pino logger (telemetry/log.ts: `level`, `time`, `message`, the fields, and the run's
 * and trace's ids when written inside a run).
 */
export const jsonLog: Log = {
  info: (message, fields) => serviceLogger().info(fields ?? {}, message),
  error: (message, fields) => serviceLogger().error(fields ?? {}, message),
};

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
          ...(config.bus.instanceId !== undefined ? { instanceId: config.bus.instanceId } : {}),
          // For the topics this process creates (existing ones are never resized): the run-owned
          // topics AOB_KAFKA_PARTITIONS, the job topics AOB_KAFKA_JOB_PARTITIONS, so the topics
          // one group reads together have one count.
          partitions: kafkaPartitionsOf(config.bus),
          // Token deltas are for live display only: a minute's worth is all anyone may want.
          topicConfig: (topic): Record<string, string> =>
            topic === Topic.deltas ? { 'retention.ms': String(DELTA_RETENTION.ms) } : {},
          redeliverAfterMs: config.redeliverAfterMs,
          heartbeatInterval: Math.max(100, Math.floor(config.bus.sessionTimeoutMs / 10)),
        })
      : new RedisStreamsBus({
          url: config.bus.url,
          prefix: config.bus.prefix,
          redeliverAfterMs: config.redeliverAfterMs,
          maxLength: (topic) => (topic === Topic.deltas ? DELTA_RETENTION.entries : undefined),
        });
  const s3 = config.s3;
  // Without AOB_S3_BUCKET (allowed only for services that read no content: the validator) the
  // content store is one that says so on first use.
  // One bucket, one set of client options, for the outputs and for the attempt ledger.
  const s3Options = s3 && {
    bucket: s3.bucket,
    region: s3.region,
    ...(s3.endpoint !== undefined ? { endpoint: s3.endpoint } : {}),
    ...(s3.prefix !== undefined ? { prefix: s3.prefix } : {}),
    ...(s3.credentials ? { credentials: s3.credentials } : {}),
    forcePathStyle: s3.forcePathStyle,
  };
  const content: ContentStore = s3Options ? new S3ContentStore(s3Options) : noContentStore();
  const attempts = attemptLedgerOf(config, s3Options);
  let events: Promise<PgEventStore> | undefined;
  return {
    bus,
    content,
    ...(attempts ? { attempts } : {}),
    handoff: new JobHandoff(),
    committed: new CommittedEvents(),
    events: () => (events ??= PgEventStore.open({ connectionString: config.databaseUrl! })),
    close: async () => {
      await bus.close().catch(() => undefined);
      await content.close().catch(() => undefined);
      await attempts?.close().catch(() => undefined);
      await events?.then((e) => e.close()).catch(() => undefined);
    },
  };
}

/**
 * The runners' attempt ledger as AOB_ATTEMPT_LEDGER chooses: in Redis or PostgreSQL (connected on
 * its first claim, so a process that runs no runner never opens the connection), or in the content
 * store's bucket (absent without one).
 */
function attemptLedgerOf(
  config: ServiceConfig,
  s3Options: S3AttemptLedgerOptions | undefined,
): AttemptLedger | undefined {
  const ledger = config.attemptLedger;
  if (ledger.kind === 'redis') {
    return new RedisAttemptLedger({ url: ledger.url, prefix: ledger.prefix, lazyConnect: true });
  }
  // A pool connects on its first query: a process that runs no runner opens no connection.
  if (ledger.kind === 'pg') return new PgAttemptLedger({ connectionString: ledger.url });
  return s3Options ? new S3AttemptLedger(s3Options) : undefined;
}

function noContentStore(): ContentStore {
  const refuse = () =>
    Promise.reject(new Error('no content store is configured (AOB_S3_BUCKET is not set)'));
  return { put: refuse, get: refuse, has: refuse, close: () => Promise.resolve() };
}

export interface RunServerOptions {
  /** Builds each start attempt's adapters (default openAdapters). */
  open?: (config: ServiceConfig) => Adapters;
  /** The pause before start attempt `attempt + 1` (default 1 s doubling to 10 s). */
  retryDelayMs?: (attempt: number) => number;
}

/**
 * Starts the services of `config` and serves /healthz, /readyz and /metrics meanwhile. A start that fails
 * (Kafka, PostgreSQL or S3 not answering yet, a port still held) is undone and tried again on
 * fresh adapters, one log line per failed attempt, until `config.startTimeoutMs` has passed since
 * the first; then the last error is thrown. /readyz answers 503 until every service has started.
 */
export async function runServer(
  config: ServiceConfig,
  starters: Partial<Record<ServiceName, Starter>>,
  log: Log = jsonLog,
  options: RunServerOptions = {},
): Promise<RunningServer> {
  // A service this build lacks will not appear by waiting: refused before anything opens.
  const missing = config.services.find((name) => !starters[name]);
  if (missing) throw new Error(`this build has no ${missing} service`);
  setServerLimits(config.limits);
  serviceLogger().level = config.logLevel;
  // The services' log lines and metrics read which run (and node) they are about.
  enableRunContext();
  // Before anything that makes spans; flushed and shut down last, once the services have stopped.
  const tracing: Tracing = await startTracing(config.telemetry, {
    serviceName: `aob-${config.services.join('-')}`,
    instance: config.instance,
  });
  // Always (GET /metrics on the health port); before the services make their instruments.
  const metrics = await startMetrics({
    serviceName: config.telemetry.serviceName ?? `aob-${config.services.join('-')}`,
    instance: config.instance,
  }).catch((err: unknown) => {
    log.error('metrics not served', { error: err instanceof Error ? err.message : String(err) });
    return undefined;
  });
  const telemetryDown = async () => {
    await metrics?.shutdown();
    await tracing.shutdown();
  };
  const open = options.open ?? openAdapters;
  const delay = options.retryDelayMs ?? ((attempt) => Math.min(1_000 * 2 ** (attempt - 1), 10_000));
  let components: Component[] = [];
  let stopping = false;
  const ready = () =>
    !stopping && components.length === config.services.length && components.every((c) => c.ready());
  let http: Server;
  try {
    http = await serveHealth(config.httpPort, ready, metrics);
  } catch (err) {
    await telemetryDown();
    throw err;
  }
  const giveUpAt = Date.now() + config.startTimeoutMs;
  for (let attempt = 1; ; attempt++) {
    // Fresh adapters per attempt: a client whose first connection failed may not connect again.
    const adapters = open(config);
    const started: Component[] = [];
    components = started;
    try {
      for (const name of config.services) {
        started.push(await starters[name]!(config, adapters));
        log.info('service started', { service: name, instance: config.instance });
      }
      let stopped: Promise<void> | undefined;
      return {
        port: (http.address() as AddressInfo).port,
        ready,
        stop: () => {
          stopping = true;
          return (stopped ??= closeAll(started, adapters, http, log).finally(telemetryDown));
        },
      };
    } catch (err) {
      await closeAll(started, adapters, undefined, log);
      const left = giveUpAt - Date.now();
      const error = err instanceof Error ? err.message : String(err);
      if (left <= 0) {
        stopping = true;
        await closeHealth(http);
        await telemetryDown();
        if (attempt > 1) {
          log.error('start failed; giving up', {
            attempt,
            error,
            startTimeoutMs: config.startTimeoutMs,
          });
        }
        throw err;
      }
      const retryInMs = Math.min(delay(attempt), left);
      log.error('start failed; retrying', {
        attempt,
        error,
        retryInMs,
        giveUpInMs: left,
        services: config.services,
        instance: config.instance,
      });
      await new Promise((resolve) => setTimeout(resolve, retryInMs));
    }
  }
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

/** Stops the components, closes the adapters, then the health server (kept open if undefined). */
async function closeAll(
  components: readonly Component[],
  adapters: Adapters,
  http: Server | undefined,
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
  await adapters.close();
  if (http) await closeHealth(http);
}

function closeHealth(http: Server): Promise<void> {
  return new Promise<void>((resolve) => http.close(() => resolve()));
}

async function serveHealth(
  port: number,
  ready: () => boolean,
  metrics: Metrics | undefined,
): Promise<Server> {
  // Imported here: a process that serves no health port (every CLI command but `aob server`)
  // never loads node:http for it.
  const { createServer } = await import('node:http');
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/metrics') {
      // Prometheus text (telemetry/metrics.ts lists the series); unauthenticated, as the probes.
      if (metrics) metrics.handler(req, res);
      else
        res
          .writeHead(503, { 'content-type': 'application/json' })
          .end('{"status":"metrics not served"}');
    } else if (req.method === 'GET' && path === '/healthz') {
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
