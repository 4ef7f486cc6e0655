// The control plane on the cluster topology, driven only as users drive it: the `aob` binary with
// AOB_SERVER + AOB_TOKEN, and plain HTTP. One `aob server --services api,orchestrator,runner`
// process on a private PostgreSQL, Kafka and S3 server; the first admin token is made straight in
// PostgreSQL (`aob token create --database-url`), every other token through the API.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PrivatePostgres, PrivateS3, RunningKafka } from './cluster-harness.js';
import {
  ServiceProcess,
  freePorts,
  launchKafka,
  launchPostgres,
  launchS3,
} from './cluster-harness.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { aob, json, until } from './helpers.js';
import {
  histogramOf,
  parsePrometheusText,
  valueOf,
} from '../../packages/engine/src/testing/prometheus-text.js';

let dir: string;
let kafka: RunningKafka | undefined;
let postgres: PrivatePostgres | undefined;
let s3: PrivateS3 | undefined;
let server: ServiceProcess | undefined;
let url: string;
const tokens: Record<string, string> = {};

const GATED = {
  name: 'expense',
  version: '1',
  inputs: { type: 'object', required: ['amount'], properties: { amount: { type: 'number' } } },
  nodes: [
    { id: 'check', type: 'transform', with: { value: '{% inputs.amount %}' } },
    { id: 'approve', type: 'approval', with: { approvers: ['group:finance'], message: 'Pay it?' } },
    { id: 'pay', type: 'transform', with: { value: '{% nodes.check.output * 2 %}' } },
  ],
  edges: [
    { from: 'check', to: 'approve' },
    { from: 'approve', to: 'pay', on: 'approved' },
  ],
  output: '{% nodes.pay.output %}',
};

const as = (who: string) => ({ AOB_SERVER: url, AOB_TOKEN: tokens[who]!, NO_COLOR: '1' });

async function http(
  method: string,
  path: string,
  token: string | undefined,
  body?: string,
  type = 'application/json',
) {
  const res = await fetch(url + path, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': type } : {}),
    },
    ...(body !== undefined ? { body } : {}),
  });
  const text = await res.text();
  return {
    status: res.status,
    type: res.headers.get('content-type') ?? '',
    body: text ? JSON.parse(text) : undefined,
  };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'aob-cp-'));
  [kafka, postgres, s3] = await Promise.all([launchKafka(), launchPostgres(), launchS3()]);
  const [apiPort, grpcPort] = await freePorts(2);
  url = `http://127.0.0.1:${apiPort}`;
  server = new ServiceProcess(
    'api,orchestrator,runner',
    {
      AOB_BUS: 'kafka',
      AOB_KAFKA_BROKERS: kafka.brokers,
      AOB_DATABASE_URL: postgres.url,
      AOB_API_PORT: String(apiPort),
      AOB_GRPC_PORT: String(grpcPort),
      AOB_API_MAX_BODY_BYTES: String(256 * 1024),
      ...s3.env,
    },
    join(dir, 'server.log'),
  );
  await server.start();
  const root = await aob(
    [
      'token',
      'create',
      '--role',
      'admin',
      '--subject',
      'root',
      '--namespace',
      'acme',
      '--database-url',
      postgres.url,
      '--json',
    ],
    { NO_COLOR: '1' },
  );
  expect(root.code, root.stderr).toBe(0);
  tokens.root = json<{ token: string }>(root).token;
  const make = async (name: string, role: string, extra: string[] = []) => {
    const r = await aob(
      ['token', 'create', '--role', role, '--subject', name, ...extra, '--json'],
      as('root'),
    );
    expect(r.code, r.stderr).toBe(0);
    tokens[name] = json<{ token: string }>(r).token;
  };
  await make('olga', 'operator');
  await make('frank', 'approver', ['--groups', 'finance']);
  await make('vera', 'viewer');
  await make('bot', 'agent');
  const other = await aob(
    [
      'token',
      'create',
      '--role',
      'admin',
      '--subject',
      'mallory',
      '--namespace',
      'beta',
      '--database-url',
      postgres.url,
      '--json',
    ],
    { NO_COLOR: '1' },
  );
  tokens.mallory = json<{ token: string }>(other).token;
  writeFileSync(join(dir, 'expense.json'), JSON.stringify(GATED));
}, 240_000);

afterAll(async () => {
  await server?.close();
  await Promise.all([kafka?.stop(), postgres?.stop(), s3?.stop()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 120_000);

describe('the control plane on PostgreSQL + Kafka + S3, through the CLI and HTTP', () => {
  it('starts a run, streams it, an approver of another token approves, the stream ends with the result', async () => {
    const reg = await aob(
      ['workflow', 'register', join(dir, 'expense.json'), '--json'],
      as('olga'),
    );
    expect(reg.code, reg.stderr).toBe(0);
    const started = await aob(
      ['run', 'start', 'expense', '--input', 'amount=21', '--detach', '--json'],
      as('olga'),
    );
    expect(started.code, started.stdout + started.stderr).toBe(4); // waiting for a person
    const runId = json<{ runId: string }>(started).runId;

    const tickets = await until(
      'the ticket',
      async () => {
        const r = json<{ ticketId: string; runId: string; eligible?: boolean }[]>(
          await aob(['approvals', 'list', '--json'], as('frank')),
        );
        const mine = r.filter((t) => t.runId === runId);
        return mine.length > 0 ? mine : undefined;
      },
      30_000,
    );
    // A viewer may look but not decide; another tenant does not even see the ticket.
    const viewer = await aob(['approve', tickets[0]!.ticketId, 'approve', '--json'], as('vera'));
    expect(viewer.code).toBe(2);
    const foreign = await aob(
      ['approve', tickets[0]!.ticketId, 'approve', '--json'],
      as('mallory'),
    );
    expect(foreign.code).toBe(2);
    expect(json<{ error: { code: string } }>(foreign).error.code).toBe('TICKET_NOT_FOUND');

    const stream = aob(['logs', 'stream', runId, '--json'], as('vera'));
    const approved = await aob(
      ['approve', tickets[0]!.ticketId, 'approve', '--reason', 'within budget', '--json'],
      as('frank'),
    );
    expect(approved.code, approved.stderr).toBe(0);
    const logs = await stream;
    expect(logs.code, logs.stderr).toBe(0);
    const events = logs.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { seq: number; type: string; data: Record<string, unknown> });
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.at(-1)!.type).toBe('RunCompleted');
    expect(events.find((e) => e.type === 'ApprovalDecided')!.data).toMatchObject({
      by: 'frank',
      reason: 'within budget',
    });
    const run = json<{ status: string; output: unknown }>(
      await aob(['run', 'get', runId, '--json'], as('vera')),
    );
    expect(run).toMatchObject({ status: 'completed', output: 42 });
    const hidden = await aob(['run', 'get', runId, '--json'], as('mallory'));
    expect(hidden.code).toBe(2);
  }, 120_000);

  it('an agent token proposes a patch that is held, and is refused when it tries to approve it', async () => {
    const started = await aob(
      ['run', 'start', 'expense', '--input', 'amount=5', '--detach', '--json'],
      as('olga'),
    );
    const runId = json<{ runId: string }>(started).runId;
    await until(
      'the run to wait',
      async () => {
        const r = await http('GET', `/v1/runs/${runId}`, tokens.vera);
        return r.body?.status === 'waiting' ? true : undefined;
      },
      30_000,
    );
    const ops = join(dir, 'audit.json');
    writeFileSync(
      ops,
      JSON.stringify([
        {
          op: 'add',
          path: '/nodes/-',
          value: {
            id: 'audit',
            type: 'code',
            with: { language: 'javascript', source: 'return 1' },
          },
        },
        { op: 'add', path: '/edges/-', value: { from: 'approve', to: 'audit', on: 'approved' } },
      ]),
    );
    const proposed = await aob(
      ['patch', 'propose', runId, ops, '--rationale', 'audit trail', '--json'],
      as('bot'),
    );
    expect(proposed.code, proposed.stderr).toBe(4); // held for a reviewer
    const patch = json<{ patchId: string; status: string; author: string }>(proposed);
    expect(patch).toMatchObject({ status: 'held', author: 'bot' });
    const selfApprove = await aob(['patch', 'approve', patch.patchId, '--json'], as('bot'));
    expect(selfApprove.code).toBe(2);
    expect(json<{ error: { code: string } }>(selfApprove).error.code).toBe('FORBIDDEN');
    const shown = json<{ status: string }>(
      await aob(['patch', 'show', patch.patchId, '--json'], as('vera')),
    );
    expect(shown.status).toBe('held');
    const rejected = await aob(
      ['patch', 'reject', patch.patchId, '--reason', 'no code here', '--json'],
      as('frank'),
    );
    expect(rejected.code, rejected.stderr).toBe(0);
    expect(json<{ status: string; reviewedBy: string }>(rejected)).toMatchObject({
      status: 'rejected',
      reviewedBy: 'frank',
    });
  }, 120_000);

  it('serves MCP at /mcp: an operator starts and follows a run, an agent may not decide, an approver does', async () => {
    const connect = async (who: string) => {
      const client = new Client({ name: `e2e-${who}`, version: '1.0.0' });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
          requestInit: { headers: { authorization: `Bearer ${tokens[who]!}` } },
        }),
      );
      return client;
    };
    const olga = await connect('olga');
    const bot = await connect('bot');
    const frank = await connect('frank');
    try {
      const { tools } = await olga.listTools();
      expect(tools.length).toBeGreaterThanOrEqual(30);
      const started = (await olga.callTool({
        name: 'run_start',
        arguments: { definition: GATED, inputs: { amount: 21 } },
      })) as CallToolResult;
      expect(started.isError, JSON.stringify(started.content)).toBeFalsy();
      const { runId } = started.structuredContent as { runId: string };
      const updates: string[] = [];
      olga.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
        updates.push(n.params.uri);
      });
      await olga.subscribeResource({ uri: `aob://runs/${runId}` });
      const waiting = (await olga.callTool({
        name: 'run_wait',
        arguments: { runId, timeoutMs: 60_000 },
      })) as CallToolResult;
      expect(waiting.structuredContent).toMatchObject({ run: { status: 'waiting' } });
      const [ticket] = (waiting.structuredContent as { run: { waitingOn: string[] } }).run
        .waitingOn;
      const refused = (await bot.callTool({
        name: 'approval_decide',
        arguments: { ticketId: ticket, decision: 'approve' },
      })) as CallToolResult;
      expect(refused.isError).toBe(true);
      expect(JSON.stringify(refused.content)).toContain('FORBIDDEN');
      const decided = (await frank.callTool({
        name: 'approval_decide',
        arguments: { ticketId: ticket, decision: 'approve', reason: 'fine' },
      })) as CallToolResult;
      expect(decided.isError, JSON.stringify(decided.content)).toBeFalsy();
      const done = (await olga.callTool({
        name: 'run_wait',
        arguments: { runId, timeoutMs: 60_000 },
      })) as CallToolResult;
      expect(done.structuredContent).toMatchObject({ run: { status: 'completed', output: 42 } });
      await until('a resources/updated notification', async () =>
        updates.length > 0 ? true : undefined,
      );
      const node = (await olga.callTool({
        name: 'node_output',
        arguments: { runId, nodeId: 'pay' },
      })) as CallToolResult;
      expect(node.structuredContent).toMatchObject({ status: 'succeeded', output: 42 });
    } finally {
      await Promise.all([olga.close(), bot.close(), frank.close()]);
    }
  }, 120_000);

  it('replays a run from a node and cancels a run', async () => {
    const started = await aob(
      ['run', 'start', 'expense', '--input', 'amount=1', '--detach', '--json'],
      as('olga'),
    );
    const runId = json<{ runId: string }>(started).runId;
    await until(
      'the run',
      async () =>
        (await http('GET', `/v1/runs/${runId}`, tokens.vera)).body?.status === 'waiting'
          ? true
          : undefined,
      30_000,
    );
    const replay = await aob(
      ['replay', runId, '--from', 'approve', '--mode', 'freeze', '--detach', '--json'],
      as('olga'),
    );
    expect([0, 4]).toContain(replay.code);
    const child = json<{ runId: string; replayOf: string; fromNode: string }>(replay);
    expect(child).toMatchObject({ replayOf: runId, fromNode: 'approve' });
    const cancelled = await aob(
      ['run', 'cancel', runId, '--reason', 'duplicate', '--json'],
      as('olga'),
    );
    expect(cancelled.code, cancelled.stderr).toBe(0);
    await until(
      'the run',
      async () =>
        (await http('GET', `/v1/runs/${runId}`, tokens.vera)).body?.status === 'cancelled'
          ? true
          : undefined,
      30_000,
    );
    const again = await aob(['run', 'cancel', runId, '--json'], as('olga'));
    expect(again.code).toBe(2);
  }, 120_000);

  it('answers bad requests of every kind with a 4xx that names the problem, and persists nothing', async () => {
    const count = async () =>
      (await http('GET', '/v1/runs?limit=500', tokens.olga)).body.items.length as number;
    const before = await count();
    const cases: [string, () => ReturnType<typeof http>, number, string][] = [
      [
        'malformed JSON',
        () => http('POST', '/v1/runs', tokens.olga, '{"workflow":'),
        400,
        'MALFORMED_JSON',
      ],
      [
        'wrong types',
        () => http('POST', '/v1/runs', tokens.olga, JSON.stringify({ workflow: 7, inputs: [] })),
        400,
        'VALIDATION',
      ],
      [
        'unknown workflow',
        () => http('POST', '/v1/runs', tokens.olga, JSON.stringify({ workflow: 'nope' })),
        404,
        'WORKFLOW_NOT_FOUND',
      ],
      [
        'bad inputs',
        () =>
          http(
            'POST',
            '/v1/runs',
            tokens.olga,
            JSON.stringify({ workflow: 'expense', inputs: { amount: 'x' } }),
          ),
        400,
        'VALIDATION',
      ],
      ['unknown run', () => http('GET', '/v1/runs/run_nope', tokens.olga), 404, 'RUN_NOT_FOUND'],
      [
        'unknown patch',
        () => http('GET', '/v1/patches/pch_nope', tokens.olga),
        404,
        'PATCH_NOT_FOUND',
      ],
      [
        'oversized body',
        () =>
          http(
            'POST',
            '/v1/runs',
            tokens.olga,
            JSON.stringify({
              workflow: 'expense',
              inputs: { amount: 1, pad: 'x'.repeat(300_000) },
            }),
          ),
        413,
        'BODY_TOO_LARGE',
      ],
      [
        'not JSON',
        () => http('POST', '/v1/runs', tokens.olga, 'workflow=expense', 'text/plain'),
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      ],
      [
        'no token',
        () => http('POST', '/v1/runs', undefined, JSON.stringify({ workflow: 'expense' })),
        401,
        'UNAUTHENTICATED',
      ],
      [
        'role too low',
        () =>
          http(
            'POST',
            '/v1/runs',
            tokens.vera,
            JSON.stringify({ workflow: 'expense', inputs: { amount: 1 } }),
          ),
        403,
        'FORBIDDEN',
      ],
    ];
    for (const [name, send, status, code] of cases) {
      const r = await send();
      expect(r.status, name).toBe(status);
      expect(r.type, name).toContain('application/problem+json');
      expect(r.body, name).toMatchObject({ status, code, detail: expect.any(String) });
      if (status === 400) expect(r.body.errors.length, name).toBeGreaterThan(0);
    }
    expect(await count()).toBe(before);
  }, 120_000);

  it('serves /metrics on the health port (the runs, attempts, decisions, SSE clients of the process) and logs pino JSON lines', async () => {
    const scrape = async () => {
      const res = await fetch(`http://127.0.0.1:${server!.httpPort}/metrics`);
      expect(res.status).toBe(200);
      return parsePrometheusText(await res.text());
    };
    writeFileSync(join(dir, 'metered.json'), JSON.stringify({ ...GATED, name: 'metered' }));
    const reg = await aob(
      ['workflow', 'register', join(dir, 'metered.json'), '--json'],
      as('olga'),
    );
    expect(reg.code, reg.stderr).toBe(0);
    const started = await aob(
      ['run', 'start', 'metered', '--input', 'amount=2', '--detach', '--json'],
      as('olga'),
    );
    const runId = json<{ runId: string }>(started).runId;
    await until(
      'the run waiting',
      async () =>
        (await http('GET', `/v1/runs/${runId}`, tokens.vera)).body?.status === 'waiting'
          ? true
          : undefined,
      30_000,
    );
    // A client follows the run's timeline (SSE) while the scrape is taken.
    const stream = new AbortController();
    const res = await fetch(`${url}/v1/runs/${runId}/timeline?follow=true`, {
      headers: { authorization: `Bearer ${tokens.vera}` },
      signal: stream.signal,
    });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    await reader.read();
    const open = await scrape();
    expect(valueOf(open, 'aob_sse_clients', { feed: 'run' })).toBe(1);
    expect(valueOf(open, 'aob_runs_started_total', { workflow: 'metered' })).toBe(1);
    stream.abort();
    await reader.cancel().catch(() => undefined);

    const cancelled = await aob(['run', 'cancel', runId, '--json'], as('olga'));
    expect(cancelled.code, cancelled.stderr).toBe(0);
    const m = await until(
      'the cancelled run and the closed stream in /metrics',
      async () => {
        const now = await scrape();
        return valueOf(now, 'aob_runs_ended_total', {
          workflow: 'metered',
          status: 'cancelled',
        }) === 1 && valueOf(now, 'aob_sse_clients', { feed: 'run' }) === 0
          ? now
          : undefined;
      },
      30_000,
    );
    // The check node ran in the orchestrator (a pure node: no job reaches Kafka, so there is no
    // queue lag to see here; the metrics integration test times the queue), as a transform attempt.
    expect(
      histogramOf(m, 'aob_node_attempt_duration_seconds', {
        type: 'transform',
        outcome: 'succeeded',
      })?.count,
    ).toBeGreaterThanOrEqual(1);
    expect(
      histogramOf(m, 'aob_decision_latency_seconds', { trigger: 'start' })?.count,
    ).toBeGreaterThan(0);
    expect(valueOf(m, 'aob_outbox_backlog')).toBeGreaterThanOrEqual(0);
    expect(valueOf(m, 'aob_timers_due')).toBeGreaterThanOrEqual(0);
    expect(m.get('target_info')?.samples[0]?.labels.service_name).toBe(
      'aob-api-orchestrator-runner',
    );

    // The process's log: pino JSON lines (level, ISO time, message, fields) on stdout.
    const lines = readFileSync(server!.logFile, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.filter((l) => l.message === 'service started').map((l) => l.service)).toEqual(
      expect.arrayContaining(['api', 'orchestrator', 'runner']),
    );
    expect(lines.find((l) => l.message === 'service started')).toMatchObject({
      level: 'info',
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
  }, 120_000);
});
