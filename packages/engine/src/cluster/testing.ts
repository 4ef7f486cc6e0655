// The real services of the cluster topology for integration tests, each test file its own slice:
// a fresh PostgreSQL database, a Kafka topic prefix, an S3 key prefix. The integration project's
// global setup starts Kafka and the S3 server (KAFKA_BROKERS, S3_*); PostgreSQL is DATABASE_URL
// or the machine's. A missing service fails loudly: integration tests never skip.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import * as kafkajs from 'kafkajs';
import { KafkaBus } from '@aob/bus';
import type { KafkaBusOptions } from '@aob/bus';
import { PgEventStore, S3ContentStore } from '@aob/store';

const ADMIN_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

function required(name: string): string {
  const v = process.env[name];
  if (!v) {
    throw new Error(
      `${name} is not set: run the integration project (its global setup starts the services); integration tests do not skip`,
    );
  }
  return v;
}

export const clusterTag = (): string => randomBytes(5).toString('hex');

export async function freshDatabase(
  tag: string,
): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `aob_cluster_${tag}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect().catch((err: Error) => {
    throw new Error(`PostgreSQL is not reachable at ${ADMIN_URL}: ${err.message}`);
  });
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export function kafkaBus(tag: string, opts: Partial<KafkaBusOptions> = {}): KafkaBus {
  return new KafkaBus({
    brokers: required('KAFKA_BROKERS').split(','),
    prefix: `c${tag}.`,
    partitions: 4,
    sessionTimeout: 6_000,
    heartbeatInterval: 200,
    rebalanceTimeout: 5_000,
    maxWaitTimeInMs: 50,
    logLevel: kafkajs.logLevel.ERROR,
    ...opts,
  });
}

export function s3Store(tag: string): S3ContentStore {
  return new S3ContentStore({
    endpoint: required('S3_ENDPOINT'),
    bucket: required('S3_BUCKET'),
    region: process.env.S3_REGION || 'us-east-1',
    prefix: `c${tag}`,
    credentials: {
      accessKeyId: required('S3_ACCESS_KEY'),
      secretAccessKey: required('S3_SECRET_KEY'),
    },
  });
}

export async function pgStore(url: string): Promise<PgEventStore> {
  return PgEventStore.open({ connectionString: url });
}
