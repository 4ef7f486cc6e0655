// The services' configuration, from the environment only (ARCHITECTURE §7; the contract the compose
// file and the Kubernetes manifests are checked against: deploy/README.md). Every problem is named
// at once; nothing starts on a bad configuration.
import type { Problem, ServerLimits } from '@aob/core';
import { AobError, NodeType, Topic } from '@aob/core';
import type { LlmOptions, McpServerSettings, SearchConfig } from '../executors/types.js';
import type { McpHostRules } from '../env-settings.js';
import {
  envProblem,
  executorSettingsFromEnv,
  isHttpUrl,
  mcpHostRulesFromEnv,
} from '../env-settings.js';
import { DEFAULT_JOB_TOKEN_GRACE_MS } from './job-tokens.js';
import type { TelemetryConfig } from '../telemetry/setup.js';
import { telemetryConfig } from '../telemetry/setup.js';

export const SERVICE_NAMES = [
  'api',
  'orchestrator',
  'runner',
  'fanout',
  'hitl',
  'validator',
] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export interface ServiceConfig {
  services: ServiceName[];
  httpPort: number;
  /** AOB_FANOUT_PORT: where the fanout serves its SSE timelines (default 8081). */
  fanoutPort: number;
  /** AOB_API_PORT: the REST + SSE API (default 8090). */
  apiPort: number;
  /** AOB_GRPC_PORT: the API's gRPC services (default 50051). */
  grpcPort: number;
  /** AOB_VALIDATOR_PORT: the validator service's gRPC port (default 50052). */
  validatorPort: number;
  /** AOB_HITL_PORT: the approvals service's gRPC port (default 50053). */
  hitlPort: number;
  /** AOB_VALIDATOR_URL (host:port): orchestrators ask this validator service; absent: the library. */
  validatorUrl?: string;
  /** AOB_API_MAX_BODY_BYTES: the largest request body the API reads (default 1 MiB). */
  apiMaxBodyBytes: number;
  /** AOB_MCP_ALLOWED_ORIGINS, AOB_MCP_ALLOWED_HOSTS: who may reach the API's /mcp. */
  mcpHostRules: McpHostRules;
  /** Names this process in consumer groups and claims: AOB_INSTANCE, else host:pid. */
  instance: string;
  databaseUrl?: string;
  bus:
    | {
        kind: 'kafka';
        brokers: string[];
        prefix: string;
        sessionTimeoutMs: number;
        /**
         * AOB_KAFKA_INSTANCE_ID: static group membership (KIP-345). A process restarted under the
         * same id gets its partitions back at once instead of after the session timeout. Unique
         * among live processes, stable across restarts of one (a pod's name). Unset: dynamic.
         */
        instanceId?: string;
        /**
         * AOB_KAFKA_PARTITIONS: partitions of the run-owned topics (events, results, commands)
         * when a service creates them (default 12). One count for the three: the orchestrators'
         * group reads results and commands together, and a run keyed by its id lands on the same
         * partition number of each only if their counts are equal.
         */
        partitions: number;
        /**
         * AOB_KAFKA_JOB_PARTITIONS: partitions of the three job topics when a service creates them
         * (default 24): one count, as the runners' group reads the three together.
         */
        jobPartitions: number;
      }
    | { kind: 'redis'; url: string; prefix: string };
  s3?: {
    endpoint?: string;
    bucket: string;
    region: string;
    prefix?: string;
    credentials?: { accessKeyId: string; secretAccessKey: string };
    /**
     * AOB_S3_FORCE_PATH_STYLE: path-style URLs (`endpoint/bucket/key`, MinIO, s3proxy and most
     * non-AWS servers) rather than virtual-hosted ones (`bucket.endpoint/key`). Default true.
     */
    forcePathStyle: boolean;
  };
  redisUrl?: string;
  /**
   * AOB_ATTEMPT_LEDGER: where runners keep the attempt ledger. `redis` (AOB_REDIS_URL, keys under
   * AOB_REDIS_PREFIX): one round trip to claim and one to record an outcome, as durable as the
   * Redis server; the default with AOB_BUS=redis, whose jobs are in that Redis already. `s3` (the
   * content store's bucket): three requests in a step's path, as durable as the bucket; the
   * default otherwise. `pg` (AOB_DATABASE_URL, table `attempts`): one statement to claim and one
   * to record an outcome, as durable as the database; it gives runners the database's credentials.
   */
  attemptLedger:
    { kind: 's3' } | { kind: 'redis'; url: string; prefix: string } | { kind: 'pg'; url: string };
  /**
   * AOB_REDELIVER_MS: unacknowledged messages idle this long go to another consumer (Redis
   * Streams), or again to this process (Kafka). Runners heartbeat live jobs at a third of it.
   */
  redeliverAfterMs: number;
  /**
   * AOB_START_TIMEOUT_MS: how long a process keeps retrying to start its services while what they
   * need (Kafka, PostgreSQL, S3, a port) does not answer; no new attempt begins after it. 0: one
   * attempt. Default 60 000.
   */
  startTimeoutMs: number;
  llm?: LlmOptions;
  /** AOB_SEARCH_URL, read by the same builder as the CLI's (env-settings.ts). */
  search?: SearchConfig;
  /** AOB_MCP_SERVERS: the MCP servers agent nodes may name (env-settings.ts). */
  mcp?: Record<string, McpServerSettings>;
  /** AOB_WORKSPACE, resolved against the working directory. */
  workspaceRoot?: string;
  /**
   * AOB_API_URL: the API a runner's agents reach their runs through, each with the job token its
   * job carries (ARCHITECTURE §9). Unset: agent nodes fail with AGENT_NOT_CONFIGURED there.
   */
  apiUrl?: string;
  /**
   * AOB_JOB_TOKEN_GRACE_MS: how long an agent job's job token outlives the job's timeout (the
   * time a job may wait in its topic). Default 300 000.
   */
  jobTokenGraceMs: number;
  runnerConcurrency: number;
  /**
   * AOB_RUNNER_STOP_GRACE_MS: on SIGTERM a runner takes no new job and lets the jobs in hand
   * finish and publish their results for up to this long (a rebalance then moves nothing half
   * done); what is left is aborted and runs again elsewhere. Default 30 000.
   */
  runnerStopGraceMs: number;
  /**
   * The orchestrators' stall watchdog: runs quiet for AOB_STALL_QUIET_MS (default 60 000) with no
   * timer pending are nudged, and their attempts past timeout + AOB_STALL_GRACE_MS (default
   * 30 000) are sent again.
   */
  stalls: { quietMs: number; graceMs: number };
  /** Node types whose results the runner memoises in Redis (AOB_MEMO_TYPES; needs AOB_REDIS_URL). */
  memoTypes: NodeType[];
  handlersFile?: string;
  allowPrivateNetwork: boolean;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** The OpenTelemetry variables (telemetry/setup.ts): tracing is started from them. */
  telemetry: TelemetryConfig;
  /** AOB_LIMIT_*: the server's ceilings; runServer puts them in force before anything starts. */
  limits: Partial<ServerLimits>;
}

type Env = Readonly<Record<string, string | undefined>>;

const problem = envProblem;

/**
 * Reads the configuration of `services` (or AOB_SERVICES) from `env`. Throws 'BAD_CONFIG' with
 * every problem when something is missing or malformed.
 */
export function serviceConfig(
  env: Env,
  services?: readonly string[],
  instance?: string,
): ServiceConfig {
  const problems: Problem[] = [];
  const names = (services ?? (env.AOB_SERVICES ?? '').split(','))
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const unknown = names.filter((n) => !(SERVICE_NAMES as readonly string[]).includes(n));
  if (names.length === 0) {
    problems.push(
      problem('AOB_SERVICES', `names no service (one or more of ${SERVICE_NAMES.join(', ')})`),
    );
  }
  if (unknown.length > 0) {
    problems.push(
      problem(
        'AOB_SERVICES',
        `names unknown service(s) ${unknown.join(', ')} (known: ${SERVICE_NAMES.join(', ')})`,
      ),
    );
  }
  const wanted = [...new Set(names)].filter((n): n is ServiceName =>
    (SERVICE_NAMES as readonly string[]).includes(n),
  );

  const httpPort = integer(env, 'AOB_HTTP_PORT', 8080, 0, 65_535, problems);
  const fanoutPort = integer(env, 'AOB_FANOUT_PORT', 8081, 0, 65_535, problems);
  const apiPort = integer(env, 'AOB_API_PORT', 8090, 0, 65_535, problems);
  const grpcPort = integer(env, 'AOB_GRPC_PORT', 50_051, 0, 65_535, problems);
  const validatorPort = integer(env, 'AOB_VALIDATOR_PORT', 50_052, 0, 65_535, problems);
  const hitlPort = integer(env, 'AOB_HITL_PORT', 50_053, 0, 65_535, problems);
  const apiMaxBodyBytes = integer(
    env,
    'AOB_API_MAX_BODY_BYTES',
    1_048_576,
    1_024,
    64 * 1_048_576,
    problems,
  );
  const mcpHostRules = mcpHostRulesFromEnv(env, problems);
  const validatorUrl = env.AOB_VALIDATOR_URL;
  if (validatorUrl !== undefined && !/^[^\s:/]+:\d{1,5}$/.test(validatorUrl)) {
    problems.push(problem('AOB_VALIDATOR_URL', `must be host:port, not "${validatorUrl}"`));
  }
  const runnerConcurrency = integer(env, 'AOB_RUNNER_CONCURRENCY', 32, 1, 10_000, problems);
  const apiUrl = env.AOB_API_URL || undefined;
  if (apiUrl !== undefined && !isHttpUrl(apiUrl)) {
    problems.push(problem('AOB_API_URL', `must be an http(s) URL, not "${apiUrl}"`));
  }
  const jobTokenGraceMs = integer(
    env,
    'AOB_JOB_TOKEN_GRACE_MS',
    DEFAULT_JOB_TOKEN_GRACE_MS,
    0,
    86_400_000,
    problems,
  );
  const redeliverAfterMs = integer(env, 'AOB_REDELIVER_MS', 30_000, 300, 3_600_000, problems);
  const startTimeoutMs = integer(env, 'AOB_START_TIMEOUT_MS', 60_000, 0, 3_600_000, problems);
  const runnerStopGraceMs = integer(
    env,
    'AOB_RUNNER_STOP_GRACE_MS',
    30_000,
    0,
    3_600_000,
    problems,
  );
  const stalls = {
    quietMs: integer(env, 'AOB_STALL_QUIET_MS', 60_000, 1_000, 86_400_000, problems),
    graceMs: integer(env, 'AOB_STALL_GRACE_MS', 30_000, 0, 86_400_000, problems),
  };

  const busKind = env.AOB_BUS ?? 'kafka';
  // The validator is pure: a process running only it opens no bus (nor store).
  const needsBus = wanted.some((n) => n !== 'validator');
  let bus: ServiceConfig['bus'] = {
    kind: 'kafka',
    brokers: [],
    prefix: '',
    sessionTimeoutMs: 0,
    partitions: 0,
    jobPartitions: 0,
  };
  if (busKind === 'kafka') {
    const brokers = (env.AOB_KAFKA_BROKERS ?? '')
      .split(',')
      .map((b) => b.trim())
      .filter(Boolean);
    if (brokers.length === 0 && needsBus)
      problems.push(problem('AOB_KAFKA_BROKERS', 'is required with AOB_BUS=kafka (host:port,…)'));
    // How soon a member that died (kill -9) loses its partitions to the others: the time its jobs
    // wait before another runner takes them. Kafka's floor is the broker's
    // group.min.session.timeout.ms (6 s by default).
    const sessionTimeoutMs = integer(
      env,
      'AOB_KAFKA_SESSION_TIMEOUT_MS',
      10_000,
      1_000,
      300_000,
      problems,
    );
    // Only for topics a service creates (the first publish or read of a missing topic): existing
    // topics are never resized. The defaults are the counts of the topic Job (deploy/k8s).
    const partitions = integer(env, 'AOB_KAFKA_PARTITIONS', 12, 1, 10_000, problems);
    const jobPartitions = integer(env, 'AOB_KAFKA_JOB_PARTITIONS', 24, 1, 10_000, problems);
    const instanceId = kafkaInstanceId(env, problems);
    bus = {
      kind: 'kafka',
      brokers,
      prefix: env.AOB_KAFKA_PREFIX ?? '',
      sessionTimeoutMs,
      ...(instanceId !== undefined ? { instanceId } : {}),
      partitions,
      jobPartitions,
    };
  } else if (busKind === 'redis') {
    const url = env.AOB_REDIS_URL;
    if (!url && needsBus) problems.push(problem('AOB_REDIS_URL', 'is required with AOB_BUS=redis'));
    bus = { kind: 'redis', url: url ?? '', prefix: env.AOB_REDIS_PREFIX ?? 'aob:' };
  } else {
    problems.push(problem('AOB_BUS', `must be kafka or redis, not "${busKind}"`));
  }

  if (wanted.includes('orchestrator') && !env.AOB_DATABASE_URL) {
    problems.push(problem('AOB_DATABASE_URL', 'is required by the orchestrator (postgres://…)'));
  } else {
    const needsDb = wanted.filter((n) => ['api', 'fanout', 'hitl'].includes(n));
    if (needsDb.length > 0 && !env.AOB_DATABASE_URL) {
      problems.push(
        problem('AOB_DATABASE_URL', `is required by the ${needsDb.join(', ')} (postgres://…)`),
      );
    }
  }
  const ledgerKind = env.AOB_ATTEMPT_LEDGER ?? (busKind === 'redis' ? 'redis' : 's3');
  let attemptLedger: ServiceConfig['attemptLedger'] = { kind: 's3' };
  if (ledgerKind === 'redis') {
    if (!env.AOB_REDIS_URL && wanted.includes('runner') && busKind !== 'redis') {
      problems.push(problem('AOB_REDIS_URL', 'is required with AOB_ATTEMPT_LEDGER=redis'));
    }
    attemptLedger = {
      kind: 'redis',
      url: env.AOB_REDIS_URL ?? '',
      prefix: env.AOB_REDIS_PREFIX ?? 'aob:',
    };
  } else if (ledgerKind === 'pg') {
    if (!env.AOB_DATABASE_URL && wanted.includes('runner')) {
      problems.push(problem('AOB_DATABASE_URL', 'is required with AOB_ATTEMPT_LEDGER=pg'));
    }
    attemptLedger = { kind: 'pg', url: env.AOB_DATABASE_URL ?? '' };
  } else if (ledgerKind !== 's3') {
    problems.push(problem('AOB_ATTEMPT_LEDGER', `must be s3, redis or pg, not "${ledgerKind}"`));
  }
  let s3: ServiceConfig['s3'];
  if (!env.AOB_S3_BUCKET) {
    // The validator is pure: it reads nothing from the content store.
    if (wanted.some((n) => n !== 'validator'))
      problems.push(problem('AOB_S3_BUCKET', 'is required (the content store)'));
  } else {
    const id = env.AWS_ACCESS_KEY_ID;
    const secret = env.AWS_SECRET_ACCESS_KEY;
    if (Boolean(id) !== Boolean(secret)) {
      problems.push(problem('AWS_SECRET_ACCESS_KEY', 'and AWS_ACCESS_KEY_ID must be set together'));
    }
    s3 = {
      bucket: env.AOB_S3_BUCKET,
      region: env.AOB_S3_REGION || 'us-east-1',
      ...(env.AOB_S3_ENDPOINT ? { endpoint: env.AOB_S3_ENDPOINT } : {}),
      ...(env.AOB_S3_PREFIX ? { prefix: env.AOB_S3_PREFIX } : {}),
      ...(id && secret ? { credentials: { accessKeyId: id, secretAccessKey: secret } } : {}),
      forcePathStyle: boolean(env, 'AOB_S3_FORCE_PATH_STYLE', true, problems),
    };
  }
  const { llm, search, mcp, workspaceRoot, limits } = executorSettingsFromEnv(
    env,
    process.cwd(),
    problems,
  );
  // Only types whose output follows from their definition and input: never llm, agent or task.
  const memoTypes = (env.AOB_MEMO_TYPES ?? (env.AOB_REDIS_URL ? 'transform,join' : ''))
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
  const badMemo = memoTypes.filter((t) => !(Object.values(NodeType) as string[]).includes(t));
  if (badMemo.length > 0) {
    problems.push(problem('AOB_MEMO_TYPES', `names unknown node type(s) ${badMemo.join(', ')}`));
  }
  if (memoTypes.length > 0 && !env.AOB_REDIS_URL) {
    problems.push(problem('AOB_REDIS_URL', 'is required when AOB_MEMO_TYPES names node types'));
  }
  // OTEL_TRACES_EXPORTER, OTEL_EXPORTER_*, OTEL_SERVICE_NAME, OTEL_TRACES_SAMPLER(_ARG).
  const telemetry = telemetryConfig(env, problems);
  const logLevel = env.AOB_LOG_LEVEL ?? 'info';
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel)) {
    problems.push(
      problem('AOB_LOG_LEVEL', `must be debug, info, warn or error, not "${logLevel}"`),
    );
  }
  if (problems.length > 0) {
    throw new AobError(
      'BAD_CONFIG',
      `bad service configuration: ${problems.map((p) => p.message).join('; ')}`,
      { details: { problems } },
    );
  }
  return {
    services: wanted,
    limits,
    httpPort,
    fanoutPort,
    apiPort,
    grpcPort,
    validatorPort,
    hitlPort,
    apiMaxBodyBytes,
    mcpHostRules,
    ...(validatorUrl !== undefined ? { validatorUrl } : {}),
    instance: instance ?? env.AOB_INSTANCE ?? `${env.HOSTNAME ?? 'aob'}-${process.pid}`,
    ...(env.AOB_DATABASE_URL ? { databaseUrl: env.AOB_DATABASE_URL } : {}),
    bus,
    ...(s3 ? { s3 } : {}),
    ...(env.AOB_REDIS_URL ? { redisUrl: env.AOB_REDIS_URL } : {}),
    attemptLedger,
    ...(llm ? { llm } : {}),
    ...(search ? { search } : {}),
    ...(mcp ? { mcp } : {}),
    ...(workspaceRoot ? { workspaceRoot } : {}),
    ...(apiUrl !== undefined ? { apiUrl } : {}),
    jobTokenGraceMs,
    runnerConcurrency,
    runnerStopGraceMs,
    stalls,
    redeliverAfterMs,
    startTimeoutMs,
    memoTypes: memoTypes as NodeType[],
    ...(env.AOB_HANDLERS ? { handlersFile: env.AOB_HANDLERS } : {}),
    allowPrivateNetwork: env.AOB_ALLOW_PRIVATE_NETWORK === 'true',
    logLevel: logLevel as ServiceConfig['logLevel'],
    telemetry,
  };
}

/**
 * The partition count a service gives `topic` (a bus topic name, without AOB_KAFKA_PREFIX) when it
 * creates it: the job topics share `jobPartitions`, every other topic `partitions`.
 */
export function kafkaPartitionsOf(bus: {
  partitions: number;
  jobPartitions: number;
}): (topic: string) => number {
  const jobTopics: readonly string[] = [Topic.jobsHigh, Topic.jobsMedium, Topic.jobsLow];
  return (topic) => (jobTopics.includes(topic) ? bus.jobPartitions : bus.partitions);
}

/** `true` or `false` only (unset or empty: the default): a typo must not flip a setting. */
function boolean(env: Env, name: string, fallback: boolean, problems: Problem[]): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true' || raw === 'false') return raw === 'true';
  problems.push(problem(name, `must be true or false, not "${raw}"`));
  return fallback;
}

/** Kafka's rule for a `group.instance.id`: 1–249 of [a-zA-Z0-9._-], and not "." or "..". */
function kafkaInstanceId(env: Env, problems: Problem[]): string | undefined {
  const raw = env.AOB_KAFKA_INSTANCE_ID;
  if (raw === undefined || raw === '') return undefined;
  if (!/^[a-zA-Z0-9._-]{1,249}$/.test(raw) || raw === '.' || raw === '..') {
    problems.push(
      problem(
        'AOB_KAFKA_INSTANCE_ID',
        `must be 1 to 249 letters, digits, ".", "_" or "-" (and not "." or ".."), not "${raw}"`,
      ),
    );
    return undefined;
  }
  return raw;
}

function integer(
  env: Env,
  name: string,
  fallback: number,
  min: number,
  max: number,
  problems: Problem[],
): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    problems.push(problem(name, `must be an integer from ${min} to ${max}, not "${raw}"`));
    return fallback;
  }
  return n;
}
