// The fanout's ports and the shapes it shares with its callers (the API's SSE routes, the fanout
// service, the gRPC Timelines.Follow stream). Kept narrow on purpose: the fanout reads history
// and run summaries, nothing else, so any EventStore (PostgreSQL, SQLite, memory) fits.
import type { AnyRunEvent, RunStatus } from '@aob/core';
import type { NodeDelta } from '@aob/client';

/**
 * Who is following. Structurally a subset of the control plane's `Principal`
 * (`{subject, role, namespace, groups, tokenId}`), so the authenticated principal passes as is.
 */
export interface TimelinePrincipal {
  subject: string;
  namespace: string;
  /** Set for a job token (scoped to one run), which may follow no timeline. */
  runId?: string;
}

/** The summary fields the fanout reads (`RunSummary` of @aob/store has them all). */
export interface TimelineRunSummary {
  runId: string;
  status: RunStatus;
  lastSeq: number;
  startedAt: number;
  updatedAt: number;
  /** Absent on stores that predate namespaces: such runs belong to `default`. */
  namespace?: string;
}

/** The history the fanout reads; `EventStore` of @aob/store satisfies it. */
export interface TimelineStore {
  /** Events of a run from seq `fromSeq` (default 1), in order, dense. */
  read(runId: string, fromSeq?: number): Promise<AnyRunEvent[]>;
  getRun(runId: string): Promise<TimelineRunSummary | undefined>;
  /** Newest started first; used only to resume a namespace feed. */
  listRuns(filter?: {
    status?: RunStatus[];
    namespace?: string;
    limit?: number;
    offset?: number;
  }): Promise<TimelineRunSummary[]>;
}

/**
 * Where committed events arrive live. An implementation delivers each run's events in seq order
 * as far as it can, but may lose or repeat any of them: the hub never trusts it for completeness
 * (gaps are read from the store, repeats dropped).
 */
export interface LiveSource {
  /** Starts delivering to `sink`; resolves once the source is listening. Called once. */
  start(sink: (event: AnyRunEvent) => void): Promise<void>;
  /** True while the source is connected and delivering. */
  ready(): boolean;
  stop(): Promise<void>;
}

/**
 * Where token deltas arrive live (`aob.node.deltas`, or an in-process listener under `aob dev`):
 * display only, so a source may lose any.
 */
export interface DeltaSource {
  /** Starts delivering to `sink`; resolves once the source is listening. Called once. */
  start(sink: (delta: NodeDelta) => void): Promise<void>;
  stop(): Promise<void>;
}

/** What a subscription follows. */
export type TimelineTarget =
  | {
      kind: 'run';
      runId: string;
      /** Deliver events with seq > afterSeq (Last-Event-ID / ?fromSeq=). Default 0: everything. */
      afterSeq?: number;
      /** Keep the feed open after the run's terminal event instead of ending it. */
      follow?: boolean;
    }
  | {
      kind: 'namespace';
      /** Resume after this namespace cursor (the `id` of the last event received). */
      after?: NamespaceCursor;
    };

/** Resume point of a namespace feed; see cursor.ts for the wire form and what it guarantees. */
export interface NamespaceCursor {
  /** The `at` of the last event received (the orchestrator's commit-time clock, ms). */
  at: number;
  runId: string;
  seq: number;
}

/** One thing a subscription hands its consumer, in order. */
export type TimelineItem =
  | {
      kind: 'event';
      event: AnyRunEvent;
      /** The SSE `id`: the seq on a run feed, an encoded NamespaceCursor on a namespace feed. */
      id: string;
    }
  /** The run feed's run reached its terminal event; nothing follows (unless `follow`). */
  | { kind: 'end'; runId: string; status: RunStatus; lastSeq: number }
  /**
   * A resumed namespace feed could not establish that it re-delivered everything since the
   * cursor (see cursor.ts); the consumer should re-list runs. Live events continue after it.
   */
  | { kind: 'reset'; reason: string }
  /** The subscription failed (store unreachable, hub stopping); nothing follows. */
  | { kind: 'error'; code: string; message: string }
  /**
   * Partial output of a running node of the run (an llm or agent token delta), for live display
   * only: never in the log, delivered to run feeds that are live (not while they read history),
   * and a consumer may drop any (the SSE writer keeps the newest of a slow client's).
   */
  | { kind: 'delta'; delta: NodeDelta };

export type TimelineListener = (item: TimelineItem) => void;

/** Errors a subscription rejects with (compare by `code`). */
export const TimelineErrorCode = {
  /** Unknown run, or a run of another namespace (indistinguishable on purpose). */
  NotFound: 'NOT_FOUND',
  BadRequest: 'BAD_REQUEST',
  /** The hub is stopping or stopped. */
  Unavailable: 'UNAVAILABLE',
} as const;
export type TimelineErrorCode = (typeof TimelineErrorCode)[keyof typeof TimelineErrorCode];
