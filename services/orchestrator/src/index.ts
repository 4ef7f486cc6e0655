// The orchestrator's composition root: owns runs — decides, appends events and outbox rows in one
// transaction, relays the outbox, fires durable timers (ARCHITECTURE §7). Several instances share the
// work: Kafka assigns each the runs of its partitions, the outbox and timers are claimed with
// SKIP LOCKED, and a decision made twice is refused by the log's seq guard.
import type { Component, ServiceConfig, Adapters } from '@aob/engine';
import { OrchestratorService, serviceLogger } from '@aob/engine';
import { GrpcPatchValidator } from '@aob/control';

export async function startOrchestrator(
  config: ServiceConfig,
  adapters: Adapters,
): Promise<Component> {
  const killAfter = faultKillAfterCommits(process.env.AOB_FAULT_KILL_AFTER_COMMITS);
  let commits = 0;
  // AOB_VALIDATOR_URL: proposals are judged by the validator service (and wait for it while it is
  // down); without it, by the library in process.
  const validator = config.validatorUrl ? new GrpcPatchValidator(config.validatorUrl) : undefined;
  const service = new OrchestratorService({
    events: await adapters.events(),
    content: adapters.content,
    bus: adapters.bus,
    instance: config.instance,
    stalls: {
      ...config.stalls,
      // A quarter of the quiet time, so a stuck run is nudged soon after it qualifies.
      periodMs: Math.min(15_000, Math.max(250, config.stalls.quietMs / 4)),
    },
    ...(validator ? { validator } : {}),
    jobTokenGraceMs: config.jobTokenGraceMs,
    // A runner in this process takes this orchestrator's jobs straight from it.
    ...(adapters.handoff ? { handoff: adapters.handoff } : {}),
    // The API or HITL service in this process hears what it commits without polling for it.
    ...(adapters.committed ? { onEvents: adapters.committed.publish } : {}),
    ...(killAfter !== undefined
      ? {
          onCommitted: () => {
            // SIGKILL: no handler, no flush, no graceful stop — the outbox rows of this commit
            // (and of any decision committed but not yet relayed) are left for the sweep.
            if (++commits >= killAfter) process.kill(process.pid, 'SIGKILL');
          },
        }
      : {}),
    onError: (err) =>
      serviceLogger().warn(
        { error: err instanceof Error ? err.message : String(err) },
        'orchestrator error',
      ),
  });
  await service.start();
  return {
    name: 'orchestrator',
    ready: () => service.ready,
    stop: async () => {
      await service.stop();
      validator?.close();
    },
  };
}

/**
 * Fault injection for the crash tests (cli/test/cluster-crash.e2e.test.ts), never for production:
 * AOB_FAULT_KILL_AFTER_COMMITS=<n> makes this process SIGKILL itself right after its n-th decision
 * commits, before the outbox relay publishes what it committed — a crash between commit and
 * publish. Read here only (not by serviceConfig), so no other code path can trip it.
 */
function faultKillAfterCommits(raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(`AOB_FAULT_KILL_AFTER_COMMITS must be a positive integer, not "${raw}"`);
  }
  process.emitWarning(`fault injection: this orchestrator SIGKILLs itself after ${n} commits`);
  return n;
}
