// The spans of a run (ARCHITECTURE §10), with `@opentelemetry/api` only: the SDK, when one is
// configured, is set up by the composition roots (telemetry/setup.ts). With none, every call here
// goes to the API's no-op tracer, and a run still gets a W3C trace context of its own (not
// sampled), so that its id travels with its messages and is in its RunStarted.
//
// One trace per run: the run's trace context is made when it starts and recorded in RunStarted's
// `traceparent`; every later span of the run takes its parent from there (read back from the log,
// never held across a wait), from a message's `traceparent` header, or from a job's.
import { createHash, randomBytes } from 'node:crypto';
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  context,
  propagation,
  trace,
} from '@opentelemetry/api';
import type { Attributes, Context, Link, Span, SpanContext, Tracer } from '@opentelemetry/api';
import type { NodeJob, Trigger } from '@aob/core';
import { toErrorData } from '@aob/core';
import type { Bus, BusMessage, Headers } from '@aob/bus';
import { KafkaBus, MemoryBus, RedisStreamsBus } from '@aob/bus';
import { isNodeSuspension } from '../executors/suspension.js';
import { withRunContext } from './run-context.js';

/** The instrumentation scope of every aob span. */
export const TRACER_NAME = 'aob';

/** The W3C header (and the field of RunStarted, NodeJob) that carries a trace context. */
export const TRACEPARENT = 'traceparent';

/** Asked for each time: a test may install and remove providers. */
export function tracer(): Tracer {
  return trace.getTracer(TRACER_NAME);
}

const TRACEPARENT_FORMAT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** A W3C `traceparent` (version 00) as a remote span context; undefined if it is none. */
export function parseTraceparent(value: unknown): SpanContext | undefined {
  if (typeof value !== 'string') return undefined;
  const m = TRACEPARENT_FORMAT.exec(value.trim());
  if (!m) return undefined;
  const sc: SpanContext = {
    traceId: m[1]!,
    spanId: m[2]!,
    traceFlags: parseInt(m[3]!, 16) & TraceFlags.SAMPLED,
    isRemote: true,
  };
  return trace.isSpanContextValid(sc) ? sc : undefined;
}

/** `00-<trace id>-<span id>-<flags>`; undefined for a missing or invalid span context. */
export function formatTraceparent(sc: SpanContext | undefined): string | undefined {
  if (!sc || !trace.isSpanContextValid(sc)) return undefined;
  const flags = sc.traceFlags & TraceFlags.SAMPLED ? '01' : '00';
  return `00-${sc.traceId}-${sc.spanId}-${flags}`;
}

/**
 * The trace context of a run whose RunStarted records none (started before runs were traced):
 * one derived from its id, so that its later spans still make one trace.
 */
export function derivedTraceparent(runId: string): string {
  const h = createHash('sha256').update(`aob.run:${runId}`).digest('hex');
  return `00-${h.slice(0, 32)}-${h.slice(32, 48)}-01`;
}

/** Contexts by `traceparent`: a run's is asked for at each of its decisions and messages. */
const contexts = new Map<string, Context>();
const MAX_CONTEXTS = 4_096;

/** A context whose parent is the `traceparent` given (the root context if it is none). */
export function contextOf(traceparent: string | undefined): Context {
  if (traceparent === undefined) return ROOT_CONTEXT;
  let ctx = contexts.get(traceparent);
  if (ctx === undefined) {
    const sc = parseTraceparent(traceparent);
    ctx = sc ? trace.setSpanContext(ROOT_CONTEXT, sc) : ROOT_CONTEXT;
    // Contexts are immutable, so any may be shared; the bound only caps the memory.
    if (contexts.size >= MAX_CONTEXTS) contexts.clear();
    contexts.set(traceparent, ctx);
  }
  return ctx;
}

/** The `traceparent` of a context's span, if it has a valid one. */
export function traceparentOf(ctx: Context): string | undefined {
  return formatTraceparent(trace.getSpanContext(ctx));
}

/** Whether a context carries a valid span context (a parent to give spans). */
function hasSpan(ctx: Context | undefined): ctx is Context {
  const sc = ctx && trace.getSpanContext(ctx);
  return !!sc && trace.isSpanContextValid(sc);
}

/** The traceparent of `span`, else of the context it was started in (no SDK: a no-op span). */
function traceparentOfSpan(span: Span, parent: Context): string | undefined {
  return formatTraceparent(span.spanContext()) ?? traceparentOf(parent);
}

/** Marks a span failed with the error's code (`error.type`) and message. */
export function failSpan(span: Span, err: unknown): void {
  const data = toErrorData(err);
  span.setAttribute('error.type', data.code);
  span.setStatus({ code: SpanStatusCode.ERROR, message: data.message.slice(0, 500) });
}

/**
 * Random bytes for the trace ids of untraced runs, drawn a block at a time: a `randomBytes` call
 * per id was 2 % of a local engine's time with a thousand runs starting at once.
 */
const RANDOM_BLOCK = 4_096;
let randomPool = Buffer.alloc(0);
let randomAt = 0;

/** `bytes` fresh random bytes as hex (each byte of the pool is used once). */
function randomHex(bytes: number): string {
  if (randomAt + bytes > randomPool.length) {
    randomPool = randomBytes(RANDOM_BLOCK);
    randomAt = 0;
  }
  const hex = randomPool.toString('hex', randomAt, randomAt + bytes);
  randomAt += bytes;
  return hex;
}

// ---------------------------------------------------------------------------------------------
// Runs

export interface RunTrace {
  /** What RunStarted records: every later span of the run is under it. */
  traceparent: string;
  /** The run's root span (`aob.run <workflow>`): it covers the start; end it once started. */
  span: Span;
  /** A context with the run's span active. */
  context: Context;
}

export interface RunSpanAttributes {
  runId: string;
  workflow: { name: string; version: string };
  namespace?: string;
  parentRunId?: string;
  /** A replay's original run. */
  replayOf?: string;
}

/**
 * Starts a run's trace: the span `aob.run <workflow>` under `parent` (the active context by
 * default: an outside caller's trace continues into the run), or a new trace (`root`) linked to
 * `links` (a replay's original run). With no SDK, or a sampler that drops it, the run still gets a
 * trace context: a fresh one, not sampled, when the span has none.
 */
export function startRunTrace(
  attrs: RunSpanAttributes,
  opts: { parent?: Context; links?: SpanContext[]; root?: boolean } = {},
): RunTrace {
  const parent = opts.root ? ROOT_CONTEXT : (opts.parent ?? context.active());
  const attributes: Attributes = {
    'aob.run.id': attrs.runId,
    'aob.workflow.name': attrs.workflow.name,
    'aob.workflow.version': attrs.workflow.version,
  };
  if (attrs.namespace !== undefined) attributes['aob.namespace'] = attrs.namespace;
  if (attrs.parentRunId !== undefined) attributes['aob.run.parent_id'] = attrs.parentRunId;
  if (attrs.replayOf !== undefined) attributes['aob.run.replay_of'] = attrs.replayOf;
  const links: Link[] = (opts.links ?? []).map((l) => ({ context: l }));
  const span = tracer().startSpan(
    `aob.run ${attrs.workflow.name}`,
    { kind: SpanKind.INTERNAL, attributes, ...(links.length > 0 ? { links } : {}) },
    parent,
  );
  const traceparent =
    traceparentOfSpan(span, parent) ??
    formatTraceparent({
      traceId: randomHex(16),
      spanId: randomHex(8),
      traceFlags: TraceFlags.NONE,
    })!;
  const spanContext = trace.isSpanContextValid(span.spanContext())
    ? trace.setSpan(parent, span)
    : contextOf(traceparent);
  return { traceparent, span, context: spanContext };
}

// ---------------------------------------------------------------------------------------------
// Decisions

/** The node a trigger is about, when it is about one. */
function nodeOfTrigger(t: Trigger): { nodeId?: string; attempt?: number } {
  const x = t as { nodeId?: unknown; attempt?: unknown };
  return {
    ...(typeof x.nodeId === 'string' ? { nodeId: x.nodeId } : {}),
    ...(typeof x.attempt === 'number' ? { attempt: x.attempt } : {}),
  };
}

/**
 * The span of one trigger's decision, `aob.decide <trigger type>`, under the run's trace context;
 * linked to the message that brought the trigger, when one did.
 */
export function startDecideSpan(run: Context, trigger: Trigger, origin?: SpanContext): Span {
  const { nodeId, attempt } = nodeOfTrigger(trigger);
  const attributes: Attributes = { 'aob.trigger.type': trigger.type };
  if (nodeId !== undefined) attributes['aob.node.id'] = nodeId;
  if (attempt !== undefined) attributes['aob.node.attempt'] = attempt;
  return tracer().startSpan(
    `aob.decide ${trigger.type}`,
    { kind: SpanKind.INTERNAL, attributes, ...(origin ? { links: [{ context: origin }] } : {}) },
    run,
  );
}

// ---------------------------------------------------------------------------------------------
// The bus (messaging semantic conventions)

/** `messaging.system` of a bus adapter (the in-process bus makes no messaging spans). */
export function messagingSystem(bus: Bus): string {
  if (bus instanceof KafkaBus) return 'kafka';
  if (bus instanceof RedisStreamsBus) return 'redis';
  return 'aob';
}

/**
 * Whether a bus is the engine's own in-process one. A hop on it is a function call in one
 * process, not messaging: it gets no publish or process span (about two thirds of a local run's
 * spans, and most of what tracing cost the local engine); the message still carries its
 * `traceparent`, so the work it starts stays in the trace under the span that sent it.
 */
function inProcess(bus: Bus): boolean {
  return bus instanceof MemoryBus;
}

function messagingAttributes(
  bus: Bus,
  topic: string,
  operation: 'publish' | 'process',
  key: string,
): Attributes {
  return {
    'messaging.system': messagingSystem(bus),
    'messaging.destination.name': topic,
    'messaging.operation.name': operation,
    // `send` is the current name of the type the conventions called `publish` until 1.27.
    'messaging.operation.type': operation === 'publish' ? 'send' : 'process',
    // Every message is keyed by its run.
    'aob.run.id': key,
  };
}

/**
 * Publishes a message in the trace of `parent`: a producer span `publish <topic>` whose context
 * goes in the message's `traceparent` header. Without a parent (a message no run's span caused:
 * a timer's command, a stall sweep's), the message is published as it is, with no span.
 */
export async function publishTraced(
  bus: Bus,
  topic: string,
  key: string,
  value: unknown,
  parent: Context | undefined,
  headers?: Headers,
): Promise<string> {
  if (!hasSpan(parent)) return bus.publish(topic, key, value, headers);
  if (inProcess(bus)) {
    return bus.publish(topic, key, value, { ...headers, [TRACEPARENT]: traceparentOf(parent)! });
  }
  const span = tracer().startSpan(
    `publish ${topic}`,
    { kind: SpanKind.PRODUCER, attributes: messagingAttributes(bus, topic, 'publish', key) },
    parent,
  );
  const traceparent = traceparentOfSpan(span, parent)!;
  try {
    return await bus.publish(topic, key, value, { ...headers, [TRACEPARENT]: traceparent });
  } catch (err) {
    failSpan(span, err);
    throw err;
  } finally {
    span.end();
  }
}

export interface ProcessSpan {
  /** On the in-process bus, the sender's span as a non-recording one (no span is made). */
  span: Span;
  /** A context with the process span active. */
  context: Context;
}

/**
 * A consumer span `process <topic>` for a message, under the context its `traceparent` header
 * carries (else `fallback`, a job's own `traceparent`). Undefined for a message with neither:
 * a span with no parent would open a trace of its own.
 */
export function startProcessSpan(
  bus: Bus,
  msg: BusMessage,
  fallback?: string,
): ProcessSpan | undefined {
  const parent = contextOf(msg.headers?.[TRACEPARENT] ?? fallback);
  if (!hasSpan(parent)) return undefined;
  if (inProcess(bus)) {
    return { span: trace.wrapSpanContext(trace.getSpanContext(parent)!), context: parent };
  }
  const span = tracer().startSpan(
    `process ${msg.topic}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        ...messagingAttributes(bus, msg.topic, 'process', msg.key),
        'messaging.message.id': msg.id,
        'aob.message.deliveries': msg.deliveries,
      },
    },
    parent,
  );
  return { span, context: trace.setSpan(parent, span) };
}

// ---------------------------------------------------------------------------------------------
// Node attempts

/**
 * Runs one node attempt in its span `aob.node <nodeId>` (run, node, type, attempt; its outcome and
 * error code when it ends). `fn` gets the attempt's context, the parent of the spans made inside
 * (an http call's, an LLM's, an agent's); it is also the active context while `fn` runs, though
 * across awaits only where contexts are kept (context-manager.ts). The attempt is the current run
 * context (currentRunContext). Its parent is `parent` (the runner's `process` span, or the span
 * that sent the job on the in-process bus), else the job's `traceparent`.
 */
export async function withNodeSpan<T>(
  job: NodeJob,
  fn: (attempt: Context) => Promise<T>,
  parent: Context = contextOf(job.traceparent),
): Promise<T> {
  const attributes: Attributes = {
    'aob.node.id': job.nodeId,
    'aob.node.type': job.type,
    'aob.node.attempt': job.attempt,
  };
  if (job.iteration !== undefined) attributes['aob.node.iteration'] = job.iteration;
  if (job.resume) attributes['aob.node.resumed_from'] = job.resume.questionId;
  const span = tracer().startSpan(
    `aob.node ${job.nodeId}`,
    { kind: SpanKind.INTERNAL, attributes },
    parent,
  );
  const ids = trace.isSpanContextValid(span.spanContext())
    ? span.spanContext()
    : trace.getSpanContext(parent);
  const ctx = trace.setSpan(parent, span);
  return withRunContext(
    {
      runId: job.runId,
      nodeId: job.nodeId,
      nodeType: job.type,
      attempt: job.attempt,
      ...(job.iteration !== undefined ? { iteration: job.iteration } : {}),
      ...(ids ? { traceId: ids.traceId, spanId: ids.spanId } : {}),
    },
    () =>
      context.with(ctx, async () => {
        try {
          const out = await fn(ctx);
          span.setAttribute('aob.node.outcome', 'succeeded');
          return out;
        } catch (err) {
          if (isNodeSuspension(err)) {
            // Waiting for a person is no failure: the answer sends the same attempt again.
            span.setAttribute('aob.node.outcome', 'suspended');
          } else {
            const data = toErrorData(err);
            span.setAttribute('aob.node.outcome', 'failed');
            span.setAttribute('aob.error.code', data.code);
            failSpan(span, err);
          }
          throw err;
        } finally {
          span.end();
        }
      }),
  );
}

// ---------------------------------------------------------------------------------------------
// Outgoing HTTP (an `http` node's requests)

export interface HttpClientSpan {
  /** The request's headers with the trace context injected (the workflow's own `traceparent` wins). */
  headers: Record<string, string>;
  status(code: number): void;
  fail(err: unknown): void;
  end(): void;
}

/** `url.full` without credentials, and with every query value redacted (they may hold keys). */
function safeUrl(url: URL): string {
  const u = new URL(url.href);
  u.username = '';
  u.password = '';
  for (const key of [...new Set(u.searchParams.keys())]) u.searchParams.set(key, 'REDACTED');
  return u.href;
}

/**
 * A client span for one HTTP request (`GET`, `POST`, …) under `parent` (the node attempt's
 * context), and the request's headers with its context injected by the configured propagators
 * (W3C `traceparent`), so the server called joins the run's trace.
 */
export function startHttpClientSpan(
  method: string,
  url: URL,
  headers: Record<string, string>,
  parent: Context = context.active(),
): HttpClientSpan {
  const port = url.port !== '' ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  const span = tracer().startSpan(
    method,
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'http.request.method': method,
        'url.full': safeUrl(url),
        'server.address': url.hostname,
        'server.port': port,
      },
    },
    parent,
  );
  const carrier: Record<string, string> = {};
  propagation.inject(trace.setSpan(parent, span), carrier);
  const own = new Set(Object.keys(headers).map((h) => h.toLowerCase()));
  const injected = Object.fromEntries(
    Object.entries(carrier).filter(([k]) => !own.has(k.toLowerCase())),
  );
  return {
    headers: { ...headers, ...injected },
    status: (code) => {
      span.setAttribute('http.response.status_code', code);
      if (code >= 400) {
        span.setAttribute('error.type', String(code));
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
    },
    fail: (err) => failSpan(span, err),
    end: () => span.end(),
  };
}

// ---------------------------------------------------------------------------------------------
// Waits

export interface WaitSpan {
  kind: 'approval' | 'question' | 'timer' | 'retry' | 'child';
  /** When the wait began and ended (the times of its events, epoch ms). */
  startedAt: number;
  endedAt: number;
  attributes: Attributes;
}

/**
 * A wait that is over, as a span `aob.wait <kind>` from its start event's time to its end's, made
 * now that it ended: no span is held open across a wait.
 */
export function recordWaitSpan(run: Context, runId: string, wait: WaitSpan): void {
  tracer()
    .startSpan(
      `aob.wait ${wait.kind}`,
      {
        kind: SpanKind.INTERNAL,
        startTime: wait.startedAt,
        attributes: { 'aob.run.id': runId, 'aob.wait.kind': wait.kind, ...wait.attributes },
      },
      run,
    )
    .end(wait.endedAt);
}
