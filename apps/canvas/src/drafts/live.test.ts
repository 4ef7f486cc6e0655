import { describe, expect, it } from 'vitest';
import fastJsonPatch from 'fast-json-patch';
import type { EditorDefinition } from '../editor/definition.js';
import { addNode, connect, updateNode } from '../editor/definition.js';
import {
  ago,
  authorLabel,
  authorSubject,
  baseRef,
  draftName,
  describeChange,
  describeOps,
  draftOps,
  editable,
  isNewer,
  markChange,
  remapSelection,
  touched,
} from './live.js';

const base: EditorDefinition = {
  name: 'orders',
  version: '1',
  nodes: [
    { id: 'fetch', type: 'http', with: { url: 'https://example.test' } },
    { id: 'sum', type: 'transform', with: { value: 1 } },
  ],
  edges: [{ from: 'fetch', to: 'sum' }],
};

describe('the patch a person’s edit sends', () => {
  it('is the JSON Patch from the server’s definition to the edit, and applies back to it', () => {
    const edited = connect(addNode(base, { id: 'mail', type: 'transform' }), {
      from: 'sum',
      to: 'mail',
    });
    const ops = draftOps(base, edited);
    expect(ops).toEqual([
      { op: 'add', path: '/edges/1', value: { from: 'sum', to: 'mail' } },
      { op: 'add', path: '/nodes/2', value: { id: 'mail', type: 'transform' } },
    ]);
    const applied = fastJsonPatch.applyPatch(structuredClone(base), ops as never).newDocument;
    expect(applied).toEqual(edited);
  });

  it('is empty when nothing changed', () => {
    expect(draftOps(base, { ...base })).toEqual([]);
  });

  it('adds the lists a new draft lacks along with the first node', () => {
    const bare = { name: 'new', version: '1' } as unknown as EditorDefinition;
    const ops = draftOps(bare, addNode(editable(bare), { id: 'a', type: 'transform' }));
    const applied = fastJsonPatch.applyPatch(structuredClone(bare), ops as never).newDocument;
    expect(applied).toEqual({
      name: 'new',
      version: '1',
      nodes: [{ id: 'a', type: 'transform' }],
      edges: [],
    });
  });
});

describe('who made a change', () => {
  it('names a principal with its role, a bare subject as it is', () => {
    expect(authorLabel({ subject: 'claude', role: 'agent' })).toBe('claude (agent)');
    expect(authorLabel({ subject: 'ann' })).toBe('ann');
    expect(authorLabel('claude (agent)')).toBe('claude (agent)');
    expect(authorLabel(undefined)).toBe('someone');
    expect(authorSubject('claude (agent)')).toBe('claude');
    expect(authorSubject({ subject: 'ann', role: 'operator' })).toBe('ann');
  });

  it('names a base as name@version', () => {
    expect(baseRef({ name: 'orders', version: '3' })).toBe('orders@3');
    expect(baseRef('orders@3')).toBe('orders@3');
    expect(baseRef(undefined)).toBeUndefined();
  });

  it('calls a draft by its title, else its workflow’s name, else its id', () => {
    expect(draftName({ draftId: 'drf_1', title: 'Order totals' })).toBe('Order totals');
    expect(draftName({ draftId: 'drf_1', definition: { name: 'orders' } })).toBe('orders (draft)');
    expect(draftName({ draftId: 'drf_1', definition: { name: '' } })).toBe('drf_1');
  });

  it('says when in words', () => {
    const now = 1_000_000_000;
    expect(ago(now - 2_000, now)).toBe('just now');
    expect(ago(now - 42_000, now)).toBe('42 s ago');
    expect(ago(new Date(now - 5 * 60_000).toISOString(), now)).toBe('5 min ago');
    expect(ago(now - 3 * 3_600_000, now)).toBe('3 h ago');
    expect(ago(undefined, now)).toBe('—');
  });
});

describe('what a change touched', () => {
  it('names added, changed and removed nodes, new and gone edges, and the workflow’s fields', () => {
    const after: EditorDefinition = {
      ...base,
      description: 'totals',
      nodes: [
        { id: 'sum', type: 'transform', with: { value: 2 } },
        { id: 'mail', type: 'transform' },
      ],
      edges: [{ from: 'sum', to: 'mail', on: 'failure' }],
    };
    expect(touched(base, after)).toEqual({
      added: ['mail'],
      changed: ['sum'],
      removed: ['fetch'],
      connected: [{ from: 'sum', to: 'mail', on: 'failure' }],
      disconnected: [{ from: 'fetch', to: 'sum' }],
      workflow: true,
    });
    expect(describeChange(base, after)).toBe(
      'added mail · changed sum · removed fetch · connected sum → mail [failure] · disconnected fetch → sum · changed the workflow',
    );
  });

  it('a node moved in the list is not a change', () => {
    const after = { ...base, nodes: [base.nodes[1]!, base.nodes[0]!] };
    expect(describeChange(base, after)).toBe('no change');
  });

  it('says a recorded change from its operations', () => {
    expect(
      describeOps([
        { op: 'add', path: '/nodes/-', value: { id: 'mail', type: 'transform' } },
        { op: 'add', path: '/edges/-', value: { from: 'sum', to: 'mail' } },
      ]),
    ).toBe('added mail · connected sum → mail');
    expect(describeOps([{ op: 'replace', path: '/nodes/1/with/value', value: 3 }])).toBe(
      'set /nodes/1/with/value',
    );
    expect(describeOps([{ op: 'remove', path: '/nodes/0' }])).toBe('removed a node');
    expect(
      describeOps([1, 2, 3, 4, 5].map((i) => ({ op: 'replace', path: `/x${i}`, value: i }))),
    ).toBe('set /x1 · set /x2 · set /x3 · 2 more');
  });
});

describe('author badges', () => {
  it('marks what someone else added or changed, and drops old marks and gone nodes', () => {
    const first = markChange(
      new Map(),
      { added: ['mail'], changed: ['sum'], removed: [] },
      { subject: 'claude', role: 'agent' },
      1_000,
      20_000,
    );
    expect([...first]).toEqual([
      ['mail', { text: 'added by claude (agent)', at: 1_000 }],
      ['sum', { text: 'changed by claude (agent)', at: 1_000 }],
    ]);
    const later = markChange(
      first,
      { added: ['x'], changed: [], removed: ['sum'] },
      'ann',
      5_000,
      20_000,
    );
    expect([...later.keys()]).toEqual(['mail', 'x']);
    const expired = markChange(
      later,
      { added: [], changed: [], removed: [] },
      undefined,
      21_500,
      20_000,
    );
    expect([...expired.keys()]).toEqual(['x']);
  });
});

describe('the selection when the graph changes under it', () => {
  it('keeps a node that is still there and drops one that is gone', () => {
    const after = addNode(base, { id: 'mail', type: 'transform' });
    expect(remapSelection({ kind: 'node', id: 'sum' }, base, after)).toEqual({
      kind: 'node',
      id: 'sum',
    });
    const without = { ...base, nodes: [base.nodes[0]!], edges: [] };
    expect(remapSelection({ kind: 'node', id: 'sum' }, base, without)).toBeUndefined();
    expect(remapSelection(undefined, base, after)).toBeUndefined();
  });

  it('follows an edge to its new place in the list', () => {
    const after = { ...base, edges: [{ from: 'sum', to: 'fetch' }, ...base.edges] };
    expect(remapSelection({ kind: 'edge', index: 0 }, base, after)).toEqual({
      kind: 'edge',
      index: 1,
    });
    expect(
      remapSelection({ kind: 'edge', index: 0 }, base, { ...base, edges: [] }),
    ).toBeUndefined();
  });

  it('keeps a renamed node’s selection only under its new id (the page moves it)', () => {
    const renamed = updateNode(base, 'sum', { ...base.nodes[1]!, id: 'total' });
    expect(remapSelection({ kind: 'node', id: 'total' }, base, renamed)).toEqual({
      kind: 'node',
      id: 'total',
    });
  });
});

describe('ordering views of a draft', () => {
  it('takes only a newer revision', () => {
    const view = { revision: 4 };
    expect(isNewer(undefined, { revision: 1 } as never)).toBe(true);
    expect(isNewer(view, { revision: 5 } as never)).toBe(true);
    expect(isNewer(view, { revision: 4 } as never)).toBe(false);
    expect(isNewer(view, { revision: 3 } as never)).toBe(false);
  });
});
