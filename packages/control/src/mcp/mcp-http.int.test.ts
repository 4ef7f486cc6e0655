// aob's MCP server on Streamable HTTP at /mcp, through the SDK's real Client: its tools and their
// schemas; a run started, waited on with progress and read; roles exactly as on REST (every tool
// × every role, an agent proposing but never deciding); subscriptions; the authorization rules
// (401 with WWW-Authenticate and the protected-resource metadata, Origin and Host checks, a
// revoked token refused at once); and bad arguments, every problem named, nothing persisted.
import { request } from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPERATIONS, allowed } from '../auth/index.js';
import type { Operation } from '../auth/index.js';
import type { ApiHarness } from '../http/test-support.js';
import { eventually, gatedWorkflow, startApiHarness } from '../http/test-support.js';
import { MCP_TOOLS } from './tools.js';

let api: ApiHarness;
const clients: Client[] = [];

beforeAll(async () => {
  api = await startApiHarness();
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  await api.close();
});

async function connect(token: string, name = 'mcp-test-agent'): Promise<Client> {
  const client = new Client({ name, version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${api.url}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    }),
  );
  clients.push(client);
  return client;
}

async function call(client: Client, name: string, args: Record<string, unknown>) {
  return (await client.callTool({ name, arguments: args })) as CallToolResult;
}

function texts(r: CallToolResult): string[] {
  return r.content.flatMap((c) => (c.type === 'text' ? [c.text] : []));
}

interface ErrorDoc {
  code: string;
  message: string;
  problems?: { path: string; code: string; message: string }[];
}

function errorOf(r: CallToolResult): ErrorDoc {
  expect(r.isError, texts(r).join('\n')).toBe(true);
  return (JSON.parse(texts(r)[1]!) as { error: ErrorDoc }).error;
}

const doubler = {
  name: 'doubler',
  version: '1',
  inputs: { type: 'object', properties: { n: { type: 'number' } }, required: ['n'] },
  nodes: [{ id: 'double', type: 'transform', with: { value: '{% inputs.n * 2 %}' } }],
  output: '{% nodes.double.output %}',
};

const ISSUE_TOOLS = [
  'workflow_validate',
  'workflow_register',
  'workflow_list',
  'workflow_show',
  'run_start',
  'run_get',
  'run_list',
  'run_wait',
  'run_cancel',
  'run_replay',
  'run_events',
  'node_output',
  'approval_list',
  'approval_decide',
  'patch_propose',
  'patch_check',
  'patch_list',
  'patch_show',
  'patch_review',
  'patch_revert',
  'canvas_open',
  'canvas_get',
  'canvas_add_node',
  'canvas_update_node',
  'canvas_remove_node',
  'canvas_connect',
  'canvas_disconnect',
  'canvas_validate',
  'canvas_undo',
  'canvas_focus',
  'canvas_commit',
  'schedule_create',
  'schedule_list',
  'schedule_show',
  'schedule_pause',
  'schedule_resume',
  'schedule_trigger',
  'schedule_backfill',
  'schedule_delete',
];

describe('/mcp tools', () => {
  it('lists every tool, snake_case, with input and output schemas and annotations', async () => {
    const client = await connect(await api.token('viewer'));
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(ISSUE_TOOLS));
    for (const t of tools) {
      expect(t.name).toMatch(/^[a-z]+(_[a-z]+)+$/);
      expect(t.description!.length).toBeGreaterThan(40);
      expect(t.inputSchema.type).toBe('object');
      expect(t.outputSchema?.type).toBe('object');
      expect(typeof t.annotations?.readOnlyHint, t.name).toBe('boolean');
      expect(typeof t.annotations?.idempotentHint, t.name).toBe('boolean');
      if (!t.annotations!.readOnlyHint) {
        expect(typeof t.annotations?.destructiveHint, t.name).toBe('boolean');
      }
    }
    const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
    expect(byName.run_get!.annotations!.readOnlyHint).toBe(true);
    expect(byName.run_cancel!.annotations!.destructiveHint).toBe(true);
    expect(byName.run_start!.inputSchema.properties).toHaveProperty('inputs');
    expect(byName.approval_decide!.inputSchema.required).toEqual(
      expect.arrayContaining(['ticketId', 'decision']),
    );
  });

  it('starts a run (answered at once), waits for it with progress and reads a node', async () => {
    const client = await connect(await api.token('operator'));
    const registered = await call(client, 'workflow_register', { definition: doubler });
    expect(registered.structuredContent).toMatchObject({ name: 'doubler', version: '1' });
    const started = await call(client, 'run_start', { workflow: 'doubler', inputs: { n: 21 } });
    const runId = (started.structuredContent as { runId: string }).runId;
    expect(runId).toMatch(/^run_/);
    expect(texts(started)[0]).toContain(runId);
    const progress: number[] = [];
    const waited = (await client.callTool(
      { name: 'run_wait', arguments: { runId, timeoutMs: 20_000 } },
      undefined,
      { onprogress: (p) => progress.push(p.progress) },
    )) as CallToolResult;
    expect(waited.structuredContent).toMatchObject({
      run: { runId, status: 'completed', output: 42 },
      timedOut: false,
    });
    const node = await call(client, 'node_output', { runId, nodeId: 'double' });
    expect(node.structuredContent).toMatchObject({
      nodeId: 'double',
      status: 'succeeded',
      output: 42,
    });
    const events = await call(client, 'run_events', { runId, after: 0, limit: 2 });
    const page = events.structuredContent as {
      events: { seq: number }[];
      last: number;
      more: boolean;
    };
    expect(page.events.map((e) => e.seq)).toEqual([1, 2]);
    expect(page).toMatchObject({ last: 2, more: true });
    const rest = await call(client, 'run_events', { runId, after: page.last });
    const tail = rest.structuredContent as {
      events: { seq: number; type: string }[];
      more: boolean;
    };
    expect(tail.events[0]!.seq).toBe(3);
    expect(tail.events.at(-1)!.type).toBe('RunCompleted');
    expect(tail.more).toBe(false);
  });

  it('run_wait reports progress while a run waits, and returns when it ends', async () => {
    const operator = await api.token('operator');
    const client = await connect(operator);
    const started = await call(client, 'run_start', {
      definition: gatedWorkflow('gated-progress'),
      inputs: { n: 1 },
    });
    const runId = (started.structuredContent as { runId: string }).runId;
    const approver = await api.token('approver');
    const ticket = await eventually(async () => {
      const r = await api.call('GET', '/v1/approvals', { token: approver });
      return (r.body.items as { ticketId: string; runId: string }[]).find((t) => t.runId === runId);
    });
    // Decided after the first progress notification (the wait reports every 10 s); the call's
    // own timeout (15 s) is shorter than the wait, and progress keeps it alive.
    const progress: string[] = [];
    let decision: Promise<unknown> | undefined;
    const waited = (await client.callTool(
      { name: 'run_wait', arguments: { runId, untilSettled: false, timeoutMs: 30_000 } },
      undefined,
      {
        resetTimeoutOnProgress: true,
        timeout: 15_000,
        onprogress: (p) => {
          progress.push(p.message ?? '');
          decision ??= api.call('POST', `/v1/approvals/${ticket.ticketId}/decision`, {
            token: approver,
            body: { decision: 'approve' },
          });
        },
      },
    )) as CallToolResult;
    await decision;
    expect(waited.structuredContent).toMatchObject({
      run: { status: 'completed' },
      timedOut: false,
    });
    expect(progress[0]).toContain(`run ${runId} is waiting`);
  }, 40_000);
});

describe('/mcp roles are REST’s', () => {
  /** Arguments valid against each tool's schema (the things they name need not exist). */
  const SAMPLE: Record<string, Record<string, unknown>> = {
    workflow_validate: { definition: doubler },
    workflow_register: { definition: { ...doubler, name: 'doubler-roles' } },
    workflow_list: {},
    workflow_show: { ref: 'doubler-nope' },
    run_start: { workflow: 'doubler-nope', inputs: {} },
    run_get: { runId: 'run_nope' },
    run_list: {},
    run_wait: { runId: 'run_nope', timeoutMs: 0 },
    run_cancel: { runId: 'run_nope' },
    run_replay: { runId: 'run_nope', fromNode: 'a' },
    run_events: { runId: 'run_nope' },
    node_output: { runId: 'run_nope', nodeId: 'a' },
    approval_list: {},
    approval_decide: { ticketId: 'tkt_nope', decision: 'approve' },
    question_list: {},
    question_show: { questionId: 'qst_nope' },
    question_answer: { questionId: 'qst_nope', answer: 1 },
    patch_propose: { target: 'run_nope', ops: [{ op: 'test', path: '/name', value: 'x' }] },
    patch_check: { target: 'run_nope', ops: [{ op: 'test', path: '/name', value: 'x' }] },
    patch_list: {},
    patch_show: { patchId: 'pat_nope' },
    patch_review: { patchId: 'pat_nope', decision: 'approved' },
    patch_revert: { patchId: 'pat_nope' },
    canvas_open: { title: 'roles' },
    canvas_get: { draftId: 'drf_nope' },
    canvas_add_node: { draftId: 'drf_nope', node: { id: 'x', type: 'transform' } },
    canvas_update_node: { draftId: 'drf_nope', id: 'x', set: { with: { value: 1 } } },
    canvas_remove_node: { draftId: 'drf_nope', id: 'x' },
    canvas_connect: { draftId: 'drf_nope', from: 'x', to: 'y' },
    canvas_disconnect: { draftId: 'drf_nope', from: 'x', to: 'y' },
    canvas_validate: { draftId: 'drf_nope' },
    canvas_undo: { draftId: 'drf_nope' },
    canvas_focus: { draftId: 'drf_nope', nodes: ['x'] },
    canvas_commit: { draftId: 'drf_nope', as: 'patch', runId: 'run_nope' },
    schedule_create: { workflow: 'doubler-nope', every: '1h' },
    schedule_list: {},
    schedule_show: { scheduleId: 'sch_nope' },
    schedule_pause: { scheduleId: 'sch_nope', note: 'why' },
    schedule_resume: { scheduleId: 'sch_nope' },
    schedule_trigger: { scheduleId: 'sch_nope' },
    schedule_backfill: {
      scheduleId: 'sch_nope',
      from: '2025-01-01T00:00:00Z',
      to: '2025-01-01T01:00:00Z',
    },
    schedule_delete: { scheduleId: 'sch_nope' },
  };

  it('has sample arguments for every tool', () => {
    expect(Object.keys(SAMPLE).sort()).toEqual(MCP_TOOLS.map((t) => t.name).sort());
  });

  for (const role of ['viewer', 'operator', 'approver', 'admin', 'agent', 'runner'] as const) {
    it(`refuses a ${role} token exactly the tools its role may not call`, async () => {
      const client = await connect(await api.token(role, 'roles'));
      const wrong: string[] = [];
      for (const tool of MCP_TOOLS) {
        const r = await call(client, tool.name, SAMPLE[tool.name]!);
        const forbidden = r.isError === true && errorOf(r).code === 'FORBIDDEN';
        if (forbidden === allowed(role, tool.operation)) {
          wrong.push(`${tool.name}: ${forbidden ? 'refused' : 'allowed'} (${texts(r)[0]})`);
        }
      }
      expect(wrong).toEqual([]);
    });
  }

  it('refuses a job token every tool but those on its own run', async () => {
    const operator = await api.token('operator', 'roles');
    const run = await api.call('POST', '/v1/runs', {
      token: operator,
      body: { definition: doubler, inputs: { n: 1 } },
    });
    const { token } = await api.jobToken(run.body.runId as string, 'double');
    const client = await connect(token);
    const wrong: string[] = [];
    for (const tool of MCP_TOOLS) {
      const r = await call(client, tool.name, SAMPLE[tool.name]!);
      const forbidden = r.isError === true && errorOf(r).code === 'FORBIDDEN';
      const rule = OPERATIONS[tool.operation as Operation];
      if (forbidden === (rule.job && allowed('agent', tool.operation))) {
        wrong.push(`${tool.name}: ${forbidden ? 'refused' : 'allowed'}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('lets an agent propose a patch, never review one or decide an approval', async () => {
    const operator = await api.token('operator');
    const started = await api.call('POST', '/v1/runs', {
      token: operator,
      body: { definition: gatedWorkflow('gated-agent'), inputs: { n: 2 } },
    });
    const runId = started.body.runId as string;
    const approver = await api.token('approver');
    const ticket = await eventually(async () => {
      const r = await api.call('GET', '/v1/approvals', { token: approver });
      return (r.body.items as { ticketId: string; runId: string }[]).find((t) => t.runId === runId);
    });
    const agent = await connect(await api.token('agent'), 'claude');
    const proposed = await call(agent, 'patch_propose', {
      target: runId,
      ops: [{ op: 'replace', path: '/nodes/2/with/value', value: '{% nodes.a.output + 100 %}' }],
      rationale: 'a bigger step',
    });
    expect(proposed.isError, texts(proposed).join('\n')).toBeFalsy();
    const patch = proposed.structuredContent as { patchId: string; status: string };
    expect(['held', 'applied']).toContain(patch.status);
    if (patch.status === 'held') {
      expect(
        errorOf(await call(agent, 'patch_review', { patchId: patch.patchId, decision: 'approved' }))
          .code,
      ).toBe('FORBIDDEN');
    }
    const decide = await call(agent, 'approval_decide', {
      ticketId: ticket.ticketId,
      decision: 'approve',
    });
    expect(errorOf(decide)).toMatchObject({ code: 'FORBIDDEN' });
    expect(errorOf(decide).message).toContain('decideApproval');
  });
});

describe('/mcp subscriptions', () => {
  it('sends resources/updated as a subscribed run moves, until it completes', async () => {
    const operator = await api.token('operator');
    const client = await connect(operator);
    const started = await call(client, 'run_start', {
      definition: gatedWorkflow('gated-sub'),
      inputs: { n: 3 },
    });
    const runId = (started.structuredContent as { runId: string }).runId;
    const uri = `aob://runs/${runId}`;
    const updates: string[] = [];
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
      updates.push(n.params.uri);
    });
    await client.subscribeResource({ uri });
    const approver = await api.token('approver');
    const ticket = await eventually(async () => {
      const r = await api.call('GET', '/v1/approvals', { token: approver });
      return (r.body.items as { ticketId: string; runId: string }[]).find((t) => t.runId === runId);
    });
    const before = updates.length;
    await api.call('POST', `/v1/approvals/${ticket.ticketId}/decision`, {
      token: approver,
      body: { decision: 'approve' },
    });
    await eventually(async () => {
      if (updates.length === before) return undefined;
      const read = await client.readResource({ uri });
      const run = JSON.parse((read.contents[0] as { text: string }).text) as { status: string };
      return run.status === 'completed' ? true : undefined;
    });
    expect(updates.every((u) => u === uri)).toBe(true);
    const templates = await client.listResourceTemplates();
    expect(templates.resourceTemplates.map((t) => t.uriTemplate)).toEqual([
      'aob://runs/{runId}',
      'aob://runs/{runId}/events',
      'aob://workflows/{name}/{version}',
      'aob://drafts/{draftId}',
    ]);
    await expect(client.readResource({ uri: 'aob://runs/run_nope' })).rejects.toThrow(
      /RUN_NOT_FOUND/,
    );
  });

  it('gathers a failed run for the debug_run prompt', async () => {
    const operator = await api.token('operator');
    const client = await connect(operator);
    const failing = {
      name: 'fails',
      version: '1',
      nodes: [{ id: 'boom', type: 'transform', with: { value: '{% $error("no luck") %}' } }],
    };
    const started = await call(client, 'run_start', { definition: failing, inputs: { x: 1 } });
    const runId = (started.structuredContent as { runId: string }).runId;
    await call(client, 'run_wait', { runId, timeoutMs: 10_000 });
    const { prompts } = await client.listPrompts();
    expect(prompts.map((p) => p.name)).toEqual(['design_workflow', 'debug_run']);
    const prompt = await client.getPrompt({ name: 'debug_run', arguments: { runId } });
    const text = (prompt.messages[0]!.content as { text: string }).text;
    expect(text).toContain(`Run ${runId} of fails@1 is failed`);
    expect(text).toContain('Inputs: {"x":1}');
    expect(text).toMatch(/- boom \(transform, 1 attempt\): error .*no luck/);
    expect(text).toContain('RunFailed');
  });
});

describe('/mcp authorization', () => {
  const initialize = {
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: {
      protocolVersion: '2025-06-18',
      capabilities: {},
      clientInfo: { name: 'raw', version: '1' },
    },
  };
  const post = (headers: Record<string, string>) =>
    fetch(`${api.url}/mcp`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        ...headers,
      },
      body: JSON.stringify(initialize),
    });

  it('answers 401 with WWW-Authenticate naming the protected-resource metadata it serves', async () => {
    const res = await post({});
    expect(res.status).toBe(401);
    const challenge = res.headers.get('www-authenticate')!;
    const metadataUrl = /resource_metadata="([^"]+)"/.exec(challenge)![1]!;
    expect(metadataUrl).toBe(`${api.url}/.well-known/oauth-protected-resource/mcp`);
    const metadata = (await (await fetch(metadataUrl)).json()) as Record<string, unknown>;
    expect(metadata).toMatchObject({
      resource: `${api.url}/mcp`,
      bearer_methods_supported: ['header'],
    });
    const bad = await post({ authorization: 'Bearer aob_not-a-token' });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('speaks each 2025 revision of the protocol a client asks for', async () => {
    const token = await api.token('viewer');
    for (const version of ['2025-03-26', '2025-06-18']) {
      const res = await fetch(`${api.url}/mcp`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
        },
        body: JSON.stringify({
          ...initialize,
          params: { ...initialize.params, protocolVersion: version },
        }),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('mcp-session-id')).toBeTruthy();
      const text = await res.text();
      const data = /^data: (.*)$/m.exec(text)?.[1] ?? text;
      const answer = JSON.parse(data) as {
        result: { protocolVersion: string; serverInfo: { name: string } };
      };
      expect(answer.result).toMatchObject({
        protocolVersion: version,
        serverInfo: { name: 'aob' },
      });
    }
  });

  it('refuses another site’s Origin (403 BAD_ORIGIN) and accepts its own', async () => {
    const token = await api.token('viewer');
    const evil = await post({ authorization: `Bearer ${token}`, origin: 'http://evil.example' });
    expect(evil.status).toBe(403);
    expect(((await evil.json()) as { code: string }).code).toBe('BAD_ORIGIN');
    const own = await post({ authorization: `Bearer ${token}`, origin: api.url });
    expect(own.status).toBe(200);
  });

  it('refuses, on its loopback socket, a Host that is not a loopback name (403 BAD_HOST)', async () => {
    const token = await api.token('viewer');
    const { port } = new URL(api.url);
    const status = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: Number(port),
          path: '/mcp',
          method: 'POST',
          headers: {
            host: `rebound.example:${port}`,
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
          },
        },
        (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode!, body }));
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify(initialize));
    });
    expect(status.status).toBe(403);
    expect(status.body).toContain('BAD_HOST');
  });

  it('refuses a revoked token at its next request', async () => {
    const token = await api.token('viewer', 'acme', { subject: 'soon-revoked' });
    const client = await connect(token);
    expect((await call(client, 'run_list', {})).isError).toBeFalsy();
    const me = await api.call('GET', '/v1/whoami', { token });
    const admin = await api.token('admin');
    const revoked = await api.call('DELETE', `/v1/tokens/${me.body.tokenId as string}`, {
      token: admin,
    });
    expect(revoked.status).toBe(200);
    await expect(call(client, 'run_list', {})).rejects.toThrow(/401|Unauthorized|UNAUTHENTICATED/);
  });
});

describe('/mcp bad arguments', () => {
  it('names every problem of arguments against the tool’s schema', async () => {
    const client = await connect(await api.token('operator'));
    const r = await call(client, 'run_start', { workflow: 42, inputs: 'x', colour: 'red' });
    const error = errorOf(r);
    expect(error.code).toBe('VALIDATION');
    expect(error.problems!.map((p) => p.path).sort()).toEqual(['/colour', '/inputs', '/workflow']);
    expect(texts(r)[0]).toContain('/colour');
    // Who may call it comes first (as on REST): an operator may not decide, whatever it sends.
    expect(errorOf(await call(client, 'approval_decide', {})).code).toBe('FORBIDDEN');
    const approver = await connect(await api.token('approver'));
    const missing = errorOf(await call(approver, 'approval_decide', {}));
    expect(missing.problems!.map((p) => p.path).sort()).toEqual(['/decision', '/ticketId']);
  });

  it('refuses, for every tool, an unknown argument and each missing one, by name', async () => {
    const client = await connect(await api.token('admin', 'schema'));
    const wrong: string[] = [];
    for (const tool of MCP_TOOLS) {
      const r = await call(client, tool.name, { colour: 'red' });
      const error = errorOf(r);
      const paths = (error.problems ?? []).map((p) => p.path).sort();
      const required = ((tool.inputSchema.required as string[] | undefined) ?? []).map(
        (n) => `/${n}`,
      );
      const expected = ['/colour', ...required].sort();
      if (error.code !== 'VALIDATION' || JSON.stringify(paths) !== JSON.stringify(expected)) {
        wrong.push(
          `${tool.name}: ${error.code} ${paths.join(' ')} (expected ${expected.join(' ')})`,
        );
      }
    }
    expect(wrong).toEqual([]);
  });

  it('persists nothing from 1,000 mixed bad calls', async () => {
    const admin = await api.token('admin', 'bad');
    const client = await connect(admin);
    const counts = async () => ({
      runs: (await api.call('GET', '/v1/runs?limit=500', { token: admin })).body.items
        .length as number,
      workflows: (await api.call('GET', '/v1/workflows?limit=500', { token: admin })).body.items
        .length as number,
      patches: (await api.call('GET', '/v1/patches?limit=500', { token: admin })).body.items
        .length as number,
      drafts: (await api.call('GET', '/v1/drafts?limit=500', { token: admin })).body.items
        .length as number,
    });
    const before = await counts();
    const long = 'x'.repeat(5_000);
    const bad: [string, Record<string, unknown>][] = [
      ['run_start', { workflow: 'nope', inputs: {} }],
      [
        'run_start',
        { definition: { name: 'x', version: '1', nodes: [{ id: 'a', type: 'warp' }] } },
      ],
      ['run_start', { definition: doubler, inputs: { n: 'not a number' } }],
      ['run_start', { workflow: 1 }],
      ['workflow_register', { definition: { name: '', nodes: 'none' } }],
      [
        'workflow_register',
        { definition: { ...doubler, nodes: [{ id: long, type: 'transform' }] } },
      ],
      ['patch_propose', { target: 'run_nope', ops: [{ op: 'explode' }] }],
      ['patch_propose', { target: 'nope@1', ops: [] }],
      ['run_cancel', { runId: long }],
      ['approval_decide', { ticketId: 'tkt_nope', decision: 'maybe' }],
      ['canvas_add_node', { draftId: 'drf_nope', node: { id: 'a' } }],
      ['canvas_connect', { draftId: 'drf_nope', from: 'a' }],
      ['canvas_commit', { draftId: 'drf_nope', as: 'sideways' }],
      [
        'canvas_open',
        {
          definition: {
            name: 'x',
            version: '1',
            nodes: [
              { id: 'a', type: 'transform' },
              { id: 'a', type: 'transform' },
            ],
          },
        },
      ],
      ['question_answer', { questionId: 'qst_nope' }],
      ['run_replay', { runId: 'run_nope', fromNode: 'a', mode: 'rewind' }],
    ];
    const codes = new Map<string, number>();
    for (let i = 0; i < 1_000; i++) {
      const [name, args] = bad[i % bad.length]!;
      const r = await call(client, name, args);
      const code = errorOf(r).code;
      codes.set(code, (codes.get(code) ?? 0) + 1);
    }
    expect(await counts()).toEqual(before);
    expect([...codes.keys()]).toEqual(expect.arrayContaining(['VALIDATION', 'WORKFLOW_NOT_FOUND']));
  }, 120_000);
});
