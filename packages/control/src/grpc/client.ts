// A typed client of a protobuf-es service over @grpc/grpc-js: unary methods return promises,
// server-streaming methods async iterables; requests may be plain objects (init shapes).
import type { MessageInitShape } from '@bufbuild/protobuf';
import { create } from '@bufbuild/protobuf';
import type { GenService, GenServiceMethods } from '@bufbuild/protobuf/codegenv2';
import type {
  CallOptions as GrpcCallOptions,
  ChannelCredentials,
  ChannelOptions,
  ClientReadableStream,
  ServiceError,
} from '@grpc/grpc-js';
import { credentials, makeGenericClientConstructor, Metadata } from '@grpc/grpc-js';
import type { RequestInit, ResponseOf } from './definition.js';
import { serviceDefinition } from './definition.js';

export interface CallOptions {
  /** Request metadata: a Metadata, or plain `key → value` pairs (`authorization`, …). */
  metadata?: Metadata | Readonly<Record<string, string>>;
  /** Fails the call with DEADLINE_EXCEEDED after this long. */
  timeoutMs?: number;
  /** Cancels the call (CANCELLED) when it aborts. */
  signal?: AbortSignal;
}

export type UnaryCall<M extends GenServiceMethods[string]> = (
  request: RequestInit<M>,
  options?: CallOptions,
) => Promise<ResponseOf<M>>;

export type ServerStreamCall<M extends GenServiceMethods[string]> = (
  request: RequestInit<M>,
  options?: CallOptions,
) => AsyncIterable<ResponseOf<M>>;

export type ServiceClient<M extends GenServiceMethods> = {
  [K in keyof M]: M[K]['methodKind'] extends 'unary'
    ? UnaryCall<M[K]>
    : M[K]['methodKind'] extends 'server_streaming'
      ? ServerStreamCall<M[K]>
      : never;
} & {
  /** Closes the channel; calls in flight fail with CANCELLED or UNAVAILABLE. */
  close(): void;
};

export interface ClientOptions {
  /** Default: insecure (inside the cluster; TLS ends at the ingress). */
  credentials?: ChannelCredentials;
  channelOptions?: ChannelOptions;
}

function metadataOf(given: CallOptions['metadata']): Metadata {
  if (given instanceof Metadata) return given;
  const md = new Metadata();
  for (const [k, v] of Object.entries(given ?? {})) md.set(k, v);
  return md;
}

function grpcOptions(options: CallOptions | undefined): GrpcCallOptions {
  return options?.timeoutMs !== undefined ? { deadline: Date.now() + options.timeoutMs } : {};
}

type Raw = Record<
  string,
  (request: unknown, metadata: Metadata, options: GrpcCallOptions, ...rest: unknown[]) => unknown
>;

/** A client of `service` at `address` (`host:port`). Errors are grpc-js ServiceErrors. */
export function createClient<M extends GenServiceMethods>(
  service: GenService<M>,
  address: string,
  opts: ClientOptions = {},
): ServiceClient<M> {
  const Ctor = makeGenericClientConstructor(serviceDefinition(service), service.typeName);
  const raw = new Ctor(
    address,
    opts.credentials ?? credentials.createInsecure(),
    opts.channelOptions ?? {},
  ) as unknown as Raw & { close(): void };
  const client: Record<string, unknown> = { close: () => raw.close() };
  for (const method of service.methods) {
    if (method.localName === 'close') {
      throw new Error(`${service.typeName} has a method named close; the client needs that name`);
    }
    const call = raw[method.localName]!.bind(raw);
    const message = (init: unknown) =>
      create(method.input, init as MessageInitShape<typeof method.input>);
    if (method.methodKind === 'unary') {
      client[method.localName] = (request: unknown, options?: CallOptions) =>
        new Promise((resolve, reject) => {
          const pending = call(
            message(request),
            metadataOf(options?.metadata),
            grpcOptions(options),
            (err: ServiceError | null, response: unknown) =>
              err ? reject(err) : resolve(response),
          ) as { cancel(): void };
          options?.signal?.addEventListener('abort', () => pending.cancel(), { once: true });
        });
    } else if (method.methodKind === 'server_streaming') {
      client[method.localName] = (request: unknown, options?: CallOptions) =>
        stream(
          () =>
            call(
              message(request),
              metadataOf(options?.metadata),
              grpcOptions(options),
            ) as ClientReadableStream<unknown>,
          options?.signal,
        );
    }
  }
  return client as ServiceClient<M>;
}

/**
 * The responses of a server stream, lazily: the call starts on the first `next()`. Leaving the
 * loop early (break, throw, signal) cancels the call, so the server stops producing.
 */
async function* stream(
  open: () => ClientReadableStream<unknown>,
  signal: AbortSignal | undefined,
): AsyncGenerator<never> {
  const call = open();
  const cancel = () => call.cancel();
  signal?.addEventListener('abort', cancel, { once: true });
  let finished = false;
  try {
    for await (const response of call) yield response as never;
    finished = true;
  } finally {
    signal?.removeEventListener('abort', cancel);
    if (!finished) call.cancel();
  }
}
