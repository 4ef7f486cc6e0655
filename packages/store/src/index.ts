// @aob/store: the store ports and their adapters. The conformance suites are the
// `@aob/store/conformance` entry point (they import vitest), not part of this one.
export type {
  ApplicationStore,
  ClusterStore,
  ContentStore,
  DraftBase,
  DraftChangeKind,
  DraftChangeMark,
  DraftChangeRecord,
  DraftCommitRecord,
  DraftFocus,
  DraftRecord,
  DraftStore,
  EventStore,
  InboxCommand,
  Lease,
  LeaseInboxStore,
  OutboxMessage,
  OutboxRecord,
  OutboxStore,
  RunFilter,
  RunKeyKind,
  RunLogStore,
  RunnerJobEntry,
  RunnerJobStore,
  RunnerLease,
  RunSummary,
  ScheduleOverlap,
  ScheduleRecord,
  ScheduleSpec,
  ScheduleStore,
  StallStore,
  TimerRecord,
  TimerStore,
  TokenRecord,
  TokenStore,
  WorkflowPatchRecord,
  WorkflowPatchStatus,
  WorkflowPatchStore,
  WorkflowRecord,
  WorkflowRegistry,
} from './port.js';
export { StoreErrorCode } from './errors.js';
export { scheduleDueAt } from './schedule-due.js';
export { MemoryEventStore } from './memory-events.js';
export { MemoryContentStore } from './memory-content.js';
export { SqliteEventStore } from './sqlite-events.js';
export type { SqliteEventStoreOptions } from './sqlite-events.js';
export { MIGRATIONS } from './sqlite-schema.js';
export type { Migration } from './sqlite-schema.js';
export { PgEventStore, type PgEventStoreOptions, type GroupCommitStats } from './pg-events.js';
export { FileContentStore } from './file-content.js';
export type { FileContentStoreOptions } from './file-content.js';
export { S3ContentStore, type S3ContentStoreOptions } from './s3-content.js';
export type { S3ClientOptions } from './s3-client.js';
export type { AttemptKey, AttemptLedger, ClaimAnswer } from './attempts.js';
export { MemoryAttemptLedger } from './memory-attempts.js';
export { S3AttemptLedger, type S3AttemptLedgerOptions } from './s3-attempts.js';
export { DEFAULT_LEDGER_RETAIN_MS } from './attempts.js';
export { RedisAttemptLedger, type RedisAttemptLedgerOptions } from './redis-attempts.js';
export { PgAttemptLedger, type PgAttemptLedgerOptions } from './pg-attempts.js';
export { DURABILITIES, openLocalStores, openMemoryStores } from './open.js';
export type { Durability } from './open.js';
export { nativeContentOf } from './native-content.js';
export { TOKEN_PREFIX, hashToken, storeNewToken } from './token-secrets.js';
