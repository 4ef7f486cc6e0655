// The Kafka broker of the integration tests. With KAFKA_BROKERS set (docker-compose, a real
// cluster, …) those brokers are used as they are; otherwise a private single-node Kafka is fetched
// from Maven Central and started (kafka/launcher.ts), and stopped when the run ends.
import type { StartedService } from './global-setup.js';
import { launchKafka } from './kafka/launcher.js';

export async function start(): Promise<StartedService> {
  const given = process.env.KAFKA_BROKERS;
  if (given) {
    process.stderr.write(`[kafka] using the brokers at ${given}\n`);
    return { name: 'kafka', env: { KAFKA_BROKERS: given }, stop: async () => {} };
  }
  const kafka = await launchKafka();
  return { name: 'kafka', env: { KAFKA_BROKERS: kafka.brokers }, stop: kafka.stop };
}
