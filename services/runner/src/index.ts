// The runner's composition root: consumes node jobs by priority, executes them with the shared
// executors, writes outputs to the content store, publishes results (ARCHITECTURE §7). Stateless:
// scale it out; a runner that dies leaves its jobs unacknowledged, and they are redelivered. It
// holds bus and S3 credentials and no database's: its agents reach their runs through the API.
import { resolve } from 'node:path';
import { Redis } from 'ioredis';
import type { Adapters, Component, ServiceConfig, TaskHandler } from '@aob/engine';
import {
  DeltaPublisher,
  RedisResultMemo,
  Runner,
  apiAgentHost,
  loadHandlers,
  serviceLogger,
} from '@aob/engine';

export async function startRunner(config: ServiceConfig, adapters: Adapters): Promise<Component> {
  const handlers: Record<string, TaskHandler> = config.handlersFile
    ? await loadHandlers(resolve(config.handlersFile))
    : {};
  // Memoised results (ARCHITECTURE §6): Redis holds `hash(node definition, input) -> $cas` and nothing
  // that cannot be rebuilt; a miss or an unreachable Redis only means the node runs. With Redis,
  // nodes marked `memo: true` are memoised too, whatever AOB_MEMO_TYPES names.
  const redis = config.redisUrl
    ? new Redis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 })
    : undefined;
  // Token deltas of llm and agent nodes go to the timelines on `aob.node.deltas`, never waited
  // for: a slow bus drops the oldest (delta-publisher.ts).
  const log = serviceLogger();
  const deltas = new DeltaPublisher({
    bus: adapters.bus,
    onError: (err) =>
      log.warn(
        { error: err instanceof Error ? err.message : String(err) },
        'runner: token deltas not published',
      ),
  });
  const runner = new Runner({
    ...(redis ? { memo: { store: new RedisResultMemo(redis), types: config.memoTypes } } : {}),
    bus: adapters.bus,
    content: adapters.content,
    options: {
      handlers,
      allowPrivateNetwork: config.allowPrivateNetwork,
      ...(config.llm ? { llm: config.llm } : {}),
      ...(config.search ? { search: config.search } : {}),
      ...(config.mcp ? { mcp: config.mcp } : {}),
      ...(config.workspaceRoot ? { workspaceRoot: config.workspaceRoot } : {}),
      // Agents reach their run through the API with their job's token (AOB_API_URL); without
      // it, agent nodes fail with AGENT_NOT_CONFIGURED.
      ...(config.apiUrl ? { agentHost: apiAgentHost({ apiUrl: config.apiUrl }) } : {}),
    },
    onDelta: (job, delta) =>
      deltas.push({
        runId: job.runId,
        nodeId: job.nodeId,
        attempt: job.attempt,
        delta,
        at: Date.now(),
      }),
    // Side work that failed without failing its job (a heartbeat, a memo read or write).
    onError: (err, { job, what }) =>
      log.warn(
        {
          runId: job.runId,
          nodeId: job.nodeId,
          attempt: job.attempt,
          what,
          error: err instanceof Error ? err.message : String(err),
        },
        `runner: ${what} failed`,
      ),
    // Task handlers' ctx.log lines go to the service log too (with the run's and trace's ids).
    log,
    concurrency: config.runnerConcurrency,
    consumer: config.instance,
    ...(adapters.attempts ? { attempts: { ledger: adapters.attempts } } : {}),
    stopGraceMs: config.runnerStopGraceMs,
    // An orchestrator in this process hands its jobs straight to this runner.
    ...(adapters.handoff ? { handoff: adapters.handoff } : {}),
  });
  await runner.start();
  let stopping = false;
  return {
    name: 'runner',
    ready: () => !stopping && runner.ready,
    stop: async () => {
      stopping = true;
      await runner.stop();
      await deltas.close();
      redis?.disconnect();
    },
  };
}
