import { afterEach, describe, expect, it, vi } from 'vitest';
import { AobHttpClient } from '@aob/client';
import { draftApi, readCommit } from './api.js';
import type { DraftView } from './types.js';

const session = {
  client: new AobHttpClient({ baseUrl: 'http://aob.test', token: 'aob_t' }),
  token: 'aob_t',
};

function draft(revision: number): DraftView {
  return {
    draftId: 'drf_1',
    namespace: 'default',
    definition: { name: 'orders', version: '2', nodes: [], edges: [] },
    revision,
    problems: [],
    createdBy: 'ann',
    createdAt: 0,
    updatedAt: 0,
    commits: [],
  };
}

/** A fetch that answers each request with the next of `answers`, and records the requests. */
function fakeFetch(...answers: Response[]) {
  const seen: { url: string; method: string; headers: Record<string, string>; body?: unknown }[] =
    [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init: RequestInit) => {
      seen.push({
        url,
        method: init.method ?? 'GET',
        headers: init.headers as Record<string, string>,
        ...(init.body ? { body: JSON.parse(init.body as string) as unknown } : {}),
      });
      return answers.shift()!;
    }),
  );
  return seen;
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('the drafts routes', () => {
  it('sends a change as ops with the revision it was made on, with the bearer token', async () => {
    const seen = fakeFetch(json(200, draft(8)));
    const view = await draftApi(session).change(
      'drf/1',
      [{ op: 'add', path: '/nodes/-', value: { id: 'a', type: 'transform' } }],
      7,
    );
    expect(view.revision).toBe(8);
    expect(seen).toEqual([
      {
        url: 'http://aob.test/v1/drafts/drf%2F1/changes',
        method: 'POST',
        headers: expect.objectContaining({ authorization: 'Bearer aob_t' }) as never,
        body: {
          ops: [{ op: 'add', path: '/nodes/-', value: { id: 'a', type: 'transform' } }],
          expectRevision: 7,
        },
      },
    ]);
  });

  it('turns a stale revision and a refused change into errors with their code and problems', async () => {
    fakeFetch(
      json(409, {
        code: 'DRAFT_CONFLICT',
        title: 'Conflict',
        detail: 'the draft is at revision 9',
      }),
      json(400, {
        code: 'DRAFT_REFUSED',
        detail: 'the change would break the workflow',
        errors: [{ code: 'CYCLE', path: '/edges/2', message: 'a → b → a' }],
      }),
    );
    const api = draftApi(session);
    await expect(api.change('drf_1', [], 7)).rejects.toMatchObject({
      status: 409,
      code: 'DRAFT_CONFLICT',
    });
    await expect(api.change('drf_1', [], 9)).rejects.toMatchObject({
      status: 400,
      errors: [{ code: 'CYCLE', path: '/edges/2', message: 'a → b → a' }],
    });
  });

  it('pages the list and reads changes after a seq', async () => {
    const seen = fakeFetch(json(200, { items: [] }), json(200, { changes: [] }));
    const api = draftApi(session);
    await api.list({ limit: 100, cursor: 'c1' });
    await api.changes('drf_1', 4);
    expect(seen.map((s) => s.url)).toEqual([
      'http://aob.test/v1/drafts?limit=100&cursor=c1',
      'http://aob.test/v1/drafts/drf_1/changes?after=4',
    ]);
  });

  it('follows the feed: each `draft` event, parsed, with the token', async () => {
    const body = [
      'event: draft\nid: 1\ndata: {"kind":"changed","revision":3,"draft":{"draftId":"drf_1"}}\n\n',
      ': heartbeat\n\n',
      'event: draft\nid: 2\ndata: {"kind":"focused","revision":3,"draft":{"draftId":"drf_1"}}\n\n',
      'event: end\ndata: {}\n\n',
    ].join('');
    const seen = fakeFetch(
      new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } }),
    );
    const kinds: string[] = [];
    for await (const e of draftApi(session).feed('drf_1', new AbortController().signal, () => {})) {
      kinds.push(e.kind);
    }
    expect(kinds).toEqual(['changed', 'focused']);
    expect(seen[0]!.url).toBe('http://aob.test/v1/drafts/drf_1/feed');
    expect(seen[0]!.headers).toMatchObject({ authorization: 'Bearer aob_t' });
  });
});

describe('undo and the end of a feed', () => {
  it('undoes only the person’s own changes', async () => {
    const seen = fakeFetch(json(200, draft(9)));
    await draftApi(session).undo('drf_1');
    expect(seen[0]).toMatchObject({
      url: 'http://aob.test/v1/drafts/drf_1/undo',
      method: 'POST',
      body: { mine: true },
    });
  });

  it('stops following a deleted draft', async () => {
    const deleted = 'event: draft\ndata: {"kind":"deleted","revision":3,"draft":{}}\n\n';
    const seen = fakeFetch(
      new Response(deleted, { status: 200, headers: { 'content-type': 'text/event-stream' } }),
    );
    const kinds: string[] = [];
    for await (const e of draftApi(session).feed('drf_1', new AbortController().signal, () => {})) {
      kinds.push(e.kind);
    }
    expect(kinds).toEqual(['deleted']);
    expect(seen).toHaveLength(1);
  });
});

describe('a commit’s answer', () => {
  const def = { name: 'orders', version: '2' };
  it('names the version it registered, whichever shape says so', () => {
    expect(
      readCommit({ draft: draft(9), workflow: { name: 'orders', version: '2' } }, def),
    ).toEqual({
      draft: draft(9),
      workflow: 'orders@2',
    });
    expect(readCommit({ workflow: 'orders@3' }, def)).toEqual({ workflow: 'orders@3' });
    expect(
      readCommit({ ...draft(9), commits: [{ as: 'version', workflow: 'orders@4' }] }, def),
    ).toMatchObject({ workflow: 'orders@4' });
    expect(readCommit(undefined, def)).toEqual({ workflow: 'orders@2' });
  });

  it('gives the patch a commit to a run made', () => {
    const patch = { patchId: 'pat_1', status: 'applied', violations: [] };
    expect(readCommit({ patch }, def)).toEqual({ patch });
    expect(readCommit(patch, def)).toEqual({ patch });
  });
});
