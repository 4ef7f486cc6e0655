// Drafts over the local engine (memory store): what a change may do (refused vs. a problem),
// conflicts, undo, focus, commits as a version and as a patch to a running run, and the feed.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalEngine } from '../local/local-engine.js';
import type { DraftFeedEvent } from './drafts.js';
import { DraftControl, checkDraftDefinition } from './drafts.js';

let engine: LocalEngine;
beforeEach(async () => {
  engine = await LocalEngine.open({ store: 'memory' });
});
afterEach(() => engine.close());

const NS = 'acme';

/** `a` → `gate` (approval) → `b`: a run of it waits on a person at `gate`. */
const gated = (name = 'gated') => ({
  name,
  version: '1',
  nodes: [
    { id: 'a', type: 'transform', with: { value: 1 } },
    { id: 'gate', type: 'approval', with: { approvers: ['role:approver'] } },
    { id: 'b', type: 'transform', with: { value: '{% nodes.a.output + 1 %}' } },
  ],
  edges: [
    { from: 'a', to: 'gate' },
    { from: 'gate', to: 'b', on: 'approved' },
  ],
  output: '{% nodes.b.output %}',
});

/** The refusal's problems, or a failure if it was not refused. */
async function refusal(p: Promise<unknown>): Promise<{ code: string; problems: unknown[] }> {
  try {
    await p;
  } catch (err) {
    const e = err as { code: string; problems?: unknown[]; details?: unknown };
    return { code: e.code, problems: e.problems ?? (Array.isArray(e.details) ? e.details : []) };
  }
  throw new Error('expected a refusal');
}

describe('drafts', () => {
  it('opens blank with problems, not refused: a draft may be incomplete while it is drawn', async () => {
    const d = await engine.drafts.open(NS, 'ada', { title: 'New flow' });
    expect(d.draftId).toMatch(/^drf_/);
    expect(d).toMatchObject({
      namespace: NS,
      title: 'New flow',
      definition: { name: 'untitled', version: '1', nodes: [] },
      revision: 0,
      createdBy: 'ada',
      commits: [],
    });
    expect(d.problems.map((p) => p.path)).toContain('/nodes');
    expect(await engine.drafts.get(NS, d.draftId)).toEqual(d);
    expect((await engine.drafts.list(NS)).map((x) => x.draftId)).toEqual([d.draftId]);
    expect(await engine.drafts.list('beta')).toEqual([]);
  });

  it('keeps an incomplete node and a bad expression as problems; commit refuses until they are fixed', async () => {
    const d = await engine.drafts.open(NS, 'ada');
    const next = await engine.drafts.change(NS, d.draftId, {
      by: 'ada',
      ops: [
        { op: 'add', path: '/nodes/-', value: { id: 'ask', type: 'llm', with: {} } },
        {
          op: 'add',
          path: '/nodes/-',
          value: { id: 't', type: 'transform', with: { value: '{% ( %}' } },
        },
      ],
    });
    expect(next.revision).toBe(1);
    expect(next.lastChange).toMatchObject({ seq: 1, by: 'ada', kind: 'change' });
    const codes = next.problems.map((p) => `${p.code} ${p.path}`);
    expect(codes).toContain('BAD_EXPRESSION /nodes/1/with/value');
    expect(codes.some((c) => c.startsWith('SCHEMA /nodes/0'))).toBe(true);
    const refused = await refusal(engine.drafts.commit(NS, d.draftId, 'ada', { as: 'version' }));
    expect(refused.code).toBe('DRAFT_INVALID');
    expect(refused.problems).toEqual(next.problems);
    expect((await engine.drafts.get(NS, d.draftId)).commits).toEqual([]);
  });

  it('refuses a cycle with CYCLE and changes nothing', async () => {
    const d = await engine.drafts.open(NS, 'ada', { definition: gated() });
    const before = await engine.drafts.get(NS, d.draftId);
    const refused = await refusal(
      engine.drafts.change(NS, d.draftId, {
        by: 'ada',
        ops: [{ op: 'add', path: '/edges/-', value: { from: 'b', to: 'a' } }],
      }),
    );
    expect(refused.code).toBe('VALIDATION');
    expect(refused.problems).toEqual([
      expect.objectContaining({ code: 'CYCLE', path: '/edges/2' }),
    ]);
    expect(await engine.drafts.get(NS, d.draftId)).toEqual(before);
    expect((await engine.drafts.changes(NS, d.draftId)).changes).toEqual([]);
  });

  it('refuses what is no JSON Patch, does not apply, or breaks the structure, naming each problem', async () => {
    const d = await engine.drafts.open(NS, 'ada', { definition: gated() });
    const cases: [unknown, string[]][] = [
      [[], ['SCHEMA /ops']],
      [[{ op: 'bogus', path: '/name' }], ['SCHEMA /ops/0/op']],
      [[{ op: 'test', path: '/name', value: 'other' }], ['TEST_FAILED /ops/0']],
      [[{ op: 'replace', path: '/nodes/9/with', value: {} }], ['PATH_NOT_FOUND /ops/0/path']],
      [[{ op: 'replace', path: '', value: [] }], ['SCHEMA ']],
      [[{ op: 'replace', path: '/nodes', value: {} }], ['SCHEMA /nodes']],
      [[{ op: 'add', path: '/nodes/-', value: { type: 'transform' } }], ['SCHEMA /nodes/3/id']],
      [
        [{ op: 'add', path: '/nodes/-', value: { id: 'a', type: 'transform' } }],
        ['DUPLICATE_ID /nodes/3/id'],
      ],
      [
        [{ op: 'add', path: '/edges/-', value: { from: 'a', to: 'nowhere' } }],
        ['UNKNOWN_NODE /edges/2/to'],
      ],
      [[{ op: 'add', path: '/edges/-', value: { from: 'a' } }], ['SCHEMA /edges/2/to']],
      [
        [{ op: 'add', path: '/nodes/-', value: { id: 'constructor', type: 'transform' } }],
        ['RESERVED_ID /nodes/3/id'],
      ],
    ];
    for (const [ops, expected] of cases) {
      const refused = await refusal(engine.drafts.change(NS, d.draftId, { by: 'ada', ops }));
      expect(refused.code, JSON.stringify(ops)).toBe('VALIDATION');
      const got = (refused.problems as { code: string; path: string }[]).map(
        (p) => `${p.code} ${p.path}`,
      );
      expect(got, JSON.stringify(ops)).toEqual(expected);
    }
    const after = await engine.drafts.get(NS, d.draftId);
    expect(after.revision).toBe(0);
    expect(after.definition).toEqual(gated());
    // A definition to open from is held to the same rules.
    const opened = await refusal(
      engine.drafts.open(NS, 'ada', {
        definition: { ...gated(), edges: [...gated().edges, { from: 'b', to: 'a' }] },
      }),
    );
    expect(opened.problems).toEqual([
      expect.objectContaining({ code: 'CYCLE', path: '/definition/edges/2' }),
    ]);
  });

  it('applies a change only on the revision it expects: DRAFT_CONFLICT otherwise, nothing stored', async () => {
    const d = await engine.drafts.open(NS, 'ada', { definition: gated() });
    const rename = (value: string, expectRevision?: number) =>
      engine.drafts.change(NS, d.draftId, {
        by: 'ada',
        ops: [{ op: 'replace', path: '/name', value }],
        ...(expectRevision !== undefined ? { expectRevision } : {}),
      });
    expect((await rename('one', 0)).revision).toBe(1);
    expect((await refusal(rename('two', 0))).code).toBe('DRAFT_CONFLICT');
    expect((await engine.drafts.get(NS, d.draftId)).definition).toMatchObject({ name: 'one' });
    // Without expectRevision a change lands on the newest; concurrent ones all land, in order.
    const all = await Promise.all(['x', 'y', 'z'].map((v) => rename(v)));
    expect(all.map((v) => v.revision).sort()).toEqual([2, 3, 4]);
    expect((await engine.drafts.changes(NS, d.draftId)).changes.map((c) => c.seq)).toEqual([
      1, 2, 3, 4,
    ]);
  });

  it('undoes the newest change not undone (or only an author’s), as a change of kind undo', async () => {
    const d = await engine.drafts.open(NS, 'ada', { definition: gated() });
    const add = (id: string, by: string) =>
      engine.drafts.change(NS, d.draftId, {
        by,
        ops: [
          { op: 'add', path: '/nodes/-', value: { id, type: 'transform', with: { value: 1 } } },
        ],
      });
    await add('x', 'ada');
    await add('y', 'bob (planner)');
    await add('z', 'ada');
    const ids = (v: { definition: Record<string, unknown> }) =>
      (v.definition.nodes as { id: string }[]).map((n) => n.id);

    const u1 = await engine.drafts.undo(NS, d.draftId, { by: 'ada' });
    expect(ids(u1)).toEqual(['a', 'gate', 'b', 'x', 'y']);
    expect(u1.lastChange).toMatchObject({ seq: 4, kind: 'undo', by: 'ada' });
    // Only bob's: y goes, x stays.
    const u2 = await engine.drafts.undo(NS, d.draftId, {
      by: 'bob (planner)',
      onlyBy: 'bob (planner)',
    });
    expect(ids(u2)).toEqual(['a', 'gate', 'b', 'x']);
    const log = (await engine.drafts.changes(NS, d.draftId)).changes;
    expect(log.map((c) => [c.seq, c.kind, c.undoes])).toEqual([
      [1, 'change', undefined],
      [2, 'change', undefined],
      [3, 'change', undefined],
      [4, 'undo', 3],
      [5, 'undo', 2],
    ]);
    expect(
      (await refusal(engine.drafts.undo(NS, d.draftId, { by: 'bob', onlyBy: 'bob (planner)' })))
        .code,
    ).toBe('NOTHING_TO_UNDO');
    // Undo walks back through history; undos themselves are not undone.
    const u3 = await engine.drafts.undo(NS, d.draftId, { by: 'ada' });
    expect(u3.definition).toEqual(gated());
    expect((await refusal(engine.drafts.undo(NS, d.draftId, { by: 'ada' }))).code).toBe(
      'NOTHING_TO_UNDO',
    );
  });

  it('refuses an undo that would break the draft, and changes nothing', async () => {
    const d = await engine.drafts.open(NS, 'ada', { definition: gated() });
    await engine.drafts.change(NS, d.draftId, {
      by: 'ada',
      ops: [
        { op: 'add', path: '/nodes/-', value: { id: 'x', type: 'transform', with: { value: 1 } } },
      ],
    });
    await engine.drafts.change(NS, d.draftId, {
      by: 'bob',
      ops: [{ op: 'add', path: '/edges/-', value: { from: 'b', to: 'x' } }],
    });
    // Taking ada's node back would leave bob's edge to no node.
    const refused = await refusal(engine.drafts.undo(NS, d.draftId, { by: 'ada', onlyBy: 'ada' }));
    expect(refused.code).toBe('VALIDATION');
    expect((await engine.drafts.get(NS, d.draftId)).revision).toBe(2);
  });

  it('focuses nodes that exist (naming each unknown one) without moving the revision', async () => {
    const d = await engine.drafts.open(NS, 'ada', { definition: gated() });
    const refused = await refusal(
      engine.drafts.focus(NS, d.draftId, { nodes: ['a', 'nope', 'nada'], by: 'ada' }),
    );
    expect(refused.problems).toEqual([
      expect.objectContaining({ code: 'UNKNOWN_NODE', path: '/nodes/1' }),
      expect.objectContaining({ code: 'UNKNOWN_NODE', path: '/nodes/2' }),
    ]);
    const f = await engine.drafts.focus(NS, d.draftId, {
      nodes: ['gate', 'b'],
      by: 'bob (planner)',
    });
    expect(f.focus).toMatchObject({ nodes: ['gate', 'b'], by: 'bob (planner)' });
    expect(f.revision).toBe(0);
    expect((await engine.drafts.get(NS, d.draftId)).focus).toEqual(f.focus);
  });

  it('commits as a version: the definition is registered (a version given overrides its own)', async () => {
    const d = await engine.drafts.open(NS, 'ada', { definition: gated('drawn') });
    const first = await engine.drafts.commit(NS, d.draftId, 'ada', { as: 'version' });
    expect(first.workflow).toMatchObject({ name: 'drawn', version: '1' });
    expect(await engine.control.registeredWorkflow('drawn@1')).toEqual(gated('drawn'));
    await engine.drafts.change(NS, d.draftId, {
      by: 'ada',
      ops: [{ op: 'replace', path: '/nodes/0/with/value', value: 5 }],
    });
    const second = await engine.drafts.commit(NS, d.draftId, 'ada', {
      as: 'version',
      version: '2',
    });
    expect(second.workflow).toMatchObject({ name: 'drawn', version: '2' });
    expect((await engine.control.registeredWorkflow('drawn@2')).nodes[0]).toMatchObject({
      with: { value: 5 },
    });
    expect(second.draft.commits).toEqual([
      expect.objectContaining({ as: 'version', by: 'ada', revision: 0, workflow: 'drawn@1' }),
      expect.objectContaining({ as: 'version', by: 'ada', revision: 1, workflow: 'drawn@2' }),
    ]);
    // Opened from the registry: its base is the version.
    const again = await engine.drafts.open(NS, 'eve', { from: 'drawn@2' });
    expect(again.base).toEqual({ name: 'drawn', version: '2' });
    expect(again.definition).toEqual(await engine.control.registeredWorkflow('drawn@2'));
  });

  it('commits as a patch to a running run: the difference from its definition is proposed', async () => {
    await engine.control.registerWorkflow(gated('live'));
    const runId = await engine.control.start(gated('live'), {}, { namespace: NS });
    await engine.control.wait(runId, { untilSettled: true, timeoutMs: 5000 });
    const d = await engine.drafts.open(NS, 'ada', { from: 'live' });
    await engine.drafts.change(NS, d.draftId, {
      by: 'ada',
      ops: [{ op: 'replace', path: '/nodes/2/with/value', value: '{% nodes.a.output + 41 %}' }],
    });
    const c = await engine.drafts.commit(NS, d.draftId, 'bob (planner)', {
      as: 'patch',
      runId,
      rationale: 'the answer',
    });
    expect(c.patch).toMatchObject({ status: 'applied', runId, author: 'bob (planner)' });
    expect(c.patch!.ops).toEqual([
      { op: 'replace', path: '/nodes/2/with/value', value: '{% nodes.a.output + 41 %}' },
    ]);
    expect(c.draft.commits).toEqual([
      expect.objectContaining({ as: 'patch', runId, patchId: c.patch!.patchId, status: 'applied' }),
    ]);
    // Nothing differs now: nothing to propose.
    const none = await refusal(engine.drafts.commit(NS, d.draftId, 'ada', { as: 'patch', runId }));
    expect(none.problems).toEqual([expect.objectContaining({ code: 'NO_CHANGE' })]);
  });

  it('keeps namespaces apart and deletes a draft with its log', async () => {
    const d = await engine.drafts.open(NS, 'ada', { definition: gated() });
    for (const call of [
      engine.drafts.get('beta', d.draftId),
      engine.drafts.change('beta', d.draftId, {
        by: 'eve',
        ops: [{ op: 'replace', path: '/name', value: 'x' }],
      }),
      engine.drafts.delete('beta', d.draftId),
    ]) {
      expect((await refusal(call)).code).toBe('DRAFT_NOT_FOUND');
    }
    expect((await engine.drafts.delete(NS, d.draftId)).draftId).toBe(d.draftId);
    expect((await refusal(engine.drafts.get(NS, d.draftId))).code).toBe('DRAFT_NOT_FOUND');
  });

  it('pages the change log', async () => {
    const d = await engine.drafts.open(NS, 'ada', { definition: gated() });
    for (let i = 0; i < 5; i++) {
      await engine.drafts.change(NS, d.draftId, {
        by: 'ada',
        ops: [{ op: 'replace', path: '/name', value: `n${i}` }],
      });
    }
    const page = await engine.drafts.changes(NS, d.draftId, { after: 1, limit: 2 });
    expect(page.revision).toBe(5);
    expect(page.changes.map((c) => c.seq)).toEqual([2, 3]);
    expect(page.changes[0]).toEqual({
      seq: 2,
      kind: 'change',
      by: 'ada',
      at: expect.any(Number),
      ops: [{ op: 'replace', path: '/name', value: 'n1' }],
    });
  });

  it('feeds watchers what this process does at once, and what another does within the poll', async () => {
    const d = await engine.drafts.open(NS, 'ada', { definition: gated() });
    const seen: DraftFeedEvent[] = [];
    const stop = engine.drafts.watch(d.draftId, (e) => seen.push(e), d);
    await engine.drafts.change(NS, d.draftId, {
      by: 'ada',
      ops: [{ op: 'replace', path: '/name', value: 'here' }],
    });
    await engine.drafts.focus(NS, d.draftId, { nodes: ['a'], by: 'ada' });
    expect(seen.map((e) => [e.kind, e.revision])).toEqual([
      ['changed', 1],
      ['focused', 1],
    ]);
    expect(seen[0]!.draft.definition).toMatchObject({ name: 'here' });
    // Another process on the same store (an api replica): heard by polling.
    const other = new DraftControl({ store: engine.store, control: engine.control });
    const polled = new DraftControl({
      store: engine.store,
      control: engine.control,
      pollMs: 20,
    });
    const far: DraftFeedEvent[] = [];
    const stopFar = polled.watch(d.draftId, (e) => far.push(e), await polled.get(NS, d.draftId));
    await other.change(NS, d.draftId, {
      by: 'eve',
      ops: [{ op: 'replace', path: '/name', value: 'there' }],
    });
    await waitFor(() => far.length === 1);
    expect(far[0]).toMatchObject({ kind: 'changed', revision: 2 });
    expect(far[0]!.draft.definition).toMatchObject({ name: 'there' });
    await other.delete(NS, d.draftId);
    await waitFor(() => far.length === 2);
    expect(far[1]).toMatchObject({ kind: 'deleted', revision: 2 });
    stopFar();
    stop();
    polled.close();
    other.close();
  });

  it('splits what validateDefinition says into refusals and problems', () => {
    expect(checkDraftDefinition({ name: 'x', version: '1', nodes: [] }).refused).toEqual([]);
    expect(checkDraftDefinition('no').refused[0]).toMatchObject({ code: 'SCHEMA', path: '' });
    expect(
      checkDraftDefinition(JSON.parse('{"nodes":[],"__proto__":{}}')).refused[0],
    ).toMatchObject({
      code: 'RESERVED_KEY',
    });
  });
});

async function waitFor(check: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('not in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
