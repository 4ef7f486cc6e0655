// The row shapes the SQL adapters read and their mapping to port records, shared by SQLite and
// PostgreSQL (same tables, same column names). The drivers differ in two ways only: pg returns
// BIGINT columns as strings (every value stored in them — epoch ms, seqs, ids — is below 2^53, so
// Number() is exact) and JSON columns already parsed, while SQLite returns numbers and JSON text.
// So numbers go through Number(), and the caller passes a JSON column's value decoded.
import type { AnyRunEvent, RunStatus } from '@aob/core';
import type {
  InboxCommand,
  Lease,
  RunSummary,
  TokenRecord,
  WorkflowPatchRecord,
  WorkflowRecord,
} from './port.js';

/** A BIGINT (or INTEGER) column as a driver returns it. */
export type Big = string | number;

/** `data` is JSON text (SQLite) or its parsed value (pg `json`). */
export interface EventRow<Json = unknown> {
  run_id: string;
  seq: Big;
  type: string;
  at: Big;
  ir_hash: string;
  data: Json;
  actor: string | null;
  traceparent: string | null;
}

export interface RunRow {
  run_id: string;
  workflow: string;
  ir_hash: string;
  status: string;
  started_at: Big;
  updated_at: Big;
  last_seq: Big;
  parent_run_id: string | null;
  namespace: string;
}

export interface WorkflowRow {
  name: string;
  version: string;
  ir_hash: string;
  registered_at: Big;
  retired_at: Big | null;
}

/** `record` is the whole WorkflowPatchRecord: JSON text (SQLite) or its parsed value (pg `jsonb`). */
export interface PatchRow<Json = unknown> {
  record: Json;
}

export interface LeaseRow {
  run_id: string;
  owner: string;
  expires_at: Big;
}

/** `payload` is JSON text (SQLite) or its parsed value (pg `jsonb`). */
export interface InboxRow<Json = unknown> {
  id: Big;
  run_id: string;
  type: string;
  payload: Json;
  at: Big;
}

/** An event row as its envelope; `data` is the row's `data` column decoded. */
export function eventFromRow(r: EventRow<unknown>, data: unknown): AnyRunEvent {
  const e = {
    runId: r.run_id,
    seq: Number(r.seq),
    irHash: r.ir_hash,
    type: r.type,
    at: Number(r.at),
    data,
  } as AnyRunEvent;
  if (r.actor !== null) e.actor = r.actor;
  if (r.traceparent !== null) e.traceparent = r.traceparent;
  return e;
}

export function runFromRow(r: RunRow): RunSummary {
  const s: RunSummary = {
    runId: r.run_id,
    workflow: r.workflow,
    irHash: r.ir_hash,
    status: r.status as RunStatus,
    startedAt: Number(r.started_at),
    updatedAt: Number(r.updated_at),
    lastSeq: Number(r.last_seq),
    namespace: r.namespace,
  };
  if (r.parent_run_id !== null) s.parentRunId = r.parent_run_id;
  return s;
}

export function workflowFromRow(r: WorkflowRow): WorkflowRecord {
  const w: WorkflowRecord = {
    name: r.name,
    version: r.version,
    irHash: r.ir_hash,
    registeredAt: Number(r.registered_at),
  };
  if (r.retired_at !== null) w.retiredAt = Number(r.retired_at);
  return w;
}

/**
 * A patch row as its record; `record` is the row's `record` column decoded. The record was stored
 * as JSON.stringify wrote it, so absent optional fields are absent, never null.
 */
export function patchFromRow(record: unknown): WorkflowPatchRecord {
  return record as WorkflowPatchRecord;
}

export function leaseFromRow(r: LeaseRow): Lease {
  return { runId: r.run_id, owner: r.owner, expiresAt: Number(r.expires_at) };
}

/** An inbox row as its command; `payload` is the row's `payload` column decoded. */
export function commandFromRow(r: InboxRow<unknown>, payload: unknown): InboxCommand {
  return { id: Number(r.id), runId: r.run_id, type: r.type, payload, at: Number(r.at) };
}

export interface TokenRow {
  token_id: string;
  hash: string;
  subject: string;
  role: string;
  namespace: string;
  /** JSON text (SQLite) or already parsed (PostgreSQL's json column). */
  groups: string | string[];
  created_at: Big;
  created_by: string;
  revoked_at: Big | null;
  run_id: string | null;
  expires_at: Big | null;
}

export function tokenFromRow(r: TokenRow): TokenRecord {
  const t: TokenRecord = {
    tokenId: r.token_id,
    hash: r.hash,
    subject: r.subject,
    role: r.role,
    namespace: r.namespace,
    groups: typeof r.groups === 'string' ? (JSON.parse(r.groups) as string[]) : r.groups,
    createdAt: Number(r.created_at),
    createdBy: r.created_by,
  };
  if (r.revoked_at !== null) t.revokedAt = Number(r.revoked_at);
  if (r.run_id !== null) t.runId = r.run_id;
  if (r.expires_at !== null) t.expiresAt = Number(r.expires_at);
  return t;
}
