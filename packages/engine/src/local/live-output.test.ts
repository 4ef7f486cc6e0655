import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LiveOutput } from './live-output.js';

let home: string;
afterEach(() => rmSync(home, { recursive: true, force: true }));
const delta = (runId: string, text: string) => ({
  runId,
  nodeId: 'n',
  attempt: 1,
  delta: text,
  at: 1,
});

describe('LiveOutput', () => {
  it('spools deltas for other processes and removes a run’s spool when the run ends', () => {
    home = mkdtempSync(join(tmpdir(), 'aob-live-'));
    const live = new LiveOutput(home);
    live.write(delta('run_a', 'hel'));
    live.write(delta('run_a', 'lo'));
    const reader = new LiveOutput(home);
    const { deltas, next } = reader.read('run_a');
    expect(deltas.map((d) => d.delta).join('')).toBe('hello');
    expect(reader.read('run_a', next).deltas).toEqual([]);
    live.discard('run_a');
    expect(existsSync(join(home, 'live', 'run_a.ndjson'))).toBe(false);
  });

  it('removes the spool another process wrote for a run this one finished', async () => {
    home = mkdtempSync(join(tmpdir(), 'aob-live-'));
    new LiveOutput(home).write(delta('run_b', 'x'));
    const taker = new LiveOutput(home);
    taker.discard('run_b');
    await vi.waitFor(() => expect(existsSync(join(home, 'live', 'run_b.ndjson'))).toBe(false));
  });
});
