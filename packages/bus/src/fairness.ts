// Priority with fairness, shared by every adapter so they all schedule alike.
//
// A read scans its topics in priority order and is served by the first that has messages. For
// each reader (group + consumer) we count the reads served by a topic other than the last one
// since the last fair read; once that count reaches `every - 1`, the next read is a fair read: it
// starts its scan at a lower topic, taking turns among all topics below the first (lowest first,
// then the next lowest, …), and wraps around. Under saturation of every topic, each topic below
// the first therefore starts one of every `every × (n − 1)` reads: none starves, not the middle
// ones either. `every <= 0` disables the rule.
import { DEFAULT_FAIRNESS } from './defaults.js';

export interface ScanOrder {
  /** Topic indices in the order this read scans them. */
  indices: readonly number[];
  /** Whether this is a fair read (it starts below the first topic). */
  fair: boolean;
}

export class Fairness {
  private readonly served = new Map<string, number>();
  private readonly turns = new Map<string, number>();

  constructor(private readonly every: number = DEFAULT_FAIRNESS) {}

  /** The scan order of this reader's next read over `n` topics. */
  order(reader: string, n: number): ScanOrder {
    const normal = { indices: range(0, n), fair: false };
    if (this.every <= 0 || n < 2 || (this.served.get(reader) ?? 0) < this.every - 1) return normal;
    const turn = this.turns.get(reader) ?? 0;
    const start = n - 1 - (turn % (n - 1));
    return { indices: [...range(start, n), ...range(0, start)], fair: true };
  }

  /** Records that a read was served by `index` in a priority list whose last index is `last`. */
  record(reader: string, fair: boolean, index: number, last: number): void {
    if (this.every <= 0) return;
    if (fair) {
      this.served.set(reader, 0);
      this.turns.set(reader, (this.turns.get(reader) ?? 0) + 1);
    } else if (index < last) {
      this.served.set(reader, (this.served.get(reader) ?? 0) + 1);
    }
  }
}

function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = from; i < to; i++) out.push(i);
  return out;
}

/** The fairness key of one consumer of one group. */
export function readerKey(group: string, consumer: string): string {
  return `${group}\u0000${consumer}`;
}
