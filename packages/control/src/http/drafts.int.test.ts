// Drafts over REST (issue 16 §3), end to end over real HTTP with every response checked against
// openapi.json: open, change (refused vs. problems), conflicts, undo, focus, the change log,
// commits as a version and as a patch, who may do what, namespaces, and the SSE feed.
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AobApiError, AobHttpClient } from '@aob/client';
import { ApprovalDesk } from '../hitl/index.js';
import { ControlPlane } from '../control-plane.js';
import { createApiServer } from './server.js';
import type { ApiHarness, Body } from './test-support.js';
import { gatedWorkflow, startApiHarness } from './test-support.js';

let api: ApiHarness;
let operator: string;
let viewer: string;
let agent: string;
let beta: string;

beforeAll(async () => {
  api = await startApiHarness();
  operator = await api.token('operator', 'acme', { subject: 'ada' });
  viewer = await api.token('viewer');
  agent = await api.token('agent', 'acme', { subject: 'planner-bot' });
  beta = await api.token('admin', 'beta');
});
afterAll(() => api.close());

const open = async (body: unknown = {}, token = operator): Promise<Body> => {
  const res = await api.call('POST', '/v1/drafts', { token, body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
};
const change = (draftId: string, body: unknown, token = operator) =>
  api.call('POST', `/v1/drafts/${draftId}/changes`, { token, body });

/** An SSE stream read as it comes: its `event: draft` data, its comments, and whether it ended. */
function follow(path: string, token: string) {
  const ctrl = new AbortController();
  const events: Body[] = [];
  const comments: string[] = [];
  let status = 0;
  let ended = false;
  const done = (async () => {
    const res = await fetch(api.url + path, {
      headers: { authorization: `Bearer ${token}` },
      signal: ctrl.signal,
    });
    status = res.status;
    if (status !== 200) return;
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for (;;) {
        const { done: over, value } = await reader.read();
        if (over) break;
        buffer += decoder.decode(value, { stream: true });
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          if (frame.startsWith(':')) comments.push(frame);
          const data = frame.split('\n').find((l) => l.startsWith('data: '));
          if (frame.includes('event: draft') && data) events.push(JSON.parse(data.slice(6)));
        }
      }
      ended = true;
    } catch {
      // aborted
    }
  })();
  return {
    events,
    comments,
    status: () => status,
    ended: () => ended,
    done,
    close: () => ctrl.abort(),
  };
}

async function until(check: () => boolean, ms = 3000): Promise<number> {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > ms) throw new Error('not in time');
    await new Promise((r) => setTimeout(r, 10));
  }
  return Date.now() - t0;
}

describe('drafts over REST', () => {
  it('opens, changes, lists problems, refuses a cycle with nothing stored, pages the log', async () => {
    const d = await open({ title: 'Drawn live' });
    expect(d).toMatchObject({
      namespace: 'acme',
      title: 'Drawn live',
      revision: 0,
      createdBy: 'ada',
      definition: { name: 'untitled', version: '1', nodes: [] },
    });
    expect(d.problems.length).toBeGreaterThan(0);

    const added = await change(d.draftId, {
      ops: [
        { op: 'add', path: '/nodes/-', value: { id: 'a', type: 'transform', with: { value: 1 } } },
        { op: 'add', path: '/nodes/-', value: { id: 'b', type: 'llm', with: {} } },
        { op: 'add', path: '/edges', value: [{ from: 'a', to: 'b' }] },
      ],
      expectRevision: 0,
    });
    expect(added.status).toBe(200);
    expect(added.body.revision).toBe(1);
    // The llm node lacks its model: a problem, not a refusal.
    expect(added.body.problems.some((p: Body) => p.path.startsWith('/nodes/1'))).toBe(true);

    const cycle = await change(d.draftId, {
      ops: [{ op: 'add', path: '/edges/-', value: { from: 'b', to: 'a' } }],
    });
    expect(cycle.status).toBe(400);
    expect(cycle.body.code).toBe('VALIDATION');
    expect(cycle.body.errors).toEqual([
      expect.objectContaining({ code: 'CYCLE', path: '/edges/1' }),
    ]);
    const stale = await change(d.draftId, {
      ops: [{ op: 'replace', path: '/name', value: 'late' }],
      expectRevision: 0,
    });
    expect(stale.status).toBe(409);
    expect(stale.body.code).toBe('DRAFT_CONFLICT');
    const now = await api.call('GET', `/v1/drafts/${d.draftId}`, { token: viewer });
    expect(now.body.revision).toBe(1);
    expect(now.body.definition.edges).toEqual([{ from: 'a', to: 'b' }]);

    const log = await api.call('GET', `/v1/drafts/${d.draftId}/changes?after=0&limit=10`, {
      token: viewer,
    });
    expect(log.body).toEqual({
      revision: 1,
      changes: [
        expect.objectContaining({ seq: 1, kind: 'change', by: 'ada', ops: expect.any(Array) }),
      ],
    });
    const newer = await open({ title: 'Newer' });
    const list = await api.call('GET', '/v1/drafts?limit=1', { token: viewer });
    expect(list.status).toBe(200);
    expect(list.body.items.map((x: Body) => x.draftId)).toEqual([newer.draftId]);
    const next = await api.call('GET', `/v1/drafts?limit=1&cursor=${list.body.nextCursor}`, {
      token: viewer,
    });
    expect(next.body.items.map((x: Body) => x.draftId)).toEqual([d.draftId]);
    // A bad body is refused by the document's schema before anything runs.
    const bad = await change(d.draftId, { ops: 'nope', extra: 1 });
    expect(bad.status).toBe(400);
  });

  it('undoes, focuses, commits only without problems, as a version, and deletes', async () => {
    const d = await open({ definition: gatedWorkflow('drafted') });
    await change(d.draftId, {
      ops: [{ op: 'replace', path: '/nodes/0/with/value', value: '{% ( %}' }],
    });
    const invalid = await api.call('POST', `/v1/drafts/${d.draftId}/commit`, {
      token: operator,
      body: { as: 'version' },
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body.code).toBe('DRAFT_INVALID');
    expect(invalid.body.errors).toEqual([
      expect.objectContaining({ code: 'BAD_EXPRESSION', path: '/nodes/0/with/value' }),
    ]);
    const undone = await api.call('POST', `/v1/drafts/${d.draftId}/undo`, {
      token: operator,
      body: { mine: true },
    });
    expect(undone.status).toBe(200);
    expect(undone.body).toMatchObject({ revision: 2, problems: [], lastChange: { kind: 'undo' } });
    const nothing = await api.call('POST', `/v1/drafts/${d.draftId}/undo`, {
      token: operator,
      body: {},
    });
    expect(nothing.status).toBe(409);
    expect(nothing.body.code).toBe('NOTHING_TO_UNDO');

    const unknown = await api.call('POST', `/v1/drafts/${d.draftId}/focus`, {
      token: operator,
      body: { nodes: ['gate', 'ghost'] },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors).toEqual([expect.objectContaining({ path: '/nodes/1' })]);
    const focused = await api.call('POST', `/v1/drafts/${d.draftId}/focus`, {
      token: operator,
      body: { nodes: ['gate'] },
    });
    expect(focused.body).toMatchObject({ revision: 2, focus: { nodes: ['gate'], by: 'ada' } });

    const committed = await api.call('POST', `/v1/drafts/${d.draftId}/commit`, {
      token: operator,
      body: { as: 'version', version: '7' },
    });
    expect(committed.status).toBe(200);
    expect(committed.body.workflow).toMatchObject({ name: 'drafted', version: '7' });
    expect(committed.body.draft.commits).toEqual([
      expect.objectContaining({ as: 'version', by: 'ada', workflow: 'drafted@7', revision: 2 }),
    ]);
    const shown = await api.call('GET', '/v1/workflows/drafted@7', { token: viewer });
    expect(shown.status).toBe(200);

    const gone = await api.call('DELETE', `/v1/drafts/${d.draftId}`, { token: operator });
    expect(gone.status).toBe(200);
    expect((await api.call('GET', `/v1/drafts/${d.draftId}`, { token: operator })).body.code).toBe(
      'DRAFT_NOT_FOUND',
    );
  });

  it('lets an agent draw, name itself and propose to a run, but not register a version', async () => {
    await api.call('POST', '/v1/workflows', {
      token: operator,
      body: { definition: gatedWorkflow('agented') },
    });
    const started = await api.call('POST', '/v1/runs', {
      token: operator,
      body: { workflow: 'agented' },
    });
    const runId = started.body.runId as string;
    await api.call('GET', `/v1/runs/${runId}/wait?untilSettled=true&timeoutMs=5000`, {
      token: operator,
    });
    const d = await open({ from: 'agented', author: 'claude' }, agent);
    expect(d).toMatchObject({
      createdBy: 'planner-bot (claude)',
      base: { name: 'agented', version: '1' },
    });
    const changed = await change(
      d.draftId,
      {
        ops: [{ op: 'replace', path: '/nodes/2/with/value', value: '{% nodes.a.output + 9 %}' }],
        author: 'claude',
      },
      agent,
    );
    expect(changed.body.lastChange).toMatchObject({ by: 'planner-bot (claude)' });
    const version = await api.call('POST', `/v1/drafts/${d.draftId}/commit`, {
      token: agent,
      body: { as: 'version', version: '2' },
    });
    expect(version.status).toBe(403);
    expect(version.body.code).toBe('FORBIDDEN');
    const patch = await api.call('POST', `/v1/drafts/${d.draftId}/commit`, {
      token: agent,
      body: { as: 'patch', runId, rationale: 'nine', author: 'claude' },
    });
    expect(patch.status).toBe(200);
    expect(patch.body.patch).toMatchObject({
      runId,
      status: 'applied',
      author: 'planner-bot (claude)',
      ops: [{ op: 'replace', path: '/nodes/2/with/value', value: '{% nodes.a.output + 9 %}' }],
    });
    expect(patch.body.draft.commits).toEqual([
      expect.objectContaining({ as: 'patch', runId, patchId: patch.body.patch.patchId }),
    ]);
    const badAuthor = await change(
      d.draftId,
      { ops: [{ op: 'replace', path: '/name', value: 'x' }], author: 'me (really)' },
      agent,
    );
    expect(badAuthor.status).toBe(400);
    // A viewer reads, never draws.
    expect((await change(d.draftId, { ops: [] }, viewer)).status).toBe(403);
    expect((await api.call('GET', `/v1/drafts/${d.draftId}`, { token: viewer })).status).toBe(200);
  });

  it("finds another namespace's draft as unknown as none", async () => {
    const d = await open();
    for (const [method, path, body] of [
      ['GET', `/v1/drafts/${d.draftId}`, undefined],
      ['GET', `/v1/drafts/${d.draftId}/changes`, undefined],
      [
        'POST',
        `/v1/drafts/${d.draftId}/changes`,
        { ops: [{ op: 'replace', path: '/name', value: 'x' }] },
      ],
      ['POST', `/v1/drafts/${d.draftId}/undo`, {}],
      ['DELETE', `/v1/drafts/${d.draftId}`, undefined],
    ] as const) {
      const res = await api.call(method, path, { token: beta, ...(body ? { body } : {}) });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body.code).toBe('DRAFT_NOT_FOUND');
    }
    const feed = follow(`/v1/drafts/${d.draftId}/feed`, beta);
    await feed.done;
    expect(feed.status()).toBe(404);
    const theirs = await api.call('GET', '/v1/drafts', { token: beta });
    expect(theirs.body.items).toEqual([]);
  });

  it('feeds a change made through REST within a second, then focus, a commit and the deletion', async () => {
    const d = await open({ definition: gatedWorkflow('watched') });
    const feed = follow(`/v1/drafts/${d.draftId}/feed`, viewer);
    await until(() => feed.events.length === 1);
    expect(feed.events[0]).toMatchObject({
      kind: 'changed',
      revision: 0,
      draft: { draftId: d.draftId },
    });

    await change(d.draftId, { ops: [{ op: 'replace', path: '/name', value: 'watched-2' }] });
    const took = await until(() => feed.events.length === 2, 1000);
    expect(took).toBeLessThan(1000);
    expect(feed.events[1]).toMatchObject({
      kind: 'changed',
      revision: 1,
      draft: { definition: { name: 'watched-2' }, lastChange: { by: 'ada' } },
    });
    await api.call('POST', `/v1/drafts/${d.draftId}/focus`, {
      token: operator,
      body: { nodes: ['b'] },
    });
    await until(() => feed.events.length === 3);
    expect(feed.events[2]).toMatchObject({
      kind: 'focused',
      revision: 1,
      draft: { focus: { nodes: ['b'] } },
    });
    await api.call('POST', `/v1/drafts/${d.draftId}/commit`, {
      token: operator,
      body: { as: 'version' },
    });
    await until(() => feed.events.length === 4);
    expect(feed.events[3]).toMatchObject({ kind: 'committed', revision: 1 });
    await api.call('DELETE', `/v1/drafts/${d.draftId}`, { token: operator });
    await until(() => feed.events.length === 5 && feed.ended());
    expect(feed.events[4]).toMatchObject({ kind: 'deleted', revision: 1 });
    feed.close();
  });

  it('is reached through @aob/client: a method per route', async () => {
    const client = new AobHttpClient({ baseUrl: api.url, token: operator });
    const d = await client.openDraft({ definition: gatedWorkflow('clienty'), title: 'by client' });
    const changed = await client.changeDraft(d.draftId, {
      ops: [{ op: 'replace', path: '/nodes/0/with/value', value: 2 }],
      expectRevision: 0,
      author: 'script',
    });
    expect(changed.lastChange).toMatchObject({ seq: 1, by: 'ada (script)' });
    const conflict = await client
      .changeDraft(d.draftId, { ops: [{ op: 'remove', path: '/nodes/0' }], expectRevision: 0 })
      .catch((e: unknown) => e);
    expect(conflict).toBeInstanceOf(AobApiError);
    expect(conflict).toMatchObject({ status: 409, code: 'DRAFT_CONFLICT' });
    expect((await client.draftChanges(d.draftId, { after: 0 })).changes).toHaveLength(1);
    expect((await client.focusDraft(d.draftId, ['a'])).focus?.nodes).toEqual(['a']);
    expect((await client.undoDraft(d.draftId, { mine: true, author: 'script' })).revision).toBe(2);
    expect((await client.getDraft(d.draftId)).definition).toEqual(gatedWorkflow('clienty'));
    expect((await client.listDrafts({ limit: 500 })).items.map((x) => x.draftId)).toContain(
      d.draftId,
    );
    const committed = await client.commitDraft(d.draftId, { as: 'version' });
    expect(committed.workflow).toMatchObject({ name: 'clienty', version: '1' });
    expect((await client.deleteDraft(d.draftId)).draftId).toBe(d.draftId);
  });

  it('hears changes another replica makes (polling), sends heartbeats, and ends when the server closes', async () => {
    // A second server over the same store, with its own control plane: another api replica.
    const replica = await createApiServer({
      plane: new ControlPlane({
        control: api.engine.control,
        store: api.engine.store,
        approvals: new ApprovalDesk({ control: api.engine.control }),
      }),
      tokens: api.engine.store,
      timelines: api.timelines,
      validateResponses: true,
      draftFeed: { heartbeatMs: 50 },
    });
    await replica.listen({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${(replica.server.address() as AddressInfo).port}`;
    const d = await open({ definition: gatedWorkflow('replicated') });
    const ctrl = new AbortController();
    const res = await fetch(`${url}/v1/drafts/${d.draftId}/feed`, {
      headers: { authorization: `Bearer ${viewer}` },
      signal: ctrl.signal,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const reading = (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        text += decoder.decode(value, { stream: true });
      }
    })().catch(() => undefined);
    await until(() => text.includes('event: draft'));
    // Changed through the first server: the replica's plane hears it by polling the store.
    await change(d.draftId, { ops: [{ op: 'replace', path: '/name', value: 'elsewhere' }] });
    await until(() => text.includes('"name":"elsewhere"'), 2000);
    await until(() => text.includes(': hb'));
    await replica.close();
    await reading;
    ctrl.abort();
  });
});
