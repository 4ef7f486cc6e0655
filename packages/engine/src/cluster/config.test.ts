import { describe, expect, it } from 'vitest';
import { Topic } from '@aob/core';
import { kafkaPartitionsOf, serviceConfig } from './config.js';

const base = {
  AOB_DATABASE_URL: 'postgres://pg/aob',
  AOB_KAFKA_BROKERS: 'k1:9092, k2:9092',
  AOB_S3_BUCKET: 'aob',
};

describe('serviceConfig', () => {
  it('reads the environment contract, with defaults', () => {
    const c = serviceConfig({ ...base, AOB_SERVICES: 'orchestrator,runner' }, undefined, 'i1');
    expect(c).toMatchObject({
      services: ['orchestrator', 'runner'],
      httpPort: 8080,
      instance: 'i1',
      databaseUrl: 'postgres://pg/aob',
      bus: {
        kind: 'kafka',
        brokers: ['k1:9092', 'k2:9092'],
        prefix: '',
        sessionTimeoutMs: 10_000,
        partitions: 12,
        jobPartitions: 24,
      },
      s3: { bucket: 'aob', region: 'us-east-1', forcePathStyle: true },
      runnerConcurrency: 32,
      redeliverAfterMs: 30_000,
      startTimeoutMs: 60_000,
      memoTypes: [],
      allowPrivateNetwork: false,
    });
  });

  it('reads the executor settings as the CLI does: search backend, workspace, LLM endpoint', () => {
    const c = serviceConfig(
      {
        ...base,
        AOB_SERVICES: 'runner',
        AOB_SEARCH_URL: 'http://searx:8080',
        AOB_WORKSPACE: '/data/ws',
        AOB_LLM_BASE_URL: 'http://llm:11434/v1',
      },
      undefined,
      'i1',
    );
    expect(c).toMatchObject({
      search: { provider: 'searxng', baseUrl: 'http://searx:8080' },
      workspaceRoot: '/data/ws',
      llm: { baseUrl: 'http://llm:11434/v1' },
    });
    expect(() =>
      serviceConfig({ ...base, AOB_SERVICES: 'runner', AOB_SEARCH_URL: 'searx' }),
    ).toThrow(/AOB_SEARCH_URL must be an http\(s\) URL/);
  });

  it('lets the flag name the services, and the runner needs no database', () => {
    const { AOB_DATABASE_URL: _db, ...noDb } = base;
    expect(serviceConfig(noDb, ['runner']).services).toEqual(['runner']);
  });

  it('runs the validator alone with no database, bus or content store; the api needs the database', () => {
    const c = serviceConfig({}, ['validator']);
    expect(c).toMatchObject({ services: ['validator'], validatorPort: 50_052 });
    expect(c).not.toHaveProperty('s3');
    const { AOB_DATABASE_URL: _db, ...noDb } = base;
    expect(() => serviceConfig(noDb, ['api', 'validator'])).toThrow(/AOB_DATABASE_URL/);
    expect(() => serviceConfig({ AOB_S3_BUCKET: 'aob' }, ['runner'])).toThrow(/AOB_KAFKA_BROKERS/);
  });

  it('takes Redis Streams as the bus, and memoises transform and join when Redis is there', () => {
    const c = serviceConfig({ ...base, AOB_BUS: 'redis', AOB_REDIS_URL: 'redis://r:6379' }, [
      'orchestrator',
    ]);
    expect(c.bus).toEqual({ kind: 'redis', url: 'redis://r:6379', prefix: 'aob:' });
    expect(c.memoTypes).toEqual(['transform', 'join']);
  });

  it('keeps the attempt ledger in Redis with a Redis bus, in S3 otherwise, as AOB_ATTEMPT_LEDGER says', () => {
    expect(serviceConfig(base, ['runner']).attemptLedger).toEqual({ kind: 's3' });
    const redisBus = { ...base, AOB_BUS: 'redis', AOB_REDIS_URL: 'redis://r:6379' };
    expect(serviceConfig(redisBus, ['runner']).attemptLedger).toEqual({
      kind: 'redis',
      url: 'redis://r:6379',
      prefix: 'aob:',
    });
    expect(
      serviceConfig({ ...redisBus, AOB_ATTEMPT_LEDGER: 's3' }, ['runner']).attemptLedger,
    ).toEqual({ kind: 's3' });
    expect(
      serviceConfig(
        {
          ...base,
          AOB_ATTEMPT_LEDGER: 'redis',
          AOB_REDIS_URL: 'redis://m:6379',
          AOB_REDIS_PREFIX: 'x:',
        },
        ['runner'],
      ).attemptLedger,
    ).toEqual({ kind: 'redis', url: 'redis://m:6379', prefix: 'x:' });
    expect(() => serviceConfig({ ...base, AOB_ATTEMPT_LEDGER: 'redis' }, ['runner'])).toThrow(
      'AOB_REDIS_URL is required with AOB_ATTEMPT_LEDGER=redis',
    );
    expect(() => serviceConfig({ ...base, AOB_ATTEMPT_LEDGER: 'dynamo' }, ['runner'])).toThrow(
      'AOB_ATTEMPT_LEDGER must be s3, redis or pg, not "dynamo"',
    );
  });

  it('keeps the attempt ledger in PostgreSQL with AOB_ATTEMPT_LEDGER=pg, which runners then need', () => {
    expect(serviceConfig({ ...base, AOB_ATTEMPT_LEDGER: 'pg' }, ['runner']).attemptLedger).toEqual({
      kind: 'pg',
      url: 'postgres://pg/aob',
    });
    const { AOB_DATABASE_URL: _db, ...noDb } = base;
    expect(() => serviceConfig({ ...noDb, AOB_ATTEMPT_LEDGER: 'pg' }, ['runner'])).toThrow(
      'AOB_DATABASE_URL is required with AOB_ATTEMPT_LEDGER=pg',
    );
  });

  it('reads AOB_S3_FORCE_PATH_STYLE as true or false only', () => {
    const s3 = (v: string) =>
      serviceConfig({ ...base, AOB_S3_FORCE_PATH_STYLE: v }, ['runner']).s3?.forcePathStyle;
    expect(s3('false')).toBe(false);
    expect(s3('true')).toBe(true);
    expect(s3('')).toBe(true);
    for (const bad of ['False', '0', 'no', 'yes']) {
      expect(() => s3(bad)).toThrow(`AOB_S3_FORCE_PATH_STYLE must be true or false, not "${bad}"`);
    }
  });

  it('reads the partition counts of the topics services create, one per group of topics', () => {
    const c = serviceConfig(
      { ...base, AOB_KAFKA_PARTITIONS: '6', AOB_KAFKA_JOB_PARTITIONS: '48' },
      ['runner'],
    );
    if (c.bus.kind !== 'kafka') throw new Error('kafka expected');
    expect(c.bus).toMatchObject({ partitions: 6, jobPartitions: 48 });
    const of = kafkaPartitionsOf(c.bus);
    // Read together by the orchestrators' group (results, commands) and keyed alike (events).
    expect([Topic.results, Topic.commands, Topic.events].map(of)).toEqual([6, 6, 6]);
    // Read together by the runners' group.
    expect([Topic.jobsHigh, Topic.jobsMedium, Topic.jobsLow].map(of)).toEqual([48, 48, 48]);
    expect(() => serviceConfig({ ...base, AOB_KAFKA_PARTITIONS: '0' }, ['runner'])).toThrow(
      /AOB_KAFKA_PARTITIONS must be an integer from 1/,
    );
    expect(() => serviceConfig({ ...base, AOB_KAFKA_JOB_PARTITIONS: 'x' }, ['runner'])).toThrow(
      /AOB_KAFKA_JOB_PARTITIONS must be an integer from 1/,
    );
  });

  it('reads AOB_KAFKA_INSTANCE_ID, the static group membership id, and names a bad one', () => {
    const kafka = (env: Record<string, string>) => {
      const c = serviceConfig({ ...base, ...env }, ['runner']);
      if (c.bus.kind !== 'kafka') throw new Error('kafka expected');
      return c.bus;
    };
    expect(kafka({}).instanceId).toBeUndefined();
    expect(kafka({ AOB_KAFKA_INSTANCE_ID: '' }).instanceId).toBeUndefined();
    expect(kafka({ AOB_KAFKA_INSTANCE_ID: 'aob-runner-7d9f8-x2kq.1_a' }).instanceId).toBe(
      'aob-runner-7d9f8-x2kq.1_a',
    );
    for (const bad of ['runner 1', '..', 'a/b', 'x'.repeat(250)]) {
      expect(() => kafka({ AOB_KAFKA_INSTANCE_ID: bad })).toThrow(
        `AOB_KAFKA_INSTANCE_ID must be 1 to 249 letters, digits, ".", "_" or "-" (and not "." or ".."), not "${bad}"`,
      );
    }
  });

  it('reads AOB_START_TIMEOUT_MS (0: a single start attempt)', () => {
    expect(serviceConfig({ ...base, AOB_START_TIMEOUT_MS: '0' }, ['runner']).startTimeoutMs).toBe(
      0,
    );
    expect(() => serviceConfig({ ...base, AOB_START_TIMEOUT_MS: '-1' }, ['runner'])).toThrow(
      /AOB_START_TIMEOUT_MS must be an integer from 0/,
    );
  });

  it('names every problem at once', () => {
    let caught: { code?: string; details?: { problems: { path: string }[] } } | undefined;
    try {
      serviceConfig(
        {
          AOB_SERVICES: 'orchestrator,api,nope',
          AOB_HTTP_PORT: '99999',
          AOB_BUS: 'rabbit',
          AOB_MEMO_TYPES: 'transform,magic',
          AWS_ACCESS_KEY_ID: 'only-the-id',
          AOB_S3_BUCKET: 'aob',
          AOB_S3_FORCE_PATH_STYLE: 'yes',
        },
        undefined,
      );
    } catch (err) {
      caught = err as typeof caught;
    }
    expect(caught?.code).toBe('BAD_CONFIG');
    expect(caught?.details?.problems.map((p) => p.path)).toEqual([
      '/env/AOB_SERVICES',
      '/env/AOB_HTTP_PORT',
      '/env/AOB_BUS',
      '/env/AOB_DATABASE_URL',
      '/env/AWS_SECRET_ACCESS_KEY',
      '/env/AOB_S3_FORCE_PATH_STYLE',
      '/env/AOB_MEMO_TYPES',
      '/env/AOB_REDIS_URL',
    ]);
  });
});
