import { describe, expect, it } from 'vitest';
import type { WaterfallRow } from '@aob/client';
import { visibleRows } from './Waterfall.js';

const row = (id: string, parentId: string | undefined, depth: number): WaterfallRow => ({
  id,
  ...(parentId !== undefined ? { parentId } : {}),
  depth,
  kind: 'item',
  label: id,
  status: 'succeeded',
  startMs: 0,
  durationMs: 1,
  open: false,
  instant: false,
  runId: 'r',
  seq: 1,
});

const said = (shown: ReturnType<typeof visibleRows>) =>
  shown.map((s) => ('row' in s ? s.row.id : `… ${s.more} more under ${s.parentId}`));

describe('the waterfall’s rows on the page', () => {
  it('draws every row of a small run', () => {
    const rows = [row('run', undefined, 0), row('a', 'run', 1), row('b', 'run', 1)];
    expect(said(visibleRows(rows))).toEqual(['run', 'a', 'b']);
  });

  it('shows at most `limit` rows under one parent, and says how many more (theirs included)', () => {
    const rows = [
      row('run', undefined, 0),
      row('map', 'run', 1),
      row('i0', 'map', 2),
      row('i1', 'map', 2),
      row('w1', 'i1', 3),
      row('i2', 'map', 2),
      row('w2', 'i2', 3),
      row('i3', 'map', 2),
      row('after', 'run', 1),
    ];
    expect(said(visibleRows(rows, 2))).toEqual([
      'run',
      'map',
      'i0',
      'i1',
      'w1',
      '… 2 more under map',
      'after',
    ]);
  });
});
