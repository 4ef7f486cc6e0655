// gRPC (proto/aob/v1): the grpc-js bridge for the generated services, the error mapping, the
// validator service with its client, and the API's services over the control plane.
export { serviceDefinition, methodPath } from './definition.js';
export type { MethodsOf, RequestInit, RequestOf, ResponseInit, ResponseOf } from './definition.js';
export {
  defaultErrorMapper,
  register,
  RpcError,
  serveGrpc,
  serviceImplementation,
} from './server.js';
export type {
  CallContext,
  ErrorMapper,
  GrpcServer,
  Registration,
  RpcStatus,
  ServerStreamHandler,
  ServiceHandlers,
  UnaryHandler,
} from './server.js';
export { createClient } from './client.js';
export type {
  CallOptions,
  ClientOptions,
  ServerStreamCall,
  ServiceClient,
  UnaryCall,
} from './client.js';
export { aobErrorMapper, errorDetailOf, errorTrailers, grpcStatusOf } from './errors.js';
export {
  fromValidatePatchRequest,
  fromValidatePatchResponse,
  GrpcPatchValidator,
  toValidatePatchRequest,
  toValidatePatchResponse,
  validatorHandlers,
} from './validator.js';
export { Validator } from '../generated/aob/v1/validator_pb.js';
// The API's service descriptors, for SDKs: createClient(Runs, address) and the like.
export { Approvals } from '../generated/aob/v1/approvals_pb.js';
export { Identity } from '../generated/aob/v1/identity_pb.js';
export { Patches } from '../generated/aob/v1/patches_pb.js';
export { Questions } from '../generated/aob/v1/questions_pb.js';
export { Runs } from '../generated/aob/v1/runs_pb.js';
export { Schedules } from '../generated/aob/v1/schedules_pb.js';
export { Timelines } from '../generated/aob/v1/timelines_pb.js';
export { Workflows } from '../generated/aob/v1/workflows_pb.js';
export { apiServices, serveApiGrpc } from './api-server.js';
export type { ApiServicesOptions } from './api-server.js';
export { follow, DEFAULT_MAX_PENDING } from './timelines.js';
export type { TimelineSubscriber } from './timelines.js';
