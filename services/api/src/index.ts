// The API's composition root (ARCHITECTURE §7): REST + SSE for people and the canvas (AOB_API_PORT) and
// gRPC for SDKs (AOB_GRPC_PORT), over
// the control plane on PostgreSQL, the content store and run commands on the bus, and the runner
// queue of runners outside the cluster (cluster/runner-desk.ts). The timelines
// it serves come from a fanout hub in this process (its own consumer group, like a fanout
// replica), so `aob logs stream` needs nothing else. Any number of replicas can run: they hold no
// state of their own.
import { canvasRoot } from '@aob/canvas';
import type { Adapters, Component, ServiceConfig } from '@aob/engine';
import { DraftControl, JobTokenMinter, RunnerDesk, clusterRunControl } from '@aob/engine';
import {
  ApprovalDesk,
  ControlPlane,
  TimelineStreams,
  startBusFanout,
  authenticate,
  createApiServer,
  serveApiGrpc,
} from '@aob/control';
import { createRequire } from 'node:module';
import { serverOptimizer } from './optimizer.js';

const SERVICE_VERSION = (createRequire(import.meta.url)('../package.json') as { version: string })
  .version;

/** How long POST /v1/runs waits for RunStarted before answering 202 (pending). */
const START_WAIT_MS = 800;

export async function startApi(config: ServiceConfig, adapters: Adapters): Promise<Component> {
  // AOB_OPTIMIZE_ON (optimizer.ts): the passes run on registrations or on the runs started here.
  // Read first, so a bad setting stops the service before it opens anything.
  const optimizer = await serverOptimizer(process.env);
  const store = await adapters.events();
  const control = clusterRunControl({
    events: store,
    content: adapters.content,
    bus: adapters.bus,
    // A start answers within a second: 201 once the run is in the log, else 202, the run pending
    // (no orchestrator has taken its command yet, e.g. while they restart).
    startWaitMs: START_WAIT_MS,
    // Waits wake on what an orchestrator in this process commits; other runs are polled.
    ...(adapters.committed ? { changes: adapters.committed.changes } : {}),
  });
  control.optimizeWith(optimizer);
  // Runners outside the cluster take their jobs here (a `runner` token): the queue is in
  // PostgreSQL, their results go on the bus, and each claimed agent job gets a job token minted
  // here as an orchestrator mints one for a job it publishes.
  const runners = new RunnerDesk({
    store,
    content: adapters.content,
    bus: adapters.bus,
    tokens: new JobTokenMinter({
      store,
      now: Date.now,
      instance: config.instance,
      graceMs: config.jobTokenGraceMs,
    }),
  });
  // Drafts of workflows being edited: this replica's feeds hear its own changes at once, and the
  // other replicas' by reading the watched drafts every 500 ms.
  const drafts = new DraftControl({ store, control });
  const plane = new ControlPlane({
    control,
    store,
    approvals: new ApprovalDesk({ control }),
    runners,
    drafts,
  });
  const fanout = await startBusFanout({
    store,
    bus: adapters.bus,
    service: 'api',
    instance: config.instance,
  });
  const timelines = new TimelineStreams(fanout);
  const canvas = canvasRoot();
  const app = await createApiServer({
    plane,
    tokens: store,
    timelines,
    maxBodyBytes: config.apiMaxBodyBytes,
    // aob's MCP server on Streamable HTTP at /mcp, with the same tokens as REST.
    mcp: { version: SERVICE_VERSION, ...config.mcpHostRules },
    // The canvas on the same origin as the API, when the image holds it built.
    ...(canvas ? { canvasRoot: canvas } : {}),
  });
  try {
    await app.listen({ port: config.apiPort, host: '0.0.0.0' });
  } catch (err) {
    timelines.close();
    await fanout.stop();
    throw new Error(
      `api: cannot listen on AOB_API_PORT ${config.apiPort}: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
  // The same operations over gRPC (proto/aob/v1) for SDKs and services, on AOB_GRPC_PORT.
  let grpc;
  try {
    grpc = await serveApiGrpc({
      control: plane,
      authenticate: (header) => authenticate(store, header),
      timelines: fanout,
      port: config.grpcPort,
    });
  } catch (err) {
    timelines.close();
    await fanout.stop();
    await app.close();
    throw new Error(
      `api: cannot serve gRPC on AOB_GRPC_PORT ${config.grpcPort}: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
  const grpcServer = grpc;
  let stopped: Promise<void> | undefined;
  return {
    name: 'api',
    ready: () => fanout.ready(),
    stop: () =>
      (stopped ??= (async () => {
        // Open timelines end with `event: error` (UNAVAILABLE): clients reconnect elsewhere.
        timelines.close();
        drafts.close();
        await fanout.stop();
        await Promise.all([app.close(), grpcServer.stop()]);
      })()),
  };
}
