// The client libraries of the Kafka and Redis adapters, required when an adapter first needs one
// rather than when @aob/bus is imported: a local process imports this package for MemoryBus and
// never loads kafkajs (143 files) or ioredis (39). Both are CommonJS, so `require` returns the
// same module object an `import` would; Node caches it after the first call.
import { createRequire } from 'node:module';
import type * as KafkaJs from 'kafkajs';
import type * as IoRedis from 'ioredis';

const require = createRequire(import.meta.url);

export function kafkajs(): typeof KafkaJs {
  return require('kafkajs') as typeof KafkaJs;
}

export function ioredis(): typeof IoRedis {
  return require('ioredis') as typeof IoRedis;
}
