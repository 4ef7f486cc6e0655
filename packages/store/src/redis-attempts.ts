// An AttemptLedger in Redis, for installations whose runners already reach a Redis server: the
// small install, whose bus is Redis Streams. One hash per attempt, `<prefix>attempts:<path>`,
// holds the outcome (field `outcome`, the JSON of the first one recorded) and a field
// `claim:<owner>` per claimer, holding when its claim lapses (epoch ms by the caller's clock, as
// the S3 ledger's claims do).
//
// Every operation is one Lua script, and Redis runs a script alone: a claim reads the outcome and
// the other claims and writes its own in one step, so of concurrent claimers exactly one sees
// no live claim beside its own. That makes a claim one round trip and an outcome one more,
// where the S3 ledger needs three requests in a step's path (S3 has no compare-and-set that
// every S3 server offers).
//
// Durability is the Redis server's: with `appendonly yes` an outcome survives a restart of Redis
// (up to the last second with `appendfsync everysec`); without persistence a Redis restart forgets
// every outcome, and an attempt the stall watchdog sends again after it may run once more. The
// small install's jobs and results are in the same Redis, so it loses them in the same event.
//
// A hash expires `retainMs` after its last write (default 7 days): ledger entries are never read
// once their run is over, and a run whose job comes back later than that is rare enough to run an
// attempt again rather than keep every entry forever.
import type { Redis } from 'ioredis';
import { createHash } from 'node:crypto';
import type { AttemptKey, AttemptLedger, ClaimAnswer } from './attempts.js';
import { attemptPath, DEFAULT_LEDGER_RETAIN_MS } from './attempts.js';
import { ioredisLibrary } from './client-libraries.js';
import { storeClosed } from './errors.js';

export interface RedisAttemptLedgerOptions {
  /** Used when `redis` is not given. Default redis://127.0.0.1:6379. */
  url?: string;
  /** A client to use (and not close); otherwise one is made from `url`. */
  redis?: Redis;
  /** Connect on the first command rather than at once (a process that may never claim). */
  lazyConnect?: boolean;
  /** Prepended to every key; default 'aob:'. */
  prefix?: string;
  /** How long an attempt's entry is kept after its last write; default 7 days. */
  retainMs?: number;
  now?: () => number;
}

// KEYS[1] the attempt's hash; ARGV: owner, now, ttl, retain.
// Returns {0} claimed, {1, outcome} finished, {2, {owner…}} busy.
const CLAIM = `
local outcome = redis.call('HGET', KEYS[1], 'outcome')
if outcome then return {1, outcome} end
local mine = 'claim:' .. ARGV[1]
local now = tonumber(ARGV[2])
local fields = redis.call('HGETALL', KEYS[1])
local live = {}
for i = 1, #fields, 2 do
  local field = fields[i]
  if field ~= mine and string.sub(field, 1, 6) == 'claim:' then
    if tonumber(fields[i + 1]) > now then
      live[#live + 1] = string.sub(field, 7)
    else
      redis.call('HDEL', KEYS[1], field)
    end
  end
end
if #live > 0 then
  redis.call('HDEL', KEYS[1], mine)
  return {2, live}
end
redis.call('HSET', KEYS[1], mine, now + tonumber(ARGV[3]))
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return {0}
`;

// KEYS[1]; ARGV: owner, until, retain. A claim is not renewed once the attempt has an outcome.
const RENEW = `
if redis.call('HEXISTS', KEYS[1], 'outcome') == 1 then return 0 end
redis.call('HSET', KEYS[1], 'claim:' .. ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`;

// KEYS[1]; ARGV: owner, outcome JSON, retain. The first outcome recorded stays.
const FINISH = `
redis.call('HSETNX', KEYS[1], 'outcome', ARGV[2])
redis.call('HDEL', KEYS[1], 'claim:' .. ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`;

/** A script run by its digest, sent whole the first time a server does not know it. */
class Script {
  private readonly sha: string;
  constructor(private readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(redis: Redis, key: string, args: (string | number)[]): Promise<unknown> {
    try {
      return await redis.call('EVALSHA', [this.sha, 1, key, ...args]);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return redis.call('EVAL', [this.source, 1, key, ...args]);
    }
  }
}

const claimScript = new Script(CLAIM);
const renewScript = new Script(RENEW);
const finishScript = new Script(FINISH);

export class RedisAttemptLedger implements AttemptLedger {
  private readonly redis: Redis;
  private readonly ownsClient: boolean;
  private readonly prefix: string;
  private readonly retainMs: number;
  private readonly now: () => number;
  private closed = false;

  constructor(options: RedisAttemptLedgerOptions = {}) {
    this.ownsClient = options.redis === undefined;
    this.redis =
      options.redis ??
      new (ioredisLibrary().Redis)(options.url ?? 'redis://127.0.0.1:6379', {
        lazyConnect: options.lazyConnect ?? false,
      });
    this.prefix = `${options.prefix ?? 'aob:'}attempts:`;
    this.retainMs = options.retainMs ?? DEFAULT_LEDGER_RETAIN_MS;
    this.now = options.now ?? Date.now;
  }

  async claim(key: AttemptKey, owner: string, ttlMs: number): Promise<ClaimAnswer> {
    this.assertOpen();
    const reply = (await claimScript.run(this.redis, this.key(key), [
      owner,
      this.now(),
      ttlMs,
      Math.max(this.retainMs, ttlMs),
    ])) as [number, unknown?];
    if (reply[0] === 1) return { kind: 'finished', outcome: JSON.parse(String(reply[1])) };
    if (reply[0] === 2) return { kind: 'busy', owners: (reply[1] as unknown[]).map(String) };
    return { kind: 'claimed' };
  }

  async renew(key: AttemptKey, owner: string, ttlMs: number): Promise<void> {
    this.assertOpen();
    await renewScript.run(this.redis, this.key(key), [
      owner,
      this.now() + ttlMs,
      Math.max(this.retainMs, ttlMs),
    ]);
  }

  async finish(key: AttemptKey, owner: string, outcome: unknown): Promise<void> {
    this.assertOpen();
    await finishScript.run(this.redis, this.key(key), [
      owner,
      JSON.stringify(outcome),
      this.retainMs,
    ]);
  }

  async release(key: AttemptKey, owner: string): Promise<void> {
    this.assertOpen();
    await this.redis.hdel(this.key(key), `claim:${owner}`);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (!this.ownsClient) return;
    // A lazy client that never connected has nothing to say goodbye to.
    if (this.redis.status === 'wait') this.redis.disconnect();
    else await this.redis.quit();
  }

  private key(key: AttemptKey): string {
    return this.prefix + attemptPath(key);
  }

  private assertOpen(): void {
    if (this.closed) throw storeClosed();
  }
}
