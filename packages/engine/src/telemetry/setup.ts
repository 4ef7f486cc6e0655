// Tracing's composition-root half (ARCHITECTURE §10): the standard OpenTelemetry variables read
// and checked, and the SDK started from them — by the CLI (local runs, `aob dev`) and by every
// service process (`aob server`, services/*/src/main.ts) — then flushed and shut down as the
// process stops. Exporters are configuration, not code: with OTEL_TRACES_EXPORTER unset or
// `none` nothing is started, nothing of the SDK is even loaded, and every span the engine makes
// goes to the API's no-op tracer. (NodeSDK alone would default to OTLP: the choice is made here.)
// Everything else in the engine uses `@opentelemetry/api` only (telemetry/trace.ts).
import type { Problem } from '@aob/core';
import { AobError } from '@aob/core';
import { context, propagation, trace } from '@opentelemetry/api';
import type { ExportResult } from '@opentelemetry/core';
import type * as TraceBase from '@opentelemetry/sdk-trace-base';
import type {
  ReadableSpan,
  Sampler,
  SpanExporter,
  SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { NodeSDK } from '@opentelemetry/sdk-node';
import { envProblem, isHttpUrl } from '../env-settings.js';
import { newContextManager } from './context-manager.js';

type Env = Readonly<Record<string, string | undefined>>;

export const TRACE_EXPORTERS = ['otlp', 'zipkin', 'console'] as const;
export type TraceExporterName = (typeof TRACE_EXPORTERS)[number];

export const OTLP_PROTOCOLS = ['http/protobuf', 'http/json'] as const;
export type OtlpProtocol = (typeof OTLP_PROTOCOLS)[number];

export const TRACE_SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;
export type TraceSamplerName = (typeof TRACE_SAMPLERS)[number];

/** What the OpenTelemetry variables configure (telemetryConfig). */
export interface TelemetryConfig {
  /** OTEL_TRACES_EXPORTER (a comma list): empty when unset or `none` — tracing is off. */
  exporters: TraceExporterName[];
  /** OTEL_SERVICE_NAME; absent: the process's default (`aob`, `aob-<services>`). */
  serviceName?: string;
  /**
   * OTEL_EXPORTER_OTLP_ENDPOINT (the collector's base URL; spans go to `<it>/v1/traces`, default
   * http://localhost:4318) and OTEL_EXPORTER_OTLP_PROTOCOL (`http/protobuf`, the default, or
   * `http/json`).
   */
  otlp: { tracesUrl: string; protocol: OtlpProtocol };
  /** OTEL_EXPORTER_ZIPKIN_ENDPOINT (default http://localhost:9411/api/v2/spans). */
  zipkin: { url: string };
  /**
   * OTEL_TRACES_SAMPLER (default `parentbased_always_on`) and OTEL_TRACES_SAMPLER_ARG (the ratio of
   * the `traceidratio` samplers, 0 to 1, default 1). A run's sampling is decided once, at its start:
   * every later span of the run follows its parent's.
   */
  sampler: { name: TraceSamplerName; ratio: number };
}

const DEFAULT_OTLP_ENDPOINT = 'http://localhost:4318';
const DEFAULT_ZIPKIN_ENDPOINT = 'http://localhost:9411/api/v2/spans';
/** How long a stopping process waits for its last spans to be exported. */
const SHUTDOWN_TIMEOUT_MS = 5_000;

/** Unset and empty alike mean "not set" (a ConfigMap keeps optional keys empty). */
function setting(env: Env, name: string): string | undefined {
  const v = env[name]?.trim();
  return v === undefined || v === '' ? undefined : v;
}

/**
 * Reads the OpenTelemetry variables; every problem is pushed onto `problems` (BAD_CONFIG, naming
 * the variable), and the defaults stand in for what is wrong.
 */
export function telemetryConfig(env: Env, problems: Problem[]): TelemetryConfig {
  const exporters: TraceExporterName[] = [];
  const listed = (setting(env, 'OTEL_TRACES_EXPORTER') ?? 'none')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '');
  const unknown = listed.filter(
    (s) => s !== 'none' && !(TRACE_EXPORTERS as readonly string[]).includes(s),
  );
  if (unknown.length > 0) {
    problems.push(
      envProblem(
        'OTEL_TRACES_EXPORTER',
        `must be otlp, zipkin, console or none (or a comma list of the first three), not "${unknown.join(',')}"`,
      ),
    );
  } else if (listed.includes('none') && listed.length > 1) {
    problems.push(envProblem('OTEL_TRACES_EXPORTER', 'cannot name none with other exporters'));
  } else {
    for (const s of listed) {
      if (s !== 'none' && !exporters.includes(s as TraceExporterName)) {
        exporters.push(s as TraceExporterName);
      }
    }
  }

  const endpoint = setting(env, 'OTEL_EXPORTER_OTLP_ENDPOINT') ?? DEFAULT_OTLP_ENDPOINT;
  if (!isHttpUrl(endpoint)) {
    problems.push(
      envProblem('OTEL_EXPORTER_OTLP_ENDPOINT', `must be an http(s) URL, not "${endpoint}"`),
    );
  }
  const protocol = (setting(env, 'OTEL_EXPORTER_OTLP_PROTOCOL') ?? 'http/protobuf').toLowerCase();
  if (!(OTLP_PROTOCOLS as readonly string[]).includes(protocol)) {
    problems.push(
      envProblem(
        'OTEL_EXPORTER_OTLP_PROTOCOL',
        `must be http/protobuf or http/json, not "${protocol}"${protocol === 'grpc' ? ' (gRPC is not supported: use http/protobuf on port 4318)' : ''}`,
      ),
    );
  }
  const zipkin = setting(env, 'OTEL_EXPORTER_ZIPKIN_ENDPOINT') ?? DEFAULT_ZIPKIN_ENDPOINT;
  if (!isHttpUrl(zipkin)) {
    problems.push(
      envProblem('OTEL_EXPORTER_ZIPKIN_ENDPOINT', `must be an http(s) URL, not "${zipkin}"`),
    );
  }

  const samplerName = (
    setting(env, 'OTEL_TRACES_SAMPLER') ?? 'parentbased_always_on'
  ).toLowerCase();
  if (!(TRACE_SAMPLERS as readonly string[]).includes(samplerName)) {
    problems.push(
      envProblem(
        'OTEL_TRACES_SAMPLER',
        `must be one of ${TRACE_SAMPLERS.join(', ')}, not "${samplerName}"`,
      ),
    );
  }
  const rawRatio = setting(env, 'OTEL_TRACES_SAMPLER_ARG');
  let ratio = 1;
  if (rawRatio !== undefined) {
    const n = Number(rawRatio);
    if (!Number.isFinite(n) || n < 0 || n > 1) {
      problems.push(
        envProblem('OTEL_TRACES_SAMPLER_ARG', `must be a number from 0 to 1, not "${rawRatio}"`),
      );
    } else {
      ratio = n;
    }
  }

  const serviceName = setting(env, 'OTEL_SERVICE_NAME');
  return {
    exporters,
    ...(serviceName !== undefined ? { serviceName } : {}),
    otlp: {
      tracesUrl: `${endpoint.replace(/\/+$/, '')}/v1/traces`,
      protocol: (OTLP_PROTOCOLS as readonly string[]).includes(protocol)
        ? (protocol as OtlpProtocol)
        : 'http/protobuf',
    },
    zipkin: { url: zipkin },
    sampler: {
      name: (TRACE_SAMPLERS as readonly string[]).includes(samplerName)
        ? (samplerName as TraceSamplerName)
        : 'parentbased_always_on',
      ratio,
    },
  };
}

/** telemetryConfig, or BAD_CONFIG with every problem. */
export function telemetryConfigOrThrow(env: Env): TelemetryConfig {
  const problems: Problem[] = [];
  const config = telemetryConfig(env, problems);
  if (problems.length > 0) {
    throw new AobError(
      'BAD_CONFIG',
      `bad OpenTelemetry configuration: ${problems.map((p) => p.message).join('; ')}`,
      { details: { problems } },
    );
  }
  return config;
}

export interface StartTracingOptions {
  /** `service.name` when OTEL_SERVICE_NAME is not set (default `aob`). */
  serviceName?: string;
  /** `service.instance.id` (AOB_INSTANCE in the services). */
  instance?: string;
  /**
   * Replaces the configured exporters, whatever OTEL_TRACES_EXPORTER says (tracing is on): every
   * span goes to it as it ends. For tests — an `InMemorySpanExporter`, an OTLP exporter pointed at
   * a test receiver.
   */
  exporter?: SpanExporter;
  /** Span processors besides the exporters' (run in the order given, after them). */
  spanProcessors?: SpanProcessor[];
}

export interface Tracing {
  /** Whether an SDK was started (an exporter is configured). */
  readonly enabled: boolean;
  /** Exports what has ended and is not exported yet. */
  flush(): Promise<void>;
  /**
   * Flushes (for at most 5 s: a collector that does not answer does not hold a stopping process)
   * and shuts the SDK down; the process's tracer is the API's no-op one again. Idempotent.
   */
  shutdown(): Promise<void>;
}

const OFF: Tracing = {
  enabled: false,
  flush: () => Promise.resolve(),
  shutdown: () => Promise.resolve(),
};

/** The tracing this process started and has not shut down. */
let current: Tracing | undefined;

/**
 * Starts tracing from the OpenTelemetry variables (`env`, or a config read from them already):
 * the SDK with the exporters of OTEL_TRACES_EXPORTER, the W3C propagators (OTEL_PROPAGATORS),
 * the sampler, and a resource naming the service. With no exporter (and none in `options`),
 * nothing is started or loaded and the handle does nothing. One tracing per process: starting a
 * second while one is on is refused.
 */
export async function startTracing(
  env: Env | TelemetryConfig,
  options: StartTracingOptions = {},
): Promise<Tracing> {
  const config = isConfig(env) ? env : telemetryConfigOrThrow(env);
  if (config.exporters.length === 0 && !options.exporter && !options.spanProcessors?.length) {
    return OFF;
  }
  if (current) {
    throw new AobError('BAD_CONFIG', 'tracing is started already in this process');
  }
  // Loaded only now: a process that traces nothing never loads the SDK.
  const [{ NodeSDK }, base, { defaultResource, resourceFromAttributes }] = await Promise.all([
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/resources'),
  ]);
  const processors: SpanProcessor[] = [];
  if (options.exporter) {
    processors.push(new base.SimpleSpanProcessor(options.exporter));
  } else {
    for (const name of config.exporters) {
      processors.push(new base.BatchSpanProcessor(await exporterOf(name, config)));
    }
  }
  processors.push(...(options.spanProcessors ?? []));
  const serviceName = config.serviceName ?? options.serviceName ?? 'aob';
  const sdk: NodeSDK = new NodeSDK({
    serviceName,
    resource: defaultResource().merge(
      resourceFromAttributes({
        'service.name': serviceName,
        ...(options.instance !== undefined ? { 'service.instance.id': options.instance } : {}),
      }),
    ),
    spanProcessors: processors,
    sampler: samplerOf(config.sampler, base),
    instrumentations: [],
    // aob's own: synchronous until the process keeps contexts across awaits (context-manager.ts).
    contextManager: newContextManager(),
    // Traces only: metrics and logs are not started from their own variables here.
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  const providers = processors;
  let stopped: Promise<void> | undefined;
  const handle: Tracing = {
    enabled: true,
    flush: async () => {
      await Promise.all(providers.map((p) => p.forceFlush()));
    },
    shutdown: () =>
      (stopped ??= (async () => {
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([
            sdk.shutdown().catch(() => undefined),
            new Promise<void>((resolve) => {
              timer = setTimeout(resolve, SHUTDOWN_TIMEOUT_MS);
              timer.unref();
            }),
          ]);
        } finally {
          clearTimeout(timer);
          // The globals go back to the API's no-ops, so tracing may be started again (tests).
          trace.disable();
          context.disable();
          propagation.disable();
          if (current === handle) current = undefined;
        }
      })()),
  };
  current = handle;
  return handle;
}

function isConfig(x: Env | TelemetryConfig): x is TelemetryConfig {
  return Array.isArray((x as { exporters?: unknown }).exporters);
}

async function exporterOf(name: TraceExporterName, config: TelemetryConfig): Promise<SpanExporter> {
  switch (name) {
    case 'otlp': {
      const url = config.otlp.tracesUrl;
      if (config.otlp.protocol === 'http/json') {
        const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
        return new OTLPTraceExporter({ url });
      }
      const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-proto');
      return new OTLPTraceExporter({ url });
    }
    case 'zipkin': {
      const { ZipkinExporter } = await import('@opentelemetry/exporter-zipkin');
      return new ZipkinExporter({ url: config.zipkin.url });
    }
    case 'console':
      return new StderrSpanExporter();
  }
}

function samplerOf(s: TelemetryConfig['sampler'], base: typeof TraceBase): Sampler {
  const ratio = () => new base.TraceIdRatioBasedSampler(s.ratio);
  switch (s.name) {
    case 'always_on':
      return new base.AlwaysOnSampler();
    case 'always_off':
      return new base.AlwaysOffSampler();
    case 'traceidratio':
      return ratio();
    case 'parentbased_always_on':
      return new base.ParentBasedSampler({ root: new base.AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new base.ParentBasedSampler({ root: new base.AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new base.ParentBasedSampler({ root: ratio() });
  }
}

/**
 * `console`: one JSON line per span on stderr — stdout is the CLI's output (`--json` documents),
 * and the services' log lines (telemetry/log.ts).
 */
class StderrSpanExporter implements SpanExporter {
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    for (const s of spans) {
      const sc = s.spanContext();
      process.stderr.write(
        `${JSON.stringify({
          span: s.name,
          traceId: sc.traceId,
          spanId: sc.spanId,
          parentSpanId: s.parentSpanContext?.spanId,
          kind: s.kind,
          start: hrMs(s.startTime),
          durationMs: hrMs(s.duration),
          status: s.status,
          attributes: s.attributes,
          ...(s.links.length > 0 ? { links: s.links.map((l) => l.context) } : {}),
        })}\n`,
      );
    }
    done({ code: 0 });
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

function hrMs([s, ns]: [number, number]): number {
  return s * 1_000 + ns / 1e6;
}
