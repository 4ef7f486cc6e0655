// The REST + SSE API end to end over real HTTP: runs, timelines, approvals, patches, tokens, and
// every kind of bad request — each answered with a problem that names it, persisting nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiHarness, Body } from './test-support.js';
import { eventually, gatedWorkflow, startApiHarness } from './test-support.js';

let api: ApiHarness;
let operator: string;
let approver: string;
let viewer: string;
let agent: string;
let beta: string;

beforeAll(async () => {
  api = await startApiHarness({ maxBodyBytes: 64 * 1024 });
  operator = await api.token('operator');
  approver = await api.token('approver');
  viewer = await api.token('viewer');
  agent = await api.token('agent', 'acme', { subject: 'planner-bot' });
  beta = await api.token('admin', 'beta');
});
afterAll(() => api.close());

async function runCount(token: string): Promise<number> {
  const res = await api.call('GET', '/v1/runs?limit=500', { token });
  return res.body.items.length;
}

describe('REST API', () => {
  it('registers a workflow, starts a run, waits on it, pages the list; other namespaces see nothing', async () => {
    const reg = await api.call('POST', '/v1/workflows', {
      token: operator,
      body: { definition: gatedWorkflow('flow-a') },
    });
    expect(reg.status).toBe(201);
    expect(reg.body).toMatchObject({ name: 'flow-a', version: '1' });
    // Registering the same version again with another graph is refused (versions are immutable).
    const changed = { ...gatedWorkflow('flow-a'), description: 'changed' };
    const again = await api.call('POST', '/v1/workflows', {
      token: operator,
      body: { definition: changed },
    });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('WORKFLOW_EXISTS');

    const started: string[] = [];
    for (let n = 0; n < 3; n++) {
      const res = await api.call('POST', '/v1/runs', {
        token: operator,
        body: { workflow: 'flow-a', inputs: { n } },
      });
      expect(res.status).toBe(201);
      started.push(res.body.runId);
    }
    const settled = await api.call(
      'GET',
      `/v1/runs/${started[0]}/wait?untilSettled=true&timeoutMs=5000`,
      {
        token: viewer,
      },
    );
    expect(settled.body).toMatchObject({ status: 'waiting', waitingOn: [expect.any(String)] });

    const first = await api.call('GET', '/v1/runs?limit=2', { token: viewer });
    expect(first.body.items).toHaveLength(2);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await api.call('GET', `/v1/runs?limit=2&cursor=${first.body.nextCursor}`, {
      token: viewer,
    });
    const paged = [...first.body.items, ...second.body.items].map(
      (r: { runId: string }) => r.runId,
    );
    expect(paged).toEqual(expect.arrayContaining(started));

    // Another namespace: the run does not exist for it, and its list is empty of them.
    const hidden = await api.call('GET', `/v1/runs/${started[0]}`, { token: beta });
    expect(hidden.status).toBe(404);
    expect(hidden.body).toMatchObject({ code: 'RUN_NOT_FOUND', status: 404 });
    const theirs = await api.call('GET', '/v1/runs', { token: beta });
    expect(theirs.body.items.map((r: { runId: string }) => r.runId)).not.toContain(started[0]);
  });

  it('streams a run over SSE from the start, an approver decides, the stream ends with the run', async () => {
    const { body } = await api.call('POST', '/v1/runs', {
      token: operator,
      body: { definition: gatedWorkflow('flow-sse'), inputs: { n: 41 } },
    });
    const runId = body.runId as string;
    const res = await fetch(`${api.url}/v1/runs/${runId}/timeline`, {
      headers: { authorization: `Bearer ${viewer}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = res.body!.getReader();
    const seen: { id?: string; event?: string; data?: Body }[] = [];
    let buffer = '';
    const decoder = new TextDecoder();
    let ticket: string | undefined;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const frame = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const f: { id?: string; event?: string; data?: Body } = {};
        for (const line of frame.split('\n')) {
          if (line.startsWith('id: ')) f.id = line.slice(4);
          else if (line.startsWith('event: ')) f.event = line.slice(7);
          else if (line.startsWith('data: ')) f.data = JSON.parse(line.slice(6));
        }
        if (!f.event) continue; // a heartbeat
        seen.push(f);
        if (f.event === 'ApprovalRequested' && !ticket) {
          ticket = f.data.data.ticketId as string;
          const decided = await api.call('POST', `/v1/approvals/${ticket}/decision`, {
            token: approver,
            body: { decision: 'approved', reason: 'looks right' },
          });
          expect(decided.status).toBe(200);
          expect(decided.body).toMatchObject({ ticketId: ticket, status: 'approved' });
        }
      }
    }
    const events = seen.filter((f) => f.event !== 'end');
    expect(events.map((f) => Number(f.id))).toEqual(events.map((_, i) => i + 1));
    expect(events.at(-1)?.event).toBe('RunCompleted');
    expect(seen.at(-1)?.event).toBe('end');
    const decided = events.find((f) => f.event === 'ApprovalDecided')!;
    expect(decided.data.data).toMatchObject({ by: 'approver-acme', reason: 'looks right' });
    const run = await api.call('GET', `/v1/runs/${runId}`, { token: viewer });
    expect(run.body).toMatchObject({ status: 'completed', output: 42 });
  });

  it('an agent proposes a patch held for review and is refused when it tries to approve it', async () => {
    const { body } = await api.call('POST', '/v1/runs', {
      token: operator,
      body: { definition: gatedWorkflow('flow-patch') },
    });
    const runId = body.runId as string;
    await api.call('GET', `/v1/runs/${runId}/wait?untilSettled=true&timeoutMs=5000`, {
      token: viewer,
    });
    const ops = [
      {
        op: 'add',
        path: '/nodes/-',
        value: { id: 'audit', type: 'code', with: { language: 'javascript', source: 'return 1' } },
      },
      { op: 'add', path: '/edges/-', value: { from: 'gate', to: 'audit', on: 'approved' } },
    ];
    const check = await api.call('POST', '/v1/patches/check', {
      token: agent,
      body: { target: runId, ops },
    });
    expect(check.body).toMatchObject({ status: 'held' });
    const proposed = await api.call('POST', '/v1/patches', {
      token: agent,
      body: { target: runId, ops, rationale: 'audit the decision', author: 'someone-else' },
    });
    // `author` is not a field of the request: identity comes from the token only.
    expect(proposed.status).toBe(400);
    expect(proposed.body.errors).toEqual([
      expect.objectContaining({ code: 'ADDITIONALPROPERTIES', path: 'body/author' }),
    ]);
    const held = await api.call('POST', '/v1/patches', {
      token: agent,
      body: { target: runId, ops, rationale: 'audit the decision' },
    });
    expect(held.status).toBe(201);
    expect(held.body).toMatchObject({ status: 'held', author: 'planner-bot' });
    const patchId = held.body.patchId as string;

    const selfApprove = await api.call('POST', `/v1/patches/${patchId}/review`, {
      token: agent,
      body: { decision: 'approved' },
    });
    expect(selfApprove.status).toBe(403);
    expect(selfApprove.body.code).toBe('FORBIDDEN');
    // Even an approver who proposed a patch may not approve their own.
    const own = await api.call('POST', '/v1/patches', {
      token: approver,
      body: { target: runId, ops: [{ op: 'replace', path: '/nodes/2/with/value', value: 7 }] },
    });
    expect(own.body.status).toBe('applied'); // no code node: applies at once
    const reviewed = await api.call('POST', `/v1/patches/${patchId}/review`, {
      token: approver,
      body: { decision: 'rejected', reason: 'no code in this run' },
    });
    expect(reviewed.status).toBe(200);
    expect(reviewed.body).toMatchObject({ status: 'rejected', reviewedBy: 'approver-acme' });
    const shown = await api.call('GET', `/v1/patches/${patchId}`, { token: viewer });
    expect(shown.body.patch).toMatchObject({ status: 'rejected', reason: 'no code in this run' });
    const hidden = await api.call('GET', `/v1/patches/${patchId}`, { token: beta });
    expect(hidden.status).toBe(404);

    // A patch document naming someone else's patch id gets an id of its own: ids are the server's.
    const betaOperator = await api.token('operator', 'beta');
    const theirs = await api.call('POST', '/v1/runs', {
      token: betaOperator,
      body: { definition: gatedWorkflow('flow-beta') },
    });
    await api.call('GET', `/v1/runs/${theirs.body.runId}/wait?untilSettled=true&timeoutMs=5000`, {
      token: betaOperator,
    });
    const shadow = await api.call('POST', '/v1/patches', {
      token: betaOperator,
      body: {
        target: theirs.body.runId,
        patch: { patchId, ops: [{ op: 'replace', path: '/nodes/2/with/value', value: 9 }] },
      },
    });
    expect(shadow.status).toBe(201);
    expect(shadow.body.patchId).not.toBe(patchId);
    const still = await api.call('GET', `/v1/patches/${patchId}`, { token: viewer });
    expect(still.body.patch).toMatchObject({ patchId, runId, status: 'rejected' });
  });

  it('replays a run from a node and cancels a run', async () => {
    const { body } = await api.call('POST', '/v1/runs', {
      token: operator,
      body: { definition: gatedWorkflow('flow-replay'), inputs: { n: 1 } },
    });
    const runId = body.runId as string;
    const view = await api.call('GET', `/v1/runs/${runId}/wait?untilSettled=true&timeoutMs=5000`, {
      token: viewer,
    });
    const replay = await api.call('POST', `/v1/runs/${runId}/replay`, {
      token: operator,
      body: { fromNode: 'gate', mode: 'freeze' },
    });
    expect(replay.status).toBe(201);
    const replayed = await api.call(
      'GET',
      `/v1/runs/${replay.body.runId}/wait?untilSettled=true&timeoutMs=5000`,
      {
        token: viewer,
      },
    );
    expect(replayed.body).toMatchObject({ replayOf: runId, fromNode: 'gate', status: 'waiting' });
    expect(view.body.waitingOn).toHaveLength(1);

    const cancelled = await api.call('POST', `/v1/runs/${runId}/cancel`, {
      token: operator,
      body: { reason: 'not needed' },
    });
    expect(cancelled.status).toBe(200);
    const over = await eventually(async () => {
      const r = await api.call('GET', `/v1/runs/${runId}`, { token: viewer });
      return r.body.status === 'cancelled' ? r.body : undefined;
    });
    expect(over.status).toBe('cancelled');
    const twice = await api.call('POST', `/v1/runs/${runId}/cancel`, { token: operator, body: {} });
    expect(twice.status).toBe(409);
    expect(twice.body.code).toBe('RUN_OVER');
  });

  it('names every problem of a bad request and persists nothing from it', async () => {
    const before = await runCount(operator);
    const cases: {
      name: string;
      send: () => Promise<{ status: number; body: Body }>;
      status: number;
      codes: string[];
    }[] = [
      {
        name: 'malformed JSON',
        send: () =>
          api.call('POST', '/v1/runs', { token: operator, raw: '{"workflow": "flow-a",' }),
        status: 400,
        codes: ['MALFORMED_JSON'],
      },
      {
        name: 'wrong types, unknown fields, all at once',
        send: () =>
          api.call('POST', '/v1/runs', {
            token: operator,
            body: { workflow: 42, inputs: 'n=1', colour: 'red', runId: '../etc' },
          }),
        status: 400,
        codes: ['ADDITIONALPROPERTIES', 'TYPE', 'TYPE', 'PATTERN'],
      },
      {
        name: 'a definition with several problems',
        send: () =>
          api.call('POST', '/v1/runs', {
            token: operator,
            body: {
              definition: {
                name: 'x',
                version: '1',
                nodes: [{ id: 'a', type: 'nope' }],
                edges: [{ from: 'a', to: 'zz' }],
              },
            },
          }),
        status: 400,
        codes: [],
      },
      {
        name: 'inputs that do not match the workflow',
        send: () =>
          api.call('POST', '/v1/runs', {
            token: operator,
            body: {
              definition: {
                ...gatedWorkflow('typed'),
                inputs: {
                  type: 'object',
                  required: ['n', 'm'],
                  properties: { n: { type: 'integer' }, m: { type: 'string' } },
                },
              },
              inputs: { n: 'one' },
            },
          }),
        status: 400,
        codes: [],
      },
      {
        name: 'an unknown workflow',
        send: () =>
          api.call('POST', '/v1/runs', { token: operator, body: { workflow: 'no-such-flow' } }),
        status: 404,
        codes: [],
      },
      {
        name: 'both workflow and definition',
        send: () =>
          api.call('POST', '/v1/runs', {
            token: operator,
            body: { workflow: 'flow-a', definition: gatedWorkflow() },
          }),
        status: 400,
        codes: ['ONE_OF'],
      },
      {
        name: 'an oversized body',
        send: () =>
          api.call('POST', '/v1/runs', {
            token: operator,
            body: { workflow: 'flow-a', inputs: { blob: 'x'.repeat(70 * 1024) } },
          }),
        status: 413,
        codes: [],
      },
      {
        name: 'not JSON',
        send: () =>
          api.call('POST', '/v1/runs', {
            token: operator,
            raw: 'workflow=flow-a',
            contentType: 'text/plain',
          }),
        status: 415,
        codes: [],
      },
      {
        name: 'a bad cursor and limit',
        send: () => api.call('GET', '/v1/runs?cursor=zzz&limit=0', { token: operator }),
        status: 400,
        codes: ['MINIMUM'],
      },
      {
        name: 'an unknown run',
        send: () => api.call('POST', '/v1/runs/run_nope/cancel', { token: operator, body: {} }),
        status: 404,
        codes: [],
      },
      {
        name: 'an unknown ticket',
        send: () =>
          api.call('POST', '/v1/approvals/tkt_nope/decision', {
            token: approver,
            body: { decision: 'approved' },
          }),
        status: 404,
        codes: [],
      },
      {
        name: 'a bad decision',
        send: () =>
          api.call('POST', '/v1/approvals/tkt_nope/decision', {
            token: approver,
            body: { decision: 'maybe', by: 'x' },
          }),
        status: 400,
        codes: ['ADDITIONALPROPERTIES', 'ENUM'],
      },
      {
        name: 'no token',
        send: () => api.call('POST', '/v1/runs', { body: { workflow: 'flow-a' } }),
        status: 401,
        codes: [],
      },
      {
        name: 'a revoked-looking token',
        send: () =>
          api.call('POST', '/v1/runs', { token: 'aob_forged', body: { workflow: 'flow-a' } }),
        status: 401,
        codes: [],
      },
      {
        name: 'a role too low',
        send: () => api.call('POST', '/v1/runs', { token: viewer, body: { workflow: 'flow-a' } }),
        status: 403,
        codes: [],
      },
    ];
    for (const c of cases) {
      const res = await c.send();
      expect(res.status, c.name).toBe(c.status);
      expect(res.body, c.name).toMatchObject({
        status: c.status,
        code: expect.any(String),
        detail: expect.any(String),
      });
      const codes = (res.body.errors ?? []).map((e: { code: string }) => e.code).sort();
      if (c.codes.length > 0) expect(codes, c.name).toEqual([...c.codes].sort());
      if (c.status === 400 && c.codes.length === 0)
        expect(res.body.errors?.length, c.name).toBeGreaterThan(1);
    }
    expect(await runCount(operator)).toBe(before);
  });

  it('manages tokens within the admin’s namespace; a revoked token stops working at once', async () => {
    const admin = await api.token('admin');
    const made = await api.call('POST', '/v1/tokens', {
      token: admin,
      body: { subject: 'ci-bot', role: 'operator', groups: ['release'] },
    });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({
      subject: 'ci-bot',
      role: 'operator',
      namespace: 'acme',
      token: expect.stringMatching(/^aob_/),
    });
    const who = await api.call('GET', '/v1/whoami', { token: made.body.token });
    expect(who.body).toMatchObject({
      subject: 'ci-bot',
      role: 'operator',
      namespace: 'acme',
      groups: ['release'],
    });
    const listed = await api.call('GET', '/v1/tokens', { token: admin });
    expect(listed.body.items.every((t: { namespace: string }) => t.namespace === 'acme')).toBe(
      true,
    );
    expect(JSON.stringify(listed.body)).not.toContain(made.body.token);
    const foreign = await api.call('DELETE', `/v1/tokens/${made.body.tokenId}`, { token: beta });
    expect(foreign.status).toBe(404);
    const revoked = await api.call('DELETE', `/v1/tokens/${made.body.tokenId}`, { token: admin });
    expect(revoked.body.revokedAt).toEqual(expect.any(Number));
    expect((await api.call('GET', '/v1/whoami', { token: made.body.token })).status).toBe(401);
  });
});
