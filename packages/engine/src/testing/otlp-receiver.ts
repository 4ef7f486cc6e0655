import { createRequire } from 'node:module';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { gunzipSync } from 'node:zlib';

/**
 * A test double for an OpenTelemetry collector's OTLP/HTTP trace receiver: a real HTTP server on
 * 127.0.0.1 taking `POST /v1/traces` as the OTLP exporters send it — `application/x-protobuf`
 * (`http/protobuf`), decoded with the official protos (the `ExportTraceServiceRequest` that
 * opentelemetry-js generated from opentelemetry-proto, shipped in
 * `@opentelemetry/otlp-proto-exporter-base`), or `application/json` (`http/json`, OTLP/JSON) —
 * gzip-compressed or not. Every span received is kept, flattened with its resource and scope, its
 * ids in hex and its attribute values as plain JSON values, whichever encoding it came in.
 */

/** An attribute value as plain JSON: arrays and key-value lists decoded, ints as numbers. */
export type OtlpValue =
  string | number | boolean | null | OtlpValue[] | { [key: string]: OtlpValue };

export type OtlpAttributes = Record<string, OtlpValue>;

/** OTLP's SpanKind numbers (opentelemetry-proto trace.proto). */
export const OtlpSpanKind = {
  UNSPECIFIED: 0,
  INTERNAL: 1,
  SERVER: 2,
  CLIENT: 3,
  PRODUCER: 4,
  CONSUMER: 5,
} as const;

/** OTLP's status codes. */
export const OtlpStatusCode = { UNSET: 0, OK: 1, ERROR: 2 } as const;

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** Absent for a root span. */
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: OtlpAttributes;
  events: { name: string; timeUnixNano: string; attributes: OtlpAttributes }[];
  links: { traceId: string; spanId: string; attributes: OtlpAttributes }[];
  status: { code: number; message?: string };
  /** The resource's attributes (`service.name`, …). */
  resource: OtlpAttributes;
  scope: { name: string; version?: string };
}

export interface ReceivedExport {
  /** `http/protobuf` or `http/json`, from the request's content type. */
  protocol: 'http/protobuf' | 'http/json';
  contentType: string;
  path: string;
  /** The request's headers (OTEL_EXPORTER_OTLP_HEADERS's among them). */
  headers: IncomingHttpHeaders;
  spans: ReceivedSpan[];
}

export interface OtlpReceiver {
  /** What OTEL_EXPORTER_OTLP_ENDPOINT is set to: `http://127.0.0.1:<port>` (spans go to /v1/traces). */
  readonly endpoint: string;
  /** Every export request received, in order. */
  readonly exports: readonly ReceivedExport[];
  /** Every span received, in the order they came. */
  spans(): ReceivedSpan[];
  /** Requests that could not be decoded (answered 400), with why. */
  readonly rejected: readonly { contentType: string; error: string }[];
  /** Resolves with the spans once `done(spans)` holds; rejects after `timeoutMs`. */
  waitFor(done: (spans: ReceivedSpan[]) => boolean, timeoutMs?: number): Promise<ReceivedSpan[]>;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// The generated protos (protobufjs static module, CommonJS)

interface ProtoMessageType {
  decode(reader: Uint8Array): unknown;
  encode(message: unknown): { finish(): Uint8Array };
  create(properties?: Record<string, unknown>): unknown;
  toObject(message: unknown, options: Record<string, unknown>): Record<string, unknown>;
}

interface TraceServiceProtos {
  ExportTraceServiceRequest: ProtoMessageType;
  ExportTraceServiceResponse: ProtoMessageType;
}

let protos: TraceServiceProtos | undefined;

/** The collector's trace service messages, loaded on first use. */
function traceService(): TraceServiceProtos {
  if (!protos) {
    const require = createRequire(import.meta.url);
    const root = require('@opentelemetry/otlp-proto-exporter-base/build/src/generated/root.js') as {
      opentelemetry: { proto: { collector: { trace: { v1: TraceServiceProtos } } } };
    };
    protos = root.opentelemetry.proto.collector.trace.v1;
  }
  return protos;
}

/**
 * An OTLP/HTTP protobuf body (`ExportTraceServiceRequest`) as its proto3 JSON-like object: ids as
 * base64 (protobufjs's bytes-as-String), 64-bit numbers as strings, enums as numbers.
 */
export function decodeProtobufTraces(body: Uint8Array): Record<string, unknown> {
  const { ExportTraceServiceRequest } = traceService();
  return ExportTraceServiceRequest.toObject(ExportTraceServiceRequest.decode(body), {
    longs: String,
    bytes: String,
    enums: Number,
    defaults: false,
    arrays: true,
  });
}

// ---------------------------------------------------------------------------------------------
// Flattening both encodings

type Json = Record<string, unknown>;

/** A span or trace id: hex in OTLP/JSON, base64 from the protobuf decoder. */
function idOf(v: unknown, encoding: 'hex' | 'base64'): string | undefined {
  if (typeof v !== 'string' || v === '') return undefined;
  return encoding === 'hex' ? v.toLowerCase() : Buffer.from(v, 'base64').toString('hex');
}

function valueOf(v: unknown, encoding: 'hex' | 'base64'): OtlpValue {
  const any = (v ?? {}) as Json;
  if (typeof any.stringValue === 'string') return any.stringValue;
  if (typeof any.boolValue === 'boolean') return any.boolValue;
  if (any.intValue !== undefined && any.intValue !== null) return Number(any.intValue);
  if (any.doubleValue !== undefined && any.doubleValue !== null) return Number(any.doubleValue);
  if (any.arrayValue !== undefined && any.arrayValue !== null) {
    const values = ((any.arrayValue as Json).values ?? []) as unknown[];
    return values.map((x) => valueOf(x, encoding));
  }
  if (any.kvlistValue !== undefined && any.kvlistValue !== null) {
    return attributesOf((any.kvlistValue as Json).values, encoding);
  }
  if (typeof any.bytesValue === 'string') {
    return encoding === 'hex'
      ? any.bytesValue
      : Buffer.from(any.bytesValue, 'base64').toString('hex');
  }
  return null;
}

function attributesOf(list: unknown, encoding: 'hex' | 'base64'): OtlpAttributes {
  const out: OtlpAttributes = {};
  for (const kv of (Array.isArray(list) ? list : []) as Json[]) {
    if (typeof kv.key === 'string') out[kv.key] = valueOf(kv.value, encoding);
  }
  return out;
}

const str = (v: unknown): string => (v === undefined || v === null ? '0' : String(v));

/**
 * The spans of an `ExportTraceServiceRequest` object (OTLP/JSON's document, or the protobuf one
 * decoded by decodeProtobufTraces), flattened.
 */
export function spansOf(request: Json, encoding: 'hex' | 'base64'): ReceivedSpan[] {
  const spans: ReceivedSpan[] = [];
  for (const rs of (request.resourceSpans ?? []) as Json[]) {
    const resource = attributesOf((rs.resource as Json | undefined)?.attributes, encoding);
    for (const ss of (rs.scopeSpans ?? []) as Json[]) {
      const s = (ss.scope ?? {}) as Json;
      const scope = {
        name: typeof s.name === 'string' ? s.name : '',
        ...(typeof s.version === 'string' && s.version !== '' ? { version: s.version } : {}),
      };
      for (const span of (ss.spans ?? []) as Json[]) {
        const status = (span.status ?? {}) as Json;
        const parent = idOf(span.parentSpanId, encoding);
        spans.push({
          traceId: idOf(span.traceId, encoding) ?? '',
          spanId: idOf(span.spanId, encoding) ?? '',
          ...(parent !== undefined ? { parentSpanId: parent } : {}),
          name: String(span.name ?? ''),
          kind: Number(span.kind ?? 0),
          startTimeUnixNano: str(span.startTimeUnixNano),
          endTimeUnixNano: str(span.endTimeUnixNano),
          attributes: attributesOf(span.attributes, encoding),
          events: ((span.events ?? []) as Json[]).map((e) => ({
            name: String(e.name ?? ''),
            timeUnixNano: str(e.timeUnixNano),
            attributes: attributesOf(e.attributes, encoding),
          })),
          links: ((span.links ?? []) as Json[]).map((l) => ({
            traceId: idOf(l.traceId, encoding) ?? '',
            spanId: idOf(l.spanId, encoding) ?? '',
            attributes: attributesOf(l.attributes, encoding),
          })),
          status: {
            code: Number(status.code ?? 0),
            ...(typeof status.message === 'string' && status.message !== ''
              ? { message: status.message }
              : {}),
          },
          resource,
          scope,
        });
      }
    }
  }
  return spans;
}

// ---------------------------------------------------------------------------------------------
// The server

/** Starts the receiver on a random port. Close it in `afterEach`/`afterAll`. */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const exports: ReceivedExport[] = [];
  const rejected: { contentType: string; error: string }[] = [];
  const sockets = new Set<Socket>();
  const waiters = new Set<() => void>();

  const server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(err));
      else res.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let body = Buffer.concat(chunks);
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const contentType = String(req.headers['content-type'] ?? '');
    if (req.method !== 'POST' || path !== '/v1/traces') {
      res.writeHead(404).end();
      return;
    }
    const protobuf = contentType.includes('application/x-protobuf');
    try {
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      const spans = protobuf
        ? spansOf(decodeProtobufTraces(body), 'base64')
        : spansOf(JSON.parse(body.toString('utf8')) as Json, 'hex');
      exports.push({
        protocol: protobuf ? 'http/protobuf' : 'http/json',
        contentType,
        path,
        headers: req.headers,
        spans,
      });
    } catch (err) {
      rejected.push({ contentType, error: String(err) });
      res.writeHead(400, { 'content-type': 'text/plain' }).end(`cannot decode: ${String(err)}`);
      return;
    }
    // An ExportTraceServiceResponse with nothing rejected, in the request's encoding.
    if (protobuf) {
      const { ExportTraceServiceResponse } = traceService();
      const answer = Buffer.from(
        ExportTraceServiceResponse.encode(ExportTraceServiceResponse.create({})).finish(),
      );
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end(answer);
    } else {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    }
    for (const wake of waiters) wake();
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const all = () => exports.flatMap((e) => e.spans);

  return {
    endpoint: `http://127.0.0.1:${port}`,
    exports,
    rejected,
    spans: all,
    waitFor(done, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const spans = all();
          if (!done(spans)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(spans);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `otlp-receiver: timed out after ${timeoutMs} ms with ${all().length} span(s): ${all()
                .map((s) => s.name)
                .join(', ')}`,
            ),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
