// Partial output of running nodes (an llm node's token deltas) for live display: handed to
// in-process listeners at once, and spooled to AOB_HOME/live/<runId>.ndjson so `aob logs stream`
// in another process can follow it. Never part of the run's log: the spool of a run is deleted
// when the run ends, and a lost spool loses nothing but the live view (the output itself is
// recorded when the node finishes).
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { NodeDelta } from '../app/operations.js';

export type DeltaListener = (delta: NodeDelta) => void;

export class LiveOutput {
  private readonly listeners = new Set<DeltaListener>();
  private readonly dir: string | undefined;
  /** Whether the spool directory exists: found at start (another process made it), or made here. */
  private dirExists: boolean;
  /** Runs this process spooled deltas for. */
  private readonly spooled = new Set<string>();

  /** `home` undefined: in-process listeners only (the memory store). */
  constructor(home: string | undefined) {
    this.dir = home === undefined ? undefined : join(home, 'live');
    this.dirExists = this.dir !== undefined && existsSync(this.dir);
  }

  write(delta: NodeDelta): void {
    for (const l of this.listeners) {
      try {
        l(delta);
      } catch {
        // a listener's failure must not reach the node that streams
      }
    }
    if (this.dir === undefined) return;
    try {
      if (!this.dirExists) {
        mkdirSync(this.dir, { recursive: true });
        this.dirExists = true;
      }
      appendFileSync(this.pathOf(delta.runId), `${JSON.stringify(delta)}\n`);
      this.spooled.add(delta.runId);
    } catch {
      // best effort: the live view of other processes is lost, nothing else
    }
  }

  onDelta(listener: DeltaListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Deltas spooled for a run from byte `offset` on, and the offset to read from next. Only whole
   * lines are returned; a line being written is read on the next call.
   */
  read(runId: string, offset = 0): { deltas: NodeDelta[]; next: number } {
    if (this.dir === undefined) return { deltas: [], next: offset };
    const path = this.pathOf(runId);
    let text: string;
    try {
      if (statSync(path).size <= offset) return { deltas: [], next: offset };
      text = readFileSync(path).subarray(offset).toString('utf8');
    } catch {
      return { deltas: [], next: offset };
    }
    const end = text.lastIndexOf('\n');
    if (end < 0) return { deltas: [], next: offset };
    const whole = text.slice(0, end + 1);
    const deltas = whole
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as NodeDelta);
    return { deltas, next: offset + Buffer.byteLength(whole) };
  }

  /**
   * The run is over: its deltas are in its recorded outputs now. A spool this process wrote goes
   * at once; one another process may have written (a run taken over) is removed in the background,
   * and only where a spool directory exists: most runs stream nothing, and a synchronous unlink per
   * run showed in local throughput profiles.
   */
  discard(runId: string): void {
    if (this.dir === undefined) return;
    if (this.spooled.delete(runId)) {
      rmSync(this.pathOf(runId), { force: true });
    } else if (this.dirExists) {
      rm(this.pathOf(runId), { force: true }).catch(() => undefined);
    }
  }

  private pathOf(runId: string): string {
    // Run ids are generated ([a-z0-9_]); anything else is encoded so it cannot leave the directory.
    return join(this.dir!, `${encodeURIComponent(runId)}.ndjson`);
  }
}
