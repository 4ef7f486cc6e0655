import { describe, expect, it } from 'vitest';
import type { AnyRunEvent, CasRef } from '@aob/core';
import { Timeline } from './timeline.js';

const cas: CasRef = { $cas: 'sha256:0', size: 1 };
const ev = (runId: string, seq: number, e: Pick<AnyRunEvent, 'type' | 'data'>): AnyRunEvent =>
  ({ runId, seq, at: 1000 + seq, irHash: 'h', ...e }) as AnyRunEvent;

/** A terminal: what was written, and its complete lines. */
function terminal() {
  let text = '';
  const lines: string[] = [];
  return {
    write: (s: string) => {
      text += s;
      lines.splice(0, lines.length, ...text.split('\n').slice(0, -1));
    },
    lines,
    get text() {
      return text;
    },
  };
}

describe('Timeline', () => {
  it('buffers events until the run is known, shows only that run and its children', () => {
    const screen = terminal();
    const { lines } = screen;
    const t = new Timeline(screen.write);
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

  it('shows what a ticket has under review before how to decide it', async () => {
    const screen = terminal();
    const asked: string[] = [];
    const t = new Timeline(screen.write, (runId, nodeId) => {
      asked.push(`${runId}/${nodeId}`);
      return Promise.resolve({ amount: 120 });
    });
    t.track('r1');
    t.listener(
      ev('r1', 1, {
        type: 'ApprovalRequested',
        data: { ticketId: 't1', nodeId: 'gate', approvers: [], quorum: 1, message: 'Pay?' },
      }),
    );
    t.listener(ev('r1', 2, { type: 'RunWaiting', data: { tickets: ['t1'] } }));
    await t.flush();
    expect(asked).toEqual(['r1/gate']);
    expect(screen.lines.slice(-2)).toEqual([
      '            under review: {"amount":120} (whole: aob run get r1 --node gate)',
      '            decide with: aob approve t1 approve|reject',
    ]);
  });

  it("shows an llm node's reply as it streams; an event line starts a line of its own", () => {
    const screen = terminal();
    const t = new Timeline(screen.write);
    const delta = (runId: string, d: string, nodeId = 'write') =>
      t.deltaListener({ runId, nodeId, attempt: 1, delta: d, at: 0 });
    delta('r1', 'ignored: run not shown');
    t.track('r1');
    delta('r1', 'Ducks ');
    // Shown at once, before any newline arrives.
    expect(screen.text).toBe('  write ▸ Ducks ');
    delta('r1', 'swim.\nThey ');
    expect(screen.text).toBe('  write ▸ Ducks swim.\n  write ▸ They ');
    delta('r1', 'another node\n', 'x');
    delta('other', 'not this run\n');
    delta('r1', 'fly.');
    t.listener(
      ev('r1', 5, { type: 'NodeSucceeded', data: { nodeId: 'write', attempt: 1, output: cas } }),
    );
    expect(screen.lines[0]).toBe('  write ▸ Ducks swim.');
    expect(screen.lines[1]).toBe('  write ▸ They ');
    expect(screen.lines[2]).toBe('  x ▸ another node');
    expect(screen.lines[3]).toBe('  write ▸ fly.');
    expect(screen.lines[4]).toContain('NodeSucceeded');
    expect(screen.lines).toHaveLength(5);
    expect(screen.text.endsWith('\n')).toBe(true);
  });
});
