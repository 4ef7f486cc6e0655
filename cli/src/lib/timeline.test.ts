import { describe, expect, it } from 'vitest';
import type { AnyRunEvent, CasRef } from '@aob/core';
import { Timeline } from './timeline.js';

const cas: CasRef = { $cas: 'sha256:0', size: 1 };
const ev = (runId: string, seq: number, e: Pick<AnyRunEvent, 'type' | 'data'>): AnyRunEvent =>
  ({ runId, seq, at: 1000 + seq, irHash: 'h', ...e }) as AnyRunEvent;

describe('Timeline', () => {
  it('buffers events until the run is known, shows only that run and its children', () => {
    const lines: string[] = [];
    const t = new Timeline((l) => lines.push(l));
    t.listener(
      ev('r1', 1, {
        type: 'RunStarted',
        data: { workflow: { name: 'w', version: '1' }, inputs: cas },
      }),
    );
    t.listener(ev('other', 1, { type: 'RunCompleted', data: { output: cas } }));
    expect(lines).toEqual([]);
    t.track('r1');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('RunStarted');

    t.listener(ev('c1', 1, { type: 'NodeStarted', data: { nodeId: 'inner', attempt: 1 } }));
    expect(lines).toHaveLength(1);
    t.listener(
      ev('r1', 2, {
        type: 'ChildRunStarted',
        data: { nodeId: 'sub', childRunId: 'c1', workflow: 'child@1' },
      }),
    );
    expect(lines).toHaveLength(3);
    expect(lines[2]).toMatch(/↳ sub .*inner/);

    t.listener(ev('r1', 3, { type: 'RunWaiting', data: { tickets: ['t9'] } }));
    expect(lines.slice(-1)[0]).toContain('aob approve t9 approve|reject');
    t.listener(ev('other', 2, { type: 'RunCompleted', data: { output: cas } }));
    expect(lines).toHaveLength(5);
  });

  it("shows an llm node's reply line by line as it streams, the rest before the node's next event", () => {
    const lines: string[] = [];
    const t = new Timeline((l) => lines.push(l));
    const delta = (runId: string, d: string) =>
      t.deltaListener({ runId, nodeId: 'write', attempt: 1, delta: d, at: 0 });
    delta('r1', 'ignored: run not shown');
    t.track('r1');
    delta('r1', 'Ducks ');
    delta('r1', 'swim.\nThey ');
    expect(lines).toEqual(['  write ▸ Ducks swim.']);
    delta('r1', 'fly.');
    delta('other', 'not this run\n');
    t.listener(
      ev('r1', 5, { type: 'NodeSucceeded', data: { nodeId: 'write', attempt: 1, output: cas } }),
    );
    expect(lines[1]).toBe('  write ▸ They fly.');
    expect(lines[2]).toContain('NodeSucceeded');
    expect(lines).toHaveLength(3);
  });
});
