import type { Bus, OutgoingMessage } from './port.js';

/**
 * Publishes `messages` in order on `bus`: in one `publishMany` where the adapter has it, else one
 * `publish` after another (each call made before the previous resolves, as every adapter keeps
 * call order).
 */
export function publishAll(bus: Bus, messages: readonly OutgoingMessage[]): Promise<string[]> {
  if (messages.length === 0) return Promise.resolve([]);
  if (bus.publishMany) return bus.publishMany(messages);
  return Promise.all(messages.map((m) => bus.publish(m.topic, m.key, m.value, m.headers)));
}
