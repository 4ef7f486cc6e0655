// How a local run was configured when it started — the handlers module (its path and the sha256
// of its content) and whether http nodes may reach private addresses — so that any process that
// takes the run over later (`aob run resume`, `aob approve` carrying the run on) runs it with the
// same code, or refuses with nothing changed. Without this, a process started without
// --handlers took a run over and failed it for good with UNKNOWN_HANDLER.
//
// The record is kept beside the store (`AOB_HOME/runs/<runId>.json`, in memory for the memory
// store), written before the run starts; it is the local engine's own business: a cluster's
// runners are configured by their deployment, not per run. A run with nothing to adopt (no
// handlers module, no private network) has no record: taking it over asks nothing of the process
// either way, and a file per run was a fifth of a local run's start in profiles.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AobError } from '@aob/core';

export interface HandlersSource {
  /** Absolute path of the module. */
  path: string;
  /** Hex sha256 of its content when the run started. */
  sha256: string;
}

export interface RunSettings {
  handlers?: HandlersSource;
  allowPrivateNetwork: boolean;
}

/** The path and content hash of a handlers module. */
export async function handlersSource(path: string): Promise<HandlersSource> {
  return { path, sha256: sha256(await readFile(path)) };
}

/** The content hash of the module at `path` now, or undefined when it cannot be read. */
export async function currentHash(path: string): Promise<string | undefined> {
  try {
    return sha256(await readFile(path));
  } catch {
    return undefined;
  }
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** Where run settings are kept: files under a home, or memory. */
export class RunSettingsBook {
  private readonly memory = new Map<string, RunSettings>();
  private readonly dir: string | undefined;
  private madeDir = false;

  /** `home` undefined: memory only (the memory store, whose runs die with the process). */
  constructor(home: string | undefined) {
    this.dir = home === undefined ? undefined : join(home, 'runs');
  }

  put(runId: string, settings: RunSettings): void {
    if (!settings.handlers && !settings.allowPrivateNetwork) return;
    if (this.dir === undefined) {
      this.memory.set(runId, settings);
      return;
    }
    if (!this.madeDir) mkdirSync(this.dir, { recursive: true });
    this.madeDir = true;
    // Written whole, then renamed: a reader never sees half a record.
    const tmp = join(this.dir, `.${runId}.${process.pid}.tmp`);
    writeFileSync(tmp, JSON.stringify(settings));
    renameSync(tmp, this.pathOf(runId));
  }

  /** The settings a run started with; undefined for runs with none to adopt (see above). */
  get(runId: string): RunSettings | undefined {
    if (this.dir === undefined) return this.memory.get(runId);
    try {
      return JSON.parse(readFileSync(this.pathOf(runId), 'utf8')) as RunSettings;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new AobError(
        'STORE_UNAVAILABLE',
        `cannot read the settings of run ${runId}: ${(err as Error).message}`,
        { retryable: true },
      );
    }
  }

  private pathOf(runId: string): string {
    // Run ids are generated (`run_…`) or validated by the API; never a path.
    return join(this.dir!, `${encodeURIComponent(runId)}.json`);
  }
}
