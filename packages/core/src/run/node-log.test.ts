// A map item's log line names the item it came from, so a timeline can show `shout[1]`, not the
// map node as a whole.
import { describe, expect, it } from 'vitest';
import { compile } from '../ir/compile.js';
import { Sim } from './testing/sim.js';

describe('decide: nodeLog', () => {
  it('records the map item a log line came from', () => {
    const ir = compile({
      name: 'w',
      version: '1',
      nodes: [
        {
          id: 'shout',
          type: 'map',
          with: { items: ['a', 'b'], body: { type: 'task', with: { handler: 'h' } } },
        },
      ],
    });
    const sim = new Sim(ir, 'r', { handlers: { h: (x: unknown) => x } }).start({});
    const [event] = sim.apply({
      type: 'nodeLog',
      nodeId: 'shout',
      attempt: 1,
      iteration: 1,
      level: 'info',
      message: 'b!',
    });
    expect(event).toMatchObject({
      type: 'NodeLog',
      data: { nodeId: 'shout', attempt: 1, iteration: 1, level: 'info', message: 'b!' },
    });
    const [plain] = sim.apply({
      type: 'nodeLog',
      nodeId: 'shout',
      attempt: 1,
      level: 'info',
      message: 'x',
    });
    expect(plain!.data).not.toHaveProperty('iteration');
  });
});
