// A cluster runner reads the same executor settings as `aob run` (one builder): a runner process
// started with AOB_SEARCH_URL and AOB_WORKSPACE runs `search` and `fs` nodes. The orchestrator and
// the runner are separate `aob server` processes on PostgreSQL, the Redis Streams bus and an S3
// server of their own; only the runner is given the search endpoint and the workspace.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { RedisStreamsBus } from '@aob/bus';
import { ClusterClient } from '@aob/engine';
import { PgEventStore, S3ContentStore } from '@aob/store';
import { startSearxngFake } from '../../packages/engine/src/testing/searxng-fake.js';
import type { SearxngFake } from '../../packages/engine/src/testing/searxng-fake.js';
import { ServiceProcess, launchS3 } from './cluster-harness.js';
import type { PrivateS3 } from './cluster-harness.js';

const ADMIN_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const database = `aob_runner_settings_${process.pid}`;
const prefix = `aob-rs-${randomUUID().slice(0, 8)}:`;

let dir: string;
let workspace: string;
let searxng: SearxngFake | undefined;
let s3: PrivateS3 | undefined;
let orchestrator: ServiceProcess | undefined;
let runner: ServiceProcess | undefined;
let bus: RedisStreamsBus | undefined;
let store: PgEventStore | undefined;
let content: S3ContentStore | undefined;
let client: ClusterClient;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'aob-runner-settings-'));
  workspace = mkdtempSync(join(tmpdir(), 'aob-workspace-'));
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect().catch((err: Error) => {
    throw new Error(`PostgreSQL is not reachable at ${ADMIN_URL}: ${err.message}`);
  });
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();
  const dbUrl = new URL(ADMIN_URL);
  dbUrl.pathname = `/${database}`;
  const [search, launched] = await Promise.all([startSearxngFake(), launchS3()]);
  searxng = search;
  s3 = launched;
  const env = {
    AOB_BUS: 'redis',
    AOB_REDIS_URL: REDIS_URL,
    AOB_REDIS_PREFIX: prefix,
    AOB_DATABASE_URL: dbUrl.toString(),
    ...s3.env,
  };
  orchestrator = new ServiceProcess('orchestrator', env, join(dir, 'orchestrator.log'));
  runner = new ServiceProcess(
    'runner',
    // The search endpoint passes the same address gate as http nodes: this one is on loopback.
    {
      ...env,
      AOB_SEARCH_URL: search.baseUrl,
      AOB_WORKSPACE: workspace,
      AOB_ALLOW_PRIVATE_NETWORK: 'true',
    },
    join(dir, 'runner.log'),
  );
  await orchestrator.start();
  await runner.start();
  bus = new RedisStreamsBus({ url: REDIS_URL, prefix });
  store = await PgEventStore.open({ connectionString: dbUrl.toString(), poolSize: 2 });
  content = new S3ContentStore({
    endpoint: s3.env.AOB_S3_ENDPOINT!,
    bucket: s3.env.AOB_S3_BUCKET!,
    region: 'us-east-1',
    credentials: {
      accessKeyId: s3.env.AWS_ACCESS_KEY_ID!,
      secretAccessKey: s3.env.AWS_SECRET_ACCESS_KEY!,
    },
  });
  client = new ClusterClient({ events: store, content, bus });
}, 120_000);

afterAll(async () => {
  await runner?.close();
  await orchestrator?.close();
  await bus?.close().catch(() => undefined);
  await store?.close().catch(() => undefined);
  await content?.close().catch(() => undefined);
  await s3?.stop();
  await searxng?.close();
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.end();
  rmSync(workspace, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('a cluster runner configured like aob run', () => {
  it('runs a search node on AOB_SEARCH_URL and an fs node in AOB_WORKSPACE', async () => {
    const workflow = {
      name: 'research-notes',
      version: '1',
      inputs: { type: 'object', properties: { topic: { type: 'string' } } },
      nodes: [
        { id: 'find', type: 'search', with: { query: '{% inputs.topic %}', limit: 2 } },
        {
          id: 'save',
          type: 'fs',
          with: {
            op: 'write',
            path: 'notes/sources.txt',
            content: "{% $join(nodes.find.output.results.url, '\\n') %}",
          },
        },
        { id: 'check', type: 'fs', with: { op: 'read', path: 'notes/sources.txt' } },
      ],
      edges: [
        { from: 'find', to: 'save' },
        { from: 'save', to: 'check' },
      ],
      output: '{% nodes.check.output.content %}',
    };
    const runId = await client.start(workflow, { topic: 'event sourcing' });
    const view = await client.wait(runId, { timeoutMs: 60_000 });
    const failures = (await client.events(runId)).filter((e) => e.type === 'NodeFailed');
    expect(view.status, JSON.stringify(failures.map((e) => e.data))).toBe('completed');
    const sources =
      'https://example.org/event%20sourcing/0\nhttps://example.org/event%20sourcing/1';
    expect(view.output).toBe(sources);
    expect(searxng!.queries).toEqual(['event sourcing']);
    expect(readFileSync(join(workspace, 'notes', 'sources.txt'), 'utf8')).toBe(sources);
  });
});
