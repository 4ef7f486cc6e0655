import { describe, expect, it } from 'vitest';
import { serviceConfig } from './config.js';

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
      bus: { kind: 'kafka', brokers: ['k1:9092', 'k2:9092'], prefix: '', sessionTimeoutMs: 10_000 },
      s3: { bucket: 'aob', region: 'us-east-1' },
      runnerConcurrency: 32,
      redeliverAfterMs: 30_000,
      memoTypes: [],
      allowPrivateNetwork: false,
    });
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
      '/env/AOB_MEMO_TYPES',
      '/env/AOB_REDIS_URL',
    ]);
  });
});
