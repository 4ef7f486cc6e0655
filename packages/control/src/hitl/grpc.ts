// The hitl service's gRPC surface: aob.v1.Approvals alone, with the very handlers the API's gRPC
// server registers (grpc/api-server.ts) over a ControlPlane whose approvals port is the desk — so
// both surfaces authorise, page and map errors alike.
import { Approvals } from '../generated/aob/v1/approvals_pb.js';
import type { ApiServicesOptions } from '../grpc/api-server.js';
import { apiServices } from '../grpc/api-server.js';
import type { Registration } from '../grpc/server.js';

export type ApprovalsServiceOptions = Pick<ApiServicesOptions, 'control' | 'authenticate'>;

/** The Approvals registration (List, Decide, Reassign) for serveGrpc. */
export function approvalsService(opts: ApprovalsServiceOptions): Registration {
  const found = apiServices({ control: opts.control, authenticate: opts.authenticate }).find(
    (r) => r.service.typeName === Approvals.typeName,
  );
  if (!found) throw new Error(`the gRPC API registers no ${Approvals.typeName} service`);
  return found;
}
