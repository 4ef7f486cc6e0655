// Runs this MCP server carries on. Locally, answering a question of a run no live process drives
// makes this process its driver (`drivenHere`, as with `aob answer`): the engine goes on executing
// it here while the server lives. This keeps track of them so that, when the client goes away, the
// server waits for each to be over or to wait on a person again before it closes the engine (which
// hands their leases back), and so that an interrupted server can name the runs left mid-way.
import type { Backend } from '../backend.js';

export class CarriedRuns {
  private readonly running = new Map<string, Promise<void>>();

  constructor(
    private readonly backend: Backend,
    private readonly log: (line: string) => void,
    /** Told the runs still executing here whenever that changes. */
    private readonly onChange: (pending: string[]) => void = () => undefined,
  ) {}

  /** Follows a run driven here until it settles (over, or waiting on a person). */
  carry(runId: string): void {
    if (this.running.has(runId)) return;
    const settled = this.backend
      .wait(runId, { untilSettled: true })
      .then(
        (view) => this.log(`run ${runId} is ${view.status}`),
        (e: unknown) => this.log(`run ${runId}: ${e instanceof Error ? e.message : String(e)}`),
      )
      .finally(() => {
        this.running.delete(runId);
        this.onChange(this.pending);
      });
    this.running.set(runId, settled);
    this.onChange(this.pending);
  }

  /** The runs still executing here. */
  get pending(): string[] {
    return [...this.running.keys()];
  }

  /** Resolves once every run carried here has settled. */
  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running.values());
  }
}
