// Priority with fairness, shared by every adapter so they all schedule alike.
//
// A read scans its topics in priority order and is served by the first that has messages. For
// each reader (group + consumer) we count the reads served by a topic other than the last one
// since the last reversed read; once that count reaches `every - 1`, the next read scans the
// topics lowest priority first and the count restarts. Under saturation of every topic, the
// lowest topic therefore serves every `every`-th read. `every <= 0` disables the rule.
import { DEFAULT_FAIRNESS } from './defaults.js';

export class Fairness {
  private readonly served = new Map<string, number>();

  constructor(private readonly every: number = DEFAULT_FAIRNESS) {}

  /** Whether this reader's next read scans the topics in reverse (lowest priority first). */
  reversed(reader: string): boolean {
    return this.every > 0 && (this.served.get(reader) ?? 0) >= this.every - 1;
  }

  /** Records that a read was served by `index` in a priority list whose last index is `last`. */
  record(reader: string, reversed: boolean, index: number, last: number): void {
    if (this.every <= 0) return;
    if (reversed) this.served.set(reader, 0);
    else if (index < last) this.served.set(reader, (this.served.get(reader) ?? 0) + 1);
  }
}

/** The fairness key of one consumer of one group. */
export function readerKey(group: string, consumer: string): string {
  return `${group}\u0000${consumer}`;
}
