import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { Bus } from '@aob/bus';
import type { ContentStore } from '@aob/store';
import { serviceConfig } from './config.js';
import type { Adapters, Component, Log } from './server.js';
import { runServer } from './server.js';

const env = {
  AOB_HTTP_PORT: '0',
  AOB_KAFKA_BROKERS: '127.0.0.1:1',
  AOB_S3_BUCKET: 'aob',
};

/** Adapters that open nothing and count their closes. */
function fakeAdapters(closed: string[], n: number): Adapters {
  return {
    bus: { close: () => Promise.resolve(void closed.push(`bus ${n}`)) } as unknown as Bus,
    content: {
      close: () => Promise.resolve(void closed.push(`content ${n}`)),
    } as unknown as ContentStore,
    events: () => Promise.reject(new Error('no database here')),
    close: async () => {
      closed.push(`bus ${n}`, `content ${n}`);
    },
  };
}

function recordingLog(): Log & { lines: { message: string; fields?: Record<string, unknown> }[] } {
  const lines: { message: string; fields?: Record<string, unknown> }[] = [];
  return {
    lines,
    info: (message, fields) => lines.push({ message, ...(fields ? { fields } : {}) }),
    error: (message, fields) => lines.push({ message, ...(fields ? { fields } : {}) }),
  };
}

const component = (name: Component['name'], stopped: string[]): Component => ({
  name,
  ready: () => true,
  stop: () => Promise.resolve(void stopped.push(name)),
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function readyz(port: number): Promise<number> {
  return (await fetch(`http://127.0.0.1:${port}/readyz`)).status;
}

describe('runServer start retries', () => {
  it('retries a failed start on fresh adapters, undoing what the attempt started, until it starts', async () => {
    const config = serviceConfig({ ...env, AOB_START_TIMEOUT_MS: '10000' }, [
      'validator',
      'runner',
    ]);
    const closed: string[] = [];
    const stopped: string[] = [];
    let opened = 0;
    let runnerCalls = 0;
    const log = recordingLog();
    const server = await runServer(
      config,
      {
        validator: () => Promise.resolve(component('validator', stopped)),
        runner: () =>
          ++runnerCalls < 3
            ? Promise.reject(new Error(`Kafka down (${runnerCalls})`))
            : Promise.resolve(component('runner', stopped)),
      },
      log,
      { open: () => fakeAdapters(closed, ++opened), retryDelayMs: () => 10 },
    );
    try {
      expect(opened).toBe(3);
      // Each failed attempt's started validator was stopped and its adapters closed.
      expect(stopped).toEqual(['validator', 'validator']);
      expect(closed).toEqual(['bus 1', 'content 1', 'bus 2', 'content 2']);
      const retries = log.lines.filter((l) => l.message === 'start failed; retrying');
      expect(retries.map((l) => [l.fields?.attempt, l.fields?.error])).toEqual([
        [1, 'Kafka down (1)'],
        [2, 'Kafka down (2)'],
      ]);
      expect(retries[0]?.fields).toMatchObject({
        retryInMs: 10,
        services: ['validator', 'runner'],
      });
      expect(await readyz(server.port)).toBe(200);
    } finally {
      await server.stop();
    }
    expect(closed.slice(-2)).toEqual(['bus 3', 'content 3']);
  });

  it('serves /healthz, and /readyz 503, while retrying', async () => {
    const port = await freePort();
    const config = serviceConfig({ ...env, AOB_HTTP_PORT: String(port) }, ['runner']);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let calls = 0;
    const starting = runServer(
      config,
      {
        runner: async () => {
          if (++calls === 1) throw new Error('Kafka down');
          await gate;
          return component('runner', []);
        },
      },
      recordingLog(),
      { open: () => fakeAdapters([], 0), retryDelayMs: () => 10 },
    );
    while (calls < 2) await new Promise((r) => setTimeout(r, 5));
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    expect(await readyz(port)).toBe(503);
    release();
    const server = await starting;
    expect(server.port).toBe(port);
    expect(await readyz(port)).toBe(200);
    await server.stop();
  });

  it('gives up once AOB_START_TIMEOUT_MS has passed, throwing the last error and closing the health port', async () => {
    const config = serviceConfig({ ...env, AOB_START_TIMEOUT_MS: '60' }, ['runner']);
    const log = recordingLog();
    let calls = 0;
    const started = Date.now();
    await expect(
      runServer(
        config,
        { runner: () => Promise.reject(new Error(`Kafka down (${++calls})`)) },
        log,
        { open: () => fakeAdapters([], 0), retryDelayMs: () => 25 },
      ),
    ).rejects.toThrow(/^Kafka down \(\d+\)$/);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(calls).toBeGreaterThanOrEqual(2);
    const retries = log.lines.filter((l) => l.message === 'start failed; retrying');
    expect(retries).toHaveLength(calls - 1);
    // No pause runs past the deadline.
    for (const r of retries) expect(r.fields?.retryInMs).toBeLessThanOrEqual(60);
    expect(log.lines.at(-1)).toMatchObject({
      message: 'start failed; giving up',
      fields: { attempt: calls, error: `Kafka down (${calls})`, startTimeoutMs: 60 },
    });
  });

  it('makes one attempt with AOB_START_TIMEOUT_MS=0, and none for a service the build lacks', async () => {
    const config = serviceConfig({ ...env, AOB_START_TIMEOUT_MS: '0' }, ['runner']);
    const log = recordingLog();
    let calls = 0;
    let opened = 0;
    const open = () => fakeAdapters([], ++opened);
    await expect(
      runServer(config, { runner: () => Promise.reject(new Error(`down ${++calls}`)) }, log, {
        open,
      }),
    ).rejects.toThrow('down 1');
    expect(calls).toBe(1);
    expect(log.lines).toEqual([]);
    await expect(runServer(config, {}, log, { open })).rejects.toThrow(
      'this build has no runner service',
    );
    expect(opened).toBe(1);
  });
});
