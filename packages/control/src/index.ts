// Live timelines over SSE (the API's timeline routes and the fanout service).
export * from './fanout/index.js';
// Identity and authorisation: roles, hashed bearer tokens, the operation table.
export * from './auth/index.js';
// The operations behind REST and gRPC, authorised once.
export { ControlPlane, MAX_WAIT_MS } from './control-plane.js';
export type { ApprovalsPort, ControlPlaneDeps, PatchBody, StartRunBody } from './control-plane.js';
export type { Page, PageRequest } from './paging.js';
// gRPC (proto/aob/v1): the grpc-js bridge, the error mapping, the validator service and client.
export * from './grpc/index.js';
// The REST + SSE API server (fastify) whose routes come from schemas/openapi.json.
export { createApiServer } from './http/server.js';
export type { ApiServerOptions } from './http/server.js';
export { openApiDocument, apiRoutes } from './http/openapi.js';
export { problemOf, statusOf } from './http/problem.js';
// Human approvals: tickets, eligibility, quorum, reassignment (services/hitl).
export * from './hitl/index.js';
