// The client libraries of the adapters, required when an adapter first needs one rather than when
// @aob/store is imported: a local process imports this package for its SQLite and in-memory stores
// and never loads pg, the S3 SDK or ioredis, and one on the memory store never loads better-sqlite3
// (a native addon and a dozen files). All are CommonJS as Node resolves them (pg's
// ESM entry wraps its CommonJS build; the S3 SDK's package has no ESM entry for Node), so
// `require` returns the same module object an `import` would; Node caches it after the first call.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type * as Pg from 'pg';
import type * as S3Sdk from '@aws-sdk/client-s3';
import type * as IoRedis from 'ioredis';
import type BetterSqlite3 from 'better-sqlite3';

const require = createRequire(import.meta.url);

export function pgLibrary(): typeof Pg {
  return require('pg') as typeof Pg;
}

export function s3Sdk(): typeof S3Sdk {
  return require('@aws-sdk/client-s3') as typeof S3Sdk;
}

export function ioredisLibrary(): typeof IoRedis {
  return require('ioredis') as typeof IoRedis;
}

export function betterSqlite3(): typeof BetterSqlite3 {
  return require('better-sqlite3') as typeof BetterSqlite3;
}

/**
 * The path of better-sqlite3's compiled addon where its install builds it, for the `nativeBinding`
 * option; undefined when it is elsewhere, and better-sqlite3 then finds it itself. Its own search
 * (the `bindings` package: a stack trace to find the caller's package, then a stat of each
 * candidate path) is a few milliseconds of every local CLI command's start.
 */
export function betterSqlite3Addon(): string | undefined {
  const built = join(
    dirname(require.resolve('better-sqlite3/package.json')),
    'build',
    'Release',
    'better_sqlite3.node',
  );
  return existsSync(built) ? built : undefined;
}
