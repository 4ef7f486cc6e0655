// From a protobuf-es service descriptor to what @grpc/grpc-js serves and calls: one method
// definition per rpc, its path `/<package>.<Service>/<Method>` and its binary codec. The codec is
// protobuf-es's (`toBinary` / `fromBinary`), so the messages on the wire are exactly what any other
// gRPC implementation of proto/aob/v1 reads and writes.
import type { DescMessage, DescMethod, MessageInitShape, MessageShape } from '@bufbuild/protobuf';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import type { GenService, GenServiceMethods } from '@bufbuild/protobuf/codegenv2';
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';

/** The methods of a generated service, by their local (camelCase) name. */
export type MethodsOf<S> = S extends GenService<infer M> ? M : never;

/** A method's request message, as decoded, and what may be given to send it. */
export type RequestOf<M extends GenServiceMethods[string]> = MessageShape<M['input']>;
export type RequestInit<M extends GenServiceMethods[string]> = MessageInitShape<M['input']>;
export type ResponseOf<M extends GenServiceMethods[string]> = MessageShape<M['output']>;
export type ResponseInit<M extends GenServiceMethods[string]> = MessageInitShape<M['output']>;

/** The HTTP/2 path of a method: `/aob.v1.Runs/Start`. */
export function methodPath(method: DescMethod): string {
  return `/${method.parent.typeName}/${method.name}`;
}

function codec(schema: DescMessage) {
  return {
    // `create` returns a message of this schema as it is and completes a partial one (an init
    // shape: absent fields take their defaults), so handlers may return plain objects.
    serialize: (value: unknown): Buffer => {
      const message = create(schema, value as MessageInitShape<DescMessage>);
      const bytes = toBinary(schema, message);
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    },
    deserialize: (bytes: Buffer): unknown => fromBinary(schema, bytes),
  };
}

/**
 * The grpc-js definition of `service`: keyed by each method's local name (what the generic client
 * exposes), with the wire path, streaming flags and protobuf-es codecs.
 */
export function serviceDefinition<M extends GenServiceMethods>(
  service: GenService<M>,
): ServiceDefinition {
  const definition: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const method of service.methods) {
    const request = codec(method.input);
    const response = codec(method.output);
    definition[method.localName] = {
      path: methodPath(method),
      requestStream:
        method.methodKind === 'client_streaming' || method.methodKind === 'bidi_streaming',
      responseStream:
        method.methodKind === 'server_streaming' || method.methodKind === 'bidi_streaming',
      requestSerialize: request.serialize,
      requestDeserialize: request.deserialize,
      responseSerialize: response.serialize,
      responseDeserialize: response.deserialize,
      originalName: method.name,
    };
  }
  return definition;
}
