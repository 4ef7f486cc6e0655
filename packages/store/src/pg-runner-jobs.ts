// The runner queue in PostgreSQL (RunnerJobStore): jobs for runners outside the cluster, which
// take them through the API. A claim leases one row, taken with FOR UPDATE SKIP LOCKED so
// concurrent claimers get different rows without waiting on each other; the lease is a random id
// and an expiry (engine clock) the runner pushes forward while it works. A row whose lease ran
// out is claimable again — that is the redelivery — and its old lease id stops counting the
// moment another claim replaces it, so a runner that was taken over can neither renew nor finish.
import type { Pool } from 'pg';
import type { RunnerJobEntry, RunnerJobStore, RunnerLease } from './port.js';

interface LeaseRow {
  job_key: string;
  run_id: string;
  namespace: string;
  label: string;
  job: unknown;
  lease_id: string;
  lease_until: string;
  deliveries: number;
}

const LEASE_COLUMNS = `job_key, run_id, namespace, label, job, lease_id, lease_until, deliveries`;

// The namespace is the run's: a row is written only for a run the log holds.
const ENQUEUE = `INSERT INTO runner_jobs (job_key, run_id, namespace, label, priority, job, enqueued_at)
  SELECT u.job_key, u.run_id, r.namespace, u.label, u.priority, u.job::json, $6
  FROM unnest($1::text[], $2::text[], $3::text[], $4::smallint[], $5::text[])
    AS u(job_key, run_id, label, priority, job)
  JOIN runs r ON r.run_id = u.run_id
  ON CONFLICT (job_key) DO NOTHING`;

const FINISHED_OF = `SELECT job_key, outcome FROM runner_jobs
  WHERE job_key = ANY($1::text[]) AND finished_at IS NOT NULL AND outcome IS NOT NULL`;

const CLAIM = `UPDATE runner_jobs j
  SET lease_id = $5, leased_by = $4, lease_until = $1::bigint + $6::bigint,
      deliveries = j.deliveries + 1
  FROM (SELECT job_key FROM runner_jobs
        WHERE finished_at IS NULL AND namespace = $2 AND label = ANY($3::text[])
          AND (lease_until IS NULL OR lease_until <= $1)
        ORDER BY priority, ord LIMIT 1 FOR UPDATE SKIP LOCKED) c
  WHERE j.job_key = c.job_key
  RETURNING ${LEASE_COLUMNS.replace(/(\w+)/g, 'j.$1')}`;

const LEASE = `SELECT ${LEASE_COLUMNS} FROM runner_jobs WHERE lease_id = $1 AND finished_at IS NULL`;

const RENEW = `UPDATE runner_jobs SET lease_until = $2::bigint + $3::bigint
  WHERE lease_id = $1 AND finished_at IS NULL RETURNING lease_until`;

const FINISH = `UPDATE runner_jobs SET finished_at = $3, outcome = $2::json, lease_until = NULL
  WHERE lease_id = $1 AND finished_at IS NULL`;

const RELEASE = `UPDATE runner_jobs SET lease_id = NULL, leased_by = NULL, lease_until = NULL
  WHERE lease_id = $1 AND finished_at IS NULL`;

const PURGE = `DELETE FROM runner_jobs j
  WHERE j.finished_at < $1
     OR (j.finished_at IS NULL AND EXISTS (
           SELECT 1 FROM runs r WHERE r.run_id = j.run_id
             AND r.status IN ('completed', 'failed', 'cancelled')))`;

function leaseOf(r: LeaseRow): RunnerLease {
  return {
    leaseId: r.lease_id,
    key: r.job_key,
    runId: r.run_id,
    namespace: r.namespace,
    label: r.label,
    job: r.job,
    expiresAt: Number(r.lease_until),
    deliveries: r.deliveries,
  };
}

export async function enqueueRunnerJobs(
  pool: Pool,
  jobs: readonly RunnerJobEntry[],
  now: number,
): Promise<{ key: string; outcome: unknown }[]> {
  if (jobs.length === 0) return [];
  const keys = jobs.map((j) => j.key);
  await pool.query({
    name: 'aob_enqueue_runner_jobs',
    text: ENQUEUE,
    values: [
      keys,
      jobs.map((j) => j.runId),
      jobs.map((j) => j.label),
      jobs.map((j) => j.priority),
      jobs.map((j) => JSON.stringify(j.job)),
      now,
    ],
  });
  const { rows } = await pool.query<{ job_key: string; outcome: unknown }>({
    name: 'aob_finished_runner_jobs',
    text: FINISHED_OF,
    values: [keys],
  });
  return rows.map((r) => ({ key: r.job_key, outcome: r.outcome }));
}

export async function claimRunnerJob(
  pool: Pool,
  opts: Parameters<RunnerJobStore['claimRunnerJob']>[0],
): Promise<RunnerLease | undefined> {
  const { rows } = await pool.query<LeaseRow>({
    name: 'aob_claim_runner_job',
    text: CLAIM,
    values: [opts.now, opts.namespace, opts.labels, opts.owner, opts.leaseId, opts.leaseMs],
  });
  return rows[0] === undefined ? undefined : leaseOf(rows[0]);
}

export async function runnerLease(pool: Pool, leaseId: string): Promise<RunnerLease | undefined> {
  const { rows } = await pool.query<LeaseRow>({
    name: 'aob_runner_lease',
    text: LEASE,
    values: [leaseId],
  });
  return rows[0] === undefined ? undefined : leaseOf(rows[0]);
}

export async function renewRunnerLease(
  pool: Pool,
  leaseId: string,
  now: number,
  leaseMs: number,
): Promise<number | undefined> {
  const { rows } = await pool.query<{ lease_until: string }>({
    name: 'aob_renew_runner_lease',
    text: RENEW,
    values: [leaseId, now, leaseMs],
  });
  return rows[0] === undefined ? undefined : Number(rows[0].lease_until);
}

export async function finishRunnerJob(
  pool: Pool,
  leaseId: string,
  outcome: unknown,
  now: number,
): Promise<boolean> {
  const res = await pool.query({
    name: 'aob_finish_runner_job',
    text: FINISH,
    values: [leaseId, outcome === undefined ? null : JSON.stringify(outcome), now],
  });
  return res.rowCount === 1;
}

export async function releaseRunnerLease(pool: Pool, leaseId: string): Promise<boolean> {
  const res = await pool.query({
    name: 'aob_release_runner_lease',
    text: RELEASE,
    values: [leaseId],
  });
  return res.rowCount === 1;
}

export async function purgeRunnerJobs(pool: Pool, finishedBefore: number): Promise<number> {
  const res = await pool.query({
    name: 'aob_purge_runner_jobs',
    text: PURGE,
    values: [finishedBefore],
  });
  return res.rowCount ?? 0;
}
