// The hitl service's composition root (ARCHITECTURE §7): serves aob.v1.Approvals (List, Decide,
// Reassign) over gRPC on AOB_HITL_PORT, for the principal of each call's bearer token. It holds no
// state and runs no loop: tickets live in the runs' logs (PostgreSQL), timeouts and escalations
// are durable timers the orchestrators fire, and every decision or reassignment goes to the run's
// owner as a run command on the bus (the ApprovalDesk in @aob/control has the rules). Any number
// of replicas can run.
import type { Adapters, Component, ServiceConfig } from '@aob/engine';
import { clusterRunControl } from '@aob/engine';
import type { GrpcServer } from '@aob/control';
import {
  ApprovalDesk,
  ControlPlane,
  approvalsService,
  authenticate,
  serveGrpc,
} from '@aob/control';

export interface HitlComponent extends Component {
  /** The gRPC port bound (AOB_HITL_PORT=0 picks a free one). */
  readonly grpcPort: number;
}

export async function startHitl(
  config: ServiceConfig,
  adapters: Adapters,
  opts: { host?: string } = {},
): Promise<HitlComponent> {
  const store = await adapters.events();
  const control = clusterRunControl({
    events: store,
    content: adapters.content,
    bus: adapters.bus,
    // Waits wake on what an orchestrator in this process commits; other runs are polled.
    ...(adapters.committed ? { changes: adapters.committed.changes } : {}),
  });
  const plane = new ControlPlane({ control, store, approvals: new ApprovalDesk({ control }) });
  let server: GrpcServer;
  try {
    server = await serveGrpc(
      [approvalsService({ control: plane, authenticate: (header) => authenticate(store, header) })],
      { port: config.hitlPort, ...(opts.host !== undefined ? { host: opts.host } : {}) },
    );
  } catch (err) {
    throw new Error(
      `hitl: cannot listen on AOB_HITL_PORT ${config.hitlPort}: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
  let stopped: Promise<void> | undefined;
  return {
    name: 'hitl',
    grpcPort: server.port,
    ready: () => stopped === undefined,
    // Calls in hand finish (a decision waits at most 10 s for its run's owner), then it closes.
    stop: () => (stopped ??= server.stop(12_000)),
  };
}
