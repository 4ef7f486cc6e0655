// Serving a protobuf-es service with @grpc/grpc-js: typed handlers (a unary method returns its
// response, a server-streaming one an async iterable of them), every failure turned into a gRPC
// status by one error mapper, cancellation as an AbortSignal.
import { once } from 'node:events';
import type { DescMethod } from '@bufbuild/protobuf';
import type { GenService, GenServiceMethods } from '@bufbuild/protobuf/codegenv2';
import type {
  Metadata,
  sendUnaryData,
  ServerUnaryCall,
  ServerWritableStream,
  UntypedHandleCall,
  UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { Server, ServerCredentials, status } from '@grpc/grpc-js';
import type { RequestOf, ResponseInit } from './definition.js';
import { serviceDefinition } from './definition.js';

/** What a handler knows about its call besides the request. */
export interface CallContext {
  /** The request metadata (`authorization`, …). */
  readonly metadata: Metadata;
  /**
   * Aborted when the client cancels, the deadline passes or the server shuts down. A handler that
   * waits (a live feed, a long poll) must stop when it aborts.
   */
  readonly signal: AbortSignal;
  readonly peer: string;
  readonly method: DescMethod;
}

export type UnaryHandler<M extends GenServiceMethods[string]> = (
  request: RequestOf<M>,
  ctx: CallContext,
) => Promise<ResponseInit<M>> | ResponseInit<M>;

export type ServerStreamHandler<M extends GenServiceMethods[string]> = (
  request: RequestOf<M>,
  ctx: CallContext,
) => AsyncIterable<ResponseInit<M>>;

/** One handler per rpc of the service; client and bidi streaming are not used by aob.v1. */
export type ServiceHandlers<M extends GenServiceMethods> = {
  [K in keyof M]: M[K]['methodKind'] extends 'unary'
    ? UnaryHandler<M[K]>
    : M[K]['methodKind'] extends 'server_streaming'
      ? ServerStreamHandler<M[K]>
      : never;
};

/** The status a failed call ends with. */
export interface RpcStatus {
  code: status;
  details: string;
  metadata?: Metadata;
}

/** An error that is a gRPC status already (thrown by handlers and by the bridge itself). */
export class RpcError extends Error {
  constructor(
    readonly code: status,
    message: string,
    readonly metadata?: Metadata,
  ) {
    super(message);
    this.name = 'RpcError';
  }
}

/** Turns whatever a handler threw into the status the client receives. */
export type ErrorMapper = (err: unknown, method: DescMethod) => RpcStatus;

/**
 * RpcErrors keep their status; anything else is INTERNAL with its message (the handler's bug or an
 * unreachable dependency — the caller sees what failed, never a blank status).
 */
export const defaultErrorMapper: ErrorMapper = (err, method) => {
  if (err instanceof RpcError) {
    return {
      code: err.code,
      details: err.message,
      ...(err.metadata ? { metadata: err.metadata } : {}),
    };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { code: status.INTERNAL, details: `${method.parent.typeName}/${method.name}: ${message}` };
};

function context(
  call: ServerUnaryCall<unknown, unknown> | ServerWritableStream<unknown, unknown>,
  method: DescMethod,
): { ctx: CallContext; abort: AbortController } {
  const abort = new AbortController();
  // 'cancelled' fires on a client cancel, a passed deadline and a server shutdown alike.
  call.once('cancelled', () =>
    abort.abort(new RpcError(status.CANCELLED, 'the call was cancelled')),
  );
  return {
    abort,
    ctx: { metadata: call.metadata, signal: abort.signal, peer: call.getPeer(), method },
  };
}

function unary(
  method: DescMethod,
  handler: UnaryHandler<GenServiceMethods[string]>,
  mapError: ErrorMapper,
): UntypedHandleCall {
  return (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
    const { ctx } = context(call, method);
    Promise.resolve()
      .then(() => handler(call.request as never, ctx))
      .then(
        (response) => callback(null, response),
        (err: unknown) => callback(mapError(err, method)),
      );
  };
}

function serverStream(
  method: DescMethod,
  handler: ServerStreamHandler<GenServiceMethods[string]>,
  mapError: ErrorMapper,
): UntypedHandleCall {
  return (call: ServerWritableStream<unknown, unknown>) => {
    const { ctx, abort } = context(call, method);
    void (async () => {
      let iterator: AsyncIterator<unknown> | undefined;
      try {
        iterator = handler(call.request as never, ctx)[Symbol.asyncIterator]();
        for (;;) {
          const next = await iterator.next();
          if (next.done || abort.signal.aborted) break;
          // Backpressure: a slow reader holds the handler, not this process's memory.
          if (!call.write(next.value)) await once(call, 'drain', { signal: abort.signal });
        }
        if (!abort.signal.aborted) call.end();
      } catch (err) {
        if (!abort.signal.aborted) call.emit('error', mapError(err, method));
      } finally {
        // The client went away: let the handler's generator run its `finally` (unsubscribe).
        if (abort.signal.aborted) await iterator?.return?.().catch(() => undefined);
      }
    })();
  };
}

/** The grpc-js implementation of `service` from typed handlers. */
export function serviceImplementation<M extends GenServiceMethods>(
  service: GenService<M>,
  handlers: ServiceHandlers<M>,
  mapError: ErrorMapper = defaultErrorMapper,
): UntypedServiceImplementation {
  const impl: UntypedServiceImplementation = {};
  for (const method of service.methods) {
    const handler = (handlers as Record<string, unknown>)[method.localName];
    if (typeof handler !== 'function') {
      throw new Error(`no handler for ${method.parent.typeName}/${method.name}`);
    }
    if (method.methodKind === 'unary') {
      impl[method.localName] = unary(method, handler as UnaryHandler<never>, mapError);
    } else if (method.methodKind === 'server_streaming') {
      impl[method.localName] = serverStream(
        method,
        handler as ServerStreamHandler<never>,
        mapError,
      );
    } else {
      throw new Error(
        `${method.parent.typeName}/${method.name} is ${method.methodKind}: the bridge serves unary and server-streaming methods`,
      );
    }
  }
  return impl;
}

/** A service and its handlers, for `serveGrpc`. */
export interface Registration {
  service: GenService<GenServiceMethods>;
  handlers: object;
  mapError?: ErrorMapper;
}

/** Pairs a service with its handlers (typed), for `serveGrpc`. */
export function register<M extends GenServiceMethods>(
  service: GenService<M>,
  handlers: ServiceHandlers<M>,
  mapError?: ErrorMapper,
): Registration {
  return {
    service: service as unknown as GenService<GenServiceMethods>,
    handlers,
    ...(mapError ? { mapError } : {}),
  };
}

export interface GrpcServer {
  /** The port bound (0 picks a free one). */
  readonly port: number;
  readonly server: Server;
  /** Stops taking calls and waits for the calls in hand (at most `graceMs`, then cancels them). */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Serves `registrations` on `host:port` (insecure credentials: TLS ends at the ingress, ARCHITECTURE §9).
 */
export async function serveGrpc(
  registrations: readonly Registration[],
  opts: { host?: string; port: number; maxMessageBytes?: number },
): Promise<GrpcServer> {
  const max = opts.maxMessageBytes ?? 4 * 1024 * 1024;
  const server = new Server({
    'grpc.max_receive_message_length': max,
    'grpc.max_send_message_length': max,
  });
  for (const r of registrations) {
    server.addService(
      serviceDefinition(r.service),
      serviceImplementation(r.service, r.handlers as never, r.mapError),
    );
  }
  const host = opts.host ?? '0.0.0.0';
  const address = host.includes(':') ? `[${host}]:${opts.port}` : `${host}:${opts.port}`;
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(address, ServerCredentials.createInsecure(), (err, bound) =>
      err
        ? reject(new Error(`gRPC server could not bind ${address}: ${err.message}`))
        : resolve(bound),
    );
  });
  let stopped: Promise<void> | undefined;
  return {
    port,
    server,
    stop: (graceMs = 5_000) =>
      (stopped ??= new Promise<void>((resolve) => {
        const force = setTimeout(() => server.forceShutdown(), graceMs);
        force.unref();
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      })),
  };
}
