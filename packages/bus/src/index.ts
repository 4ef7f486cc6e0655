// Public surface of @aob/bus. The conformance suite (conformance.ts) imports vitest and is
// deliberately not exported here; adapter tests import it by path.
export type { Bus, BusMessage, BusOptions, Headers, OutgoingMessage, ReadOptions } from './port.js';
export { publishAll } from './publish-all.js';
export { BusError, BusErrorCode } from './errors.js';
export { MemoryBus } from './memory.js';
export type { MemoryBusOptions } from './memory.js';
export { RedisStreamsBus } from './redis.js';
export type { RedisStreamsBusOptions } from './redis.js';
export { KafkaBus } from './kafka.js';
export type { KafkaBusOptions } from './kafka.js';
