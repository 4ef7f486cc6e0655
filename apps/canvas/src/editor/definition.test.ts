import { describe, expect, it } from 'vitest';
import {
  addNode,
  connect,
  disconnect,
  freshId,
  nextVersion,
  parseDefinition,
  removeNode,
  updateEdge,
  updateNode,
} from './definition.js';
import type { EditorDefinition } from './definition.js';
import { record, redo, undo } from './history.js';
import type { History } from './history.js';
import { placeProblems } from './problems.js';

const def: EditorDefinition = {
  name: 'w',
  version: '1',
  nodes: [
    { id: 'a', type: 'task', with: { handler: 'h' } },
    { id: 'b', type: 'transform', with: { value: 1 } },
  ],
  edges: [{ from: 'a', to: 'b' }],
};

describe('editor changes', () => {
  it('adds a node after the selected one, with a fresh id', () => {
    expect(freshId(def, 'a')).toBe('a2');
    expect(freshId(def, 'c')).toBe('c');
    const next = addNode(def, { id: 'c', type: 'task' }, 'b');
    expect(next.nodes.map((n) => n.id)).toEqual(['a', 'b', 'c']);
    expect(next.edges).toEqual([...def.edges, { from: 'b', to: 'c' }]);
    expect(def.nodes).toHaveLength(2); // the old value is untouched: undo relies on it
  });

  it('removes a node with every edge that touches it', () => {
    const next = removeNode(def, 'b');
    expect(next.nodes.map((n) => n.id)).toEqual(['a']);
    expect(next.edges).toEqual([]);
  });

  it('carries a rename to the edges', () => {
    const next = updateNode(def, 'b', { ...def.nodes[1]!, id: 'shape' });
    expect(next.edges).toEqual([{ from: 'a', to: 'shape' }]);
  });

  it('connects once per port, leaving the default port out', () => {
    expect(connect(def, { from: 'a', to: 'b', on: 'success' })).toBe(def);
    const next = connect(def, { from: 'a', to: 'b', on: 'failure' });
    expect(next.edges.at(-1)).toEqual({ from: 'a', to: 'b', on: 'failure' });
    expect(disconnect(next, 0).edges).toEqual([{ from: 'a', to: 'b', on: 'failure' }]);
  });

  it('changes an edge’s port and guard, dropping defaults', () => {
    const guarded = updateEdge(def, 0, { on: 'failure', when: '{% true %}' });
    expect(guarded.edges[0]).toEqual({ from: 'a', to: 'b', on: 'failure', when: '{% true %}' });
    expect(updateEdge(guarded, 0, { on: 'success', when: undefined }).edges[0]).toEqual({
      from: 'a',
      to: 'b',
    });
  });

  it('reads an imported definition and names every reason it cannot', () => {
    expect(parseDefinition(JSON.stringify(def))).toEqual(def);
    expect(() => parseDefinition('{')).toThrow(/not JSON/);
    expect(() => parseDefinition('[]')).toThrow(/JSON object/);
    expect(() => parseDefinition('{"nodes": {}, "edges": 3}')).toThrow(
      '"nodes" must be an array; "edges" must be an array',
    );
  });

  it('offers the version after the newest', () => {
    expect(nextVersion([])).toBe('1');
    expect(nextVersion(['1', '2', '10'])).toBe('11');
    expect(nextVersion(['1.0', '1.0.1'])).toBe('1.0.1.1');
  });
});

describe('undo and redo', () => {
  it('walks back and forth, and a new change drops the undone future', () => {
    let h: History<number> = { past: [], present: 0, future: [] };
    h = record(record(h, 1), 2);
    h = undo(undo(h));
    expect(h.present).toBe(0);
    h = redo(h);
    expect(h).toEqual({ past: [0], present: 1, future: [2] });
    h = record(h, 5);
    expect(h).toEqual({ past: [0, 1], present: 5, future: [] });
    expect(record(h, 5)).toBe(h); // no change, no step
    expect(undo({ past: [], present: 7, future: [] }).present).toBe(7);
  });
});

describe('placing the validator’s findings', () => {
  it('puts each on its node, its edge, or the workflow', () => {
    const placed = placeProblems(def, [
      { code: 'BAD_EXPRESSION', path: '/nodes/1/with/value', message: 'm1' },
      { code: 'CYCLE', path: '/edges/0', message: 'm2' },
      { code: 'BAD_NAME', path: '/name', message: 'm3' },
      { code: 'X', path: '/edges/9', message: 'out of range' },
    ]);
    expect(placed.nodes.get('b')).toEqual(['BAD_EXPRESSION: m1']);
    expect(placed.edges.get(0)).toEqual(['CYCLE: m2']);
    expect(placed.workflow).toEqual(['BAD_NAME: m3 (at /name)', 'X: out of range (at /edges/9)']);
    expect(placed.count).toBe(4);
  });
});
