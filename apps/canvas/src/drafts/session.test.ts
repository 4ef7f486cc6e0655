import { describe, expect, it } from 'vitest';
import fastJsonPatch from 'fast-json-patch';
import { AobApiError } from '@aob/client';
import type { EditorDefinition } from '../editor/definition.js';
import { addNode, connect, updateNode } from '../editor/definition.js';
import type { DraftApi } from './api.js';
import type { DraftChange, DraftView, JsonPatchOp } from './types.js';
import { DraftSession, shownOf } from './session.js';

const start: EditorDefinition = {
  name: 'orders',
  version: '1',
  nodes: [{ id: 'fetch', type: 'transform', with: { value: 1 } }],
  edges: [],
};

/**
 * A server holding one draft, as the drafts routes behave: changes on an expected revision
 * (DRAFT_CONFLICT otherwise), a cycle refused, undo of the caller's newest change. `gate` holds
 * the next answer back until released, to order it against feed events.
 */
function fakeServer() {
  let view: DraftView = {
    draftId: 'drf_1',
    namespace: 'default',
    definition: start,
    revision: 0,
    problems: [],
    createdBy: 'ann',
    createdAt: 0,
    updatedAt: 0,
    commits: [],
  };
  const log: (DraftChange & { inverse: JsonPatchOp[] })[] = [];
  let gate: Promise<void> | undefined;
  const apply = (ops: JsonPatchOp[], by: string, kind: 'change' | 'undo' = 'change') => {
    const def = fastJsonPatch.applyPatch(structuredClone(view.definition), ops as never)
      .newDocument as EditorDefinition;
    if (def.edges.some((e) => def.edges.some((f) => f.from === e.to && f.to === e.from))) {
      throw new AobApiError({
        status: 400,
        code: 'VALIDATION',
        detail: 'invalid draft change: 1 problem',
        errors: [{ code: 'CYCLE', path: '/edges/1', message: 'cycle a → b → a' }],
      });
    }
    const seq = view.revision + 1;
    const inverse = fastJsonPatch.compare(def, view.definition) as JsonPatchOp[];
    log.push({ seq, by, kind, ops, at: seq, inverse });
    view = { ...view, definition: def, revision: seq, lastChange: { seq, by, kind, at: seq } };
    return view;
  };
  const api: DraftApi = {
    list: () => Promise.reject(new Error('unused')),
    create: () => Promise.reject(new Error('unused')),
    get: () => Promise.resolve(view),
    change: async (_id, ops, expectRevision) => {
      await gate;
      if (expectRevision !== undefined && expectRevision !== view.revision) {
        throw new AobApiError({ status: 409, code: 'DRAFT_CONFLICT', detail: 'stale' });
      }
      return apply(ops, 'ann');
    },
    undo: () => {
      const last = [...log].reverse().find((c) => c.by === 'ann' && c.kind === 'change');
      if (!last) {
        return Promise.reject(
          new AobApiError({ status: 409, code: 'NOTHING_TO_UNDO', detail: 'nothing' }),
        );
      }
      return Promise.resolve(apply(last.inverse, 'ann', 'undo'));
    },
    commit: () => Promise.reject(new Error('unused')),
    changes: (_id, after = 0) => Promise.resolve({ changes: log.filter((c) => c.seq > after) }),
    feed: () => (async function* () {})(),
  };
  return {
    api,
    /** Someone else's change, as the feed would bring it. */
    other: (edit: (d: EditorDefinition) => EditorDefinition, by = 'claude (agent)') => {
      const ops = fastJsonPatch.compare(view.definition, edit(view.definition)) as JsonPatchOp[];
      return { kind: 'changed' as const, revision: 0, draft: apply(ops, by) };
    },
    now: () => view,
    hold: () => {
      let release = () => {};
      gate = new Promise((r) => (release = r));
      return () => {
        gate = undefined;
        release();
      };
    },
  };
}

function session(server: ReturnType<typeof fakeServer>) {
  const errors: unknown[] = [];
  const s = new DraftSession(server.api, 'drf_1', {
    onError: (e) => errors.push(e),
    self: 'ann',
    now: () => 1_000,
  });
  s.load();
  return { s, errors };
}

describe('a draft in the editor', () => {
  it('shows others’ changes with their author, and the person’s own without a badge', async () => {
    const server = fakeServer();
    const { s, errors } = session(server);
    await s.settled();
    s.onEvent(server.other((d) => addNode(d, { id: 'sum', type: 'transform' }, 'fetch')));
    await s.settled();
    expect(shownOf(s.getState())!.nodes.map((n) => n.id)).toEqual(['fetch', 'sum']);
    expect([...s.getState().marks]).toEqual([
      ['sum', { text: 'added by claude (agent)', at: 1_000 }],
    ]);

    s.change((d) => addNode(d, { id: 'mail', type: 'transform' }));
    await s.settled();
    expect(server.now().revision).toBe(2);
    expect(s.getState().view!.revision).toBe(2);
    expect(s.getState().marks.has('mail')).toBe(false);
    expect(s.getState().activity.map((a) => [a.by, a.what])).toEqual([
      ['ann', 'added mail'],
      ['claude (agent)', 'added sum · connected fetch → sum'],
    ]);
    expect(errors).toEqual([]);
  });

  it('shows an edit at once, and the server’s answer after', async () => {
    const server = fakeServer();
    const { s } = session(server);
    await s.settled();
    const release = server.hold();
    s.change((d) => updateNode(d, 'fetch', { ...d.nodes[0]!, with: { value: 2 } }));
    expect(shownOf(s.getState())!.nodes[0]!.with).toEqual({ value: 2 });
    expect(s.getState().view!.revision).toBe(0);
    release();
    await s.settled();
    expect(s.getState().pending).toEqual([]);
    expect(s.getState().view!.definition.nodes[0]!.with).toEqual({ value: 2 });
  });

  it('knows the feed’s echo of the person’s own change from someone else’s', async () => {
    const server = fakeServer();
    const { s } = session(server);
    await s.settled();
    const release = server.hold();
    s.change((d) => addNode(d, { id: 'mine', type: 'transform' }));
    // The feed hears of it (revision 1) while the answer is still on its way.
    const echo = { kind: 'changed' as const, revision: 1 };
    release();
    await s.settled();
    s.onEvent({ ...echo, draft: server.now() });
    await s.settled();
    expect(s.getState().marks.size).toBe(0);
  });

  it('on a stale revision reads the draft again, says so and keeps the server’s', async () => {
    const server = fakeServer();
    const { s } = session(server);
    await s.settled();
    // The agent changed the draft; the person edits before the feed said so.
    server.other((d) => addNode(d, { id: 'sum', type: 'transform' }));
    s.change((d) => addNode(d, { id: 'mine', type: 'transform' }));
    await s.settled();
    const state = s.getState();
    expect(state.view!.revision).toBe(1);
    expect(state.view!.definition.nodes.map((n) => n.id)).toEqual(['fetch', 'sum']);
    expect(state.notice).toMatch(/changed before your edit arrived \(claude \(agent\)\)/);
  });

  it('a refused edit names its problems, and the draft stays as the server has it', async () => {
    const server = fakeServer();
    const { s } = session(server);
    await s.settled();
    s.onEvent(
      server.other((d) =>
        connect(addNode(d, { id: 'sum', type: 'transform' }), { from: 'fetch', to: 'sum' }),
      ),
    );
    await s.settled();
    s.change((d) => connect(d, { from: 'sum', to: 'fetch' }));
    await s.settled();
    const state = s.getState();
    expect(state.refusal).toEqual({
      detail: 'invalid draft change: 1 problem',
      problems: [{ code: 'CYCLE', path: '/edges/1', message: 'cycle a → b → a' }],
    });
    expect(shownOf(state)!.edges).toEqual([{ from: 'fetch', to: 'sum' }]);
    expect(state.view!.revision).toBe(1);
  });

  it('undoes the person’s own change, and says when there is none', async () => {
    const server = fakeServer();
    const { s } = session(server);
    await s.settled();
    s.undo();
    await s.settled();
    expect(s.getState().notice).toMatch(/^Nothing of yours to undo/);
    s.change((d) => addNode(d, { id: 'mine', type: 'transform' }));
    await s.settled();
    s.onEvent(server.other((d) => addNode(d, { id: 'sum', type: 'transform' })));
    s.undo();
    await s.settled();
    expect(shownOf(s.getState())!.nodes.map((n) => n.id)).toEqual(['fetch', 'sum']);
    expect(s.getState().activity[0]).toMatchObject({
      by: 'ann',
      kind: 'undo',
      what: 'removed mine',
    });
  });

  it('never goes back to an older view', async () => {
    const server = fakeServer();
    const { s } = session(server);
    await s.settled();
    const old = server.other((d) => addNode(d, { id: 'a', type: 'transform' }));
    const newer = server.other((d) => addNode(d, { id: 'b', type: 'transform' }));
    s.onEvent(newer);
    s.onEvent(old);
    await s.settled();
    expect(s.getState().view!.revision).toBe(2);
    expect(shownOf(s.getState())!.nodes.map((n) => n.id)).toEqual(['fetch', 'a', 'b']);
    // Both changes are in the activity, the one the feed skipped read from the log.
    expect(s.getState().activity.map((a) => a.key)).toEqual(['c2', 'c1']);
  });

  it('follows a focus request, announces others’ commits but not the person’s own', async () => {
    const server = fakeServer();
    const { s } = session(server);
    await s.settled();
    const draft = server.now();
    s.onEvent({
      kind: 'focused',
      revision: 0,
      draft: { ...draft, focus: { nodes: ['fetch'], by: 'claude (agent)', at: 5 } },
    });
    await s.settled();
    expect(s.getState().focus).toEqual({ nodes: ['fetch'], by: 'claude (agent)', key: 1 });
    const commit = (by: string) => ({
      kind: 'committed' as const,
      revision: 0,
      draft: {
        ...draft,
        commits: [{ as: 'version' as const, by, at: 6, revision: 0, workflow: 'orders@1' }],
      },
    });
    s.onEvent(commit('ann'));
    await s.settled();
    expect(s.getState().notice).toBeUndefined();
    s.onEvent(commit('claude (agent)'));
    await s.settled();
    expect(s.getState().notice).toBe('claude (agent) committed this draft as orders@1.');
  });
});
