// Where a process runs an orchestrator and a runner side by side (`aob server --services
// orchestrator,runner`, the small install), the jobs its own decisions commit need not travel
// through the bus and back: the outbox relay hands them to the runner in the process, and the
// runner hands their results to the orchestrator in the process. Two bus hops fewer per step
// (on Kafka each costs a fetch wait; on Redis Streams a publish, a wake-up and an ack).
//
// Nothing durable changes. The job's outbox row is committed with its decision as always, and it
// is marked sent only once the job's result was applied (its decision committed) or published;
// until then the relay renews the row's claim. If the process dies with the job in hand, the
// claim lapses and any relay publishes the row: a runner takes the job from the bus, and the
// attempt ledger answers it with the recorded outcome if the attempt had finished. A handoff
// refused (the runner is full or stopping) or returned (aborted by a stop) goes out on the bus.
import type { BusMessage } from '@aob/bus';

/** How a handed job ended for the relay. */
export type HandedJobEnd =
  /** Its result was applied or published (or it needed none): the row may be marked sent. */
  | 'done'
  /** It was not finished here (the runner stopped): the row must go out on the bus. */
  | 'returned';

/** The runner's side: takes a job now or says no. */
export interface JobTaker {
  /**
   * Starts the job if a slot is free; `ended` is called once, when it is over. False: not taken
   * (full, stopping), and `ended` is never called.
   */
  take(message: BusMessage, ended: (how: HandedJobEnd) => void): boolean;
}

/** The orchestrator's side: applies a result message of one run as one decision. */
export interface ResultSink {
  /** Whether the decision it caused is durable (false: publish it on the bus instead). */
  apply(runId: string, result: unknown, headers: Record<string, string>): Promise<boolean>;
}

/**
 * The meeting point of one process's relay and runner. Each side registers itself when it starts
 * and withdraws when it stops; with either side absent nothing is handed over.
 */
export class JobHandoff {
  private taker: JobTaker | undefined;
  private sink: ResultSink | undefined;

  /** Registers the runner; returns the withdrawal. */
  attachRunner(taker: JobTaker): () => void {
    this.taker = taker;
    return () => {
      if (this.taker === taker) this.taker = undefined;
    };
  }

  /** Registers the orchestrator's result consumer; returns the withdrawal. */
  attachResults(sink: ResultSink): () => void {
    this.sink = sink;
    return () => {
      if (this.sink === sink) this.sink = undefined;
    };
  }

  /** Hands a job to the runner of this process; false when there is none or it is full. */
  offer(message: BusMessage, ended: (how: HandedJobEnd) => void): boolean {
    return this.taker !== undefined && this.sink !== undefined && this.taker.take(message, ended);
  }

  /** Applies a result in this process; false when nobody here can (then it goes on the bus). */
  async deliver(runId: string, result: unknown, headers: Record<string, string>): Promise<boolean> {
    const sink = this.sink;
    return sink !== undefined && sink.apply(runId, result, headers);
  }
}
