// The orchestrator's composition root: owns runs — decides, appends events and outbox rows in one
// transaction, relays the outbox, fires durable timers (DESIGN §7). Several instances share the
// work: Kafka assigns each the runs of its partitions, the outbox and timers are claimed with
// SKIP LOCKED, and a decision made twice is refused by the log's seq guard.
import type { Component, ServiceConfig, Adapters } from '@aob/engine';
import { OrchestratorService } from '@aob/engine';

export async function startOrchestrator(
  config: ServiceConfig,
  adapters: Adapters,
): Promise<Component> {
  const service = new OrchestratorService({
    events: await adapters.events(),
    content: adapters.content,
    bus: adapters.bus,
    instance: config.instance,
    onError: (err) =>
      process.emitWarning(`orchestrator: ${err instanceof Error ? err.message : String(err)}`),
  });
  await service.start();
  return { name: 'orchestrator', ready: () => service.ready, stop: () => service.stop() };
}
