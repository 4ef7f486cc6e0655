// Runs this MCP server carries on. Locally, a run a tool starts, replays, or moves on (an answer,
// a decision) of a run no live process drives is driven by this process while it lives. This
// keeps track of them so that, when the client goes away, the server waits for each to be over or
// to wait on a person before it closes the engine (which hands their leases back), and so that an
// interrupted server can name the runs left mid-way.
import type { RunView } from '@aob/engine';

export class CarriedRuns {
  private readonly running = new Map<string, Promise<void>>();

  constructor(
    /** Resolves once the run is over or waits on a person. */
    private readonly settle: (runId: string) => Promise<RunView>,
    private readonly log: (line: string) => void,
    /** Told the runs still executing here whenever that changes. */
    private readonly onChange: (pending: string[]) => void = () => undefined,
  ) {}

  /** Follows a run driven here until it settles (over, or waiting on a person). */
  carry(runId: string): void {
    if (this.running.has(runId)) return;
    const settled = this.settle(runId)
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
