// AOB_OPTIMIZE_ON on the server: the api service (services/api) reads the optimizer's settings as
// the CLI does, so a workflow registered through the API gets the chosen passes' patches as its
// next versions, authored optimizer:<pass>. The service runs here on in-memory adapters (the
// registration path touches only the event and content stores).
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { AobHttpClient } from '@aob/client';
import { MemoryBus } from '@aob/bus';
import { MemoryContentStore, MemoryEventStore } from '@aob/store';
import type { PgEventStore } from '@aob/store';
import type { Adapters, Component, ServiceConfig } from '@aob/engine';
import { issueToken } from '@aob/control';
import { startApi } from '@aob/service-api';

const workflow = JSON.parse(
  readFileSync(
    fileURLToPath(new URL('../../../bench/optimizer/repeated-transforms.json', import.meta.url)),
    'utf8',
  ),
) as { name: string };

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const saved = { ...process.env };
let api: Component | undefined;
afterEach(async () => {
  await api?.stop();
  api = undefined;
  for (const k of ['AOB_OPTIMIZE_ON', 'AOB_OPTIMIZE_PASSES']) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
});

async function startWith(env: Record<string, string>) {
  Object.assign(process.env, env);
  const store = new MemoryEventStore();
  const adapters: Adapters = {
    bus: new MemoryBus(),
    content: new MemoryContentStore(),
    events: async () => store as unknown as PgEventStore,
    close: async () => undefined,
  };
  const apiPort = await freePort();
  const config = {
    instance: 'api-test',
    apiPort,
    grpcPort: await freePort(),
    apiMaxBodyBytes: 1_048_576,
    jobTokenGraceMs: 0,
    mcpHostRules: {},
  } as unknown as ServiceConfig;
  api = await startApi(config, adapters);
  const { token } = await issueToken(
    store,
    { subject: 'dev', role: 'admin', namespace: 'default', groups: [] },
    'test',
  );
  return new AobHttpClient({ baseUrl: `http://127.0.0.1:${apiPort}`, token });
}

describe('the api service and AOB_OPTIMIZE_ON', () => {
  it('register: a workflow registered through the API gets the passes’ patches as its next versions', async () => {
    const client = await startWith({ AOB_OPTIMIZE_ON: 'register', AOB_OPTIMIZE_PASSES: 'dedupe' });
    await client.registerWorkflow(workflow);
    const patches = await client.listPatches({ workflow: workflow.name });
    expect(patches.items.map((p) => [p.author, p.status, p.version])).toEqual([
      ['optimizer:dedupe', 'applied', '1.p1'],
    ]);
  });

  it('unset: nothing is proposed', async () => {
    const client = await startWith({});
    await client.registerWorkflow(workflow);
    expect((await client.listPatches({ workflow: workflow.name })).items).toEqual([]);
  });

  it('a bad setting stops the service before it starts, naming it', async () => {
    await expect(startWith({ AOB_OPTIMIZE_ON: 'always' })).rejects.toThrow(
      /AOB_OPTIMIZE_ON must be register or run, not "always"/,
    );
  });
});
