import { describe, expect, it } from 'vitest';
import { NODE_HEIGHT, NODE_WIDTH, layout } from './layout.js';
import type { GraphShape } from './layout.js';

/** A random DAG (edges only go forward), from a seed, so a failure can be replayed. */
function randomGraph(seed: number, size: number): GraphShape {
  let s = seed;
  const next = () => (s = (s * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  const nodes = Array.from({ length: size }, (_, i) => ({ id: `n${i}` }));
  const edges: GraphShape['edges'] = [];
  for (let i = 1; i < size; i++) {
    const fanIn = 1 + Math.floor(next() * 3);
    for (let k = 0; k < fanIn; k++) {
      edges.push({ id: `e${edges.length}`, from: `n${Math.floor(next() * i)}`, to: `n${i}` });
    }
  }
  return { nodes, edges };
}

describe('the graph layout', () => {
  it.each([1, 2, 3, 4, 5])(
    'gives the same positions to the same graph, and no two boxes overlap (seed %i)',
    (seed) => {
      const g = randomGraph(seed, 40);
      const first = layout(g);
      expect(layout(structuredClone(g))).toEqual(first);
      const boxes = [...first.values()];
      for (let i = 0; i < boxes.length; i++) {
        for (let j = i + 1; j < boxes.length; j++) {
          const a = boxes[i]!;
          const b = boxes[j]!;
          const apart =
            a.x + NODE_WIDTH <= b.x ||
            b.x + NODE_WIDTH <= a.x ||
            a.y + NODE_HEIGHT <= b.y ||
            b.y + NODE_HEIGHT <= a.y;
          expect(apart, `seed ${seed}: boxes ${i} and ${j} overlap`).toBe(true);
        }
      }
    },
  );

  it('lays a chain out left to right', () => {
    const chain = layout({
      nodes: [{ id: 'a' }, { id: 'b' }, { id: 'c' }],
      edges: [
        { id: 'e0', from: 'a', to: 'b' },
        { id: 'e1', from: 'b', to: 'c' },
      ],
    });
    expect(chain.get('a')!.x).toBeLessThan(chain.get('b')!.x);
    expect(chain.get('b')!.x).toBeLessThan(chain.get('c')!.x);
  });
});
