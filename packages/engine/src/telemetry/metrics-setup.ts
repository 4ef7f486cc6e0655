// Metrics' composition-root half (ARCHITECTURE §10): a MeterProvider whose one reader is the
// Prometheus exporter, installed as the global one, so the engine's instruments (metrics.ts,
// `@opentelemetry/api` only) record. The exporter serves no port of its own (`preventServerStart`):
// its request handler answers `GET /metrics` on a server the process has already — every
// service's health port (cluster/server.ts), `aob dev`'s API port. Started by the services always
// and by the CLI only for `aob dev`; a process that never starts it never loads the SDK, and its
// instruments are the API's no-ops.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { metrics } from '@opentelemetry/api';
import type { MeterProvider } from '@opentelemetry/sdk-metrics';
import { AobError } from '@aob/core';

export interface StartMetricsOptions {
  /** `service.name` of the `target_info` series (default `aob`). */
  serviceName?: string;
  /** `service.instance.id` (AOB_INSTANCE in the services). */
  instance?: string;
}

export interface Metrics {
  /** Answers a scrape: the current values as Prometheus text (version 0.0.4). */
  handler(req: IncomingMessage, res: ServerResponse): void;
  /** Uninstalls the provider (the API's no-op meter again). Idempotent. */
  shutdown(): Promise<void>;
}

let current: Metrics | undefined;

/**
 * Installs a MeterProvider with a Prometheus reader as the process's global one. One per process:
 * a second start while one is installed is refused.
 */
export async function startMetrics(options: StartMetricsOptions = {}): Promise<Metrics> {
  if (current) throw new AobError('BAD_CONFIG', 'metrics are started already in this process');
  // Loaded only now: a process without metrics never loads the SDK.
  const [{ MeterProvider: Provider }, { PrometheusExporter }, { resourceFromAttributes }] =
    await Promise.all([
      import('@opentelemetry/sdk-metrics'),
      import('@opentelemetry/exporter-prometheus'),
      import('@opentelemetry/resources'),
    ]);
  const exporter = new PrometheusExporter({
    preventServerStart: true,
    // One scope (`aob`): an `otel_scope_name` label on every series would say nothing.
    withoutScopeInfo: true,
  });
  const provider: MeterProvider = new Provider({
    resource: resourceFromAttributes({
      'service.name': options.serviceName ?? 'aob',
      ...(options.instance !== undefined ? { 'service.instance.id': options.instance } : {}),
    }),
    readers: [exporter],
  });
  if (!metrics.setGlobalMeterProvider(provider)) {
    await provider.shutdown().catch(() => undefined);
    throw new AobError('BAD_CONFIG', 'a MeterProvider is installed already in this process');
  }
  let stopped: Promise<void> | undefined;
  const handle: Metrics = {
    handler: (req, res) => exporter.getMetricsRequestHandler(req, res),
    shutdown: () =>
      (stopped ??= (async () => {
        try {
          await provider.shutdown().catch(() => undefined);
        } finally {
          metrics.disable();
          if (current === handle) current = undefined;
        }
      })()),
  };
  current = handle;
  return handle;
}
