// The reference AttemptLedger: claims and outcomes in maps, for one process (tests, and runners
// that share a process with everything else).
import type { AttemptKey, AttemptLedger, ClaimAnswer } from './attempts.js';
import { attemptPath } from './attempts.js';

interface Entry {
  outcome?: { value: string };
  /** Claims by owner: when each lapses. */
  claims: Map<string, number>;
}

export class MemoryAttemptLedger implements AttemptLedger {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly now: () => number = Date.now) {}

  async claim(key: AttemptKey, owner: string, ttlMs: number): Promise<ClaimAnswer> {
    const entry = this.entry(key);
    if (entry.outcome) return { kind: 'finished', outcome: JSON.parse(entry.outcome.value) };
    const now = this.now();
    const others = [...entry.claims].filter(([o, until]) => o !== owner && until > now);
    if (others.length > 0) {
      entry.claims.delete(owner);
      return { kind: 'busy', owners: others.map(([o]) => o) };
    }
    entry.claims.set(owner, now + ttlMs);
    return { kind: 'claimed' };
  }

  async renew(key: AttemptKey, owner: string, ttlMs: number): Promise<void> {
    const entry = this.entry(key);
    if (!entry.outcome) entry.claims.set(owner, this.now() + ttlMs);
  }

  async finish(key: AttemptKey, owner: string, outcome: unknown): Promise<void> {
    const entry = this.entry(key);
    entry.outcome ??= { value: JSON.stringify(outcome) };
    entry.claims.delete(owner);
  }

  async release(key: AttemptKey, owner: string): Promise<void> {
    this.entry(key).claims.delete(owner);
  }

  async close(): Promise<void> {
    this.entries.clear();
  }

  private entry(key: AttemptKey): Entry {
    const path = attemptPath(key);
    let entry = this.entries.get(path);
    if (!entry) this.entries.set(path, (entry = { claims: new Map() }));
    return entry;
  }
}
