// A benchmark's Redis keys (its streams, its attempt ledger), removed when it is done: every key
// under the prefix it gave the bus and the ledger.

/** Deletes every key of `url` whose name starts with `prefix`. */
export async function dropRedisKeys(url, prefix) {
  const { Redis } = await import('ioredis');
  const redis = new Redis(url);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
