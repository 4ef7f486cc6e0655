// The repeated-fault scenario of the cluster topology (issue 10), shared by the bounded CI test
// (cluster-faults.e2e.test.ts) and the soak script (scripts/soak-faults.ts).
//
// Topology: api ×2, orchestrator ×2 and runner ×2, each its own `aob server --services X`
// process, on a private PostgreSQL, Kafka and S3 server (one database, topic prefix and object
// prefix per scenario, so the soak reuses the servers across seeds). Runs are started through REST,
// spread over both api processes. While they flow, a fault schedule drawn from the seed SIGKILLs
// and restarts, gracefully stops and restarts, scales up and scales down processes. Then it waits
// for quiescence and checks every run against the log, the handler marks and the API.
//
// Everything random derives from one seed (printed; AOB_FAULT_SEED picks it), so a failing seed
// replays the same workload and fault schedule; process timing is the machine's and is not
// replayed.
import { randomInt } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import pg from 'pg';
import kafkajs from 'kafkajs';
import { Redis } from 'ioredis';
import type { PrivatePostgres, PrivateS3, RunningKafka } from './cluster-harness.js';
import {
  ServiceProcess,
  freePorts,
  launchKafka,
  launchPostgres,
  launchS3,
  sleep,
} from './cluster-harness.js';
import { aob } from './helpers.js';

// ---------------------------------------------------------------------------------------------
// Options and results

export interface FaultScenarioOptions {
  seed: number;
  /** Runs started through REST. */
  runs: number;
  /** Faults applied (at least 6 cover every kind: see planFaults). */
  faults: number;
  /** The first fault comes this long after the first acknowledged start. Default 3 000 ms. */
  faultDelayMs?: number;
  /** Gap between two faults, drawn uniformly from this range. Default [2 000, 4 000] ms. */
  faultGapMs?: readonly [number, number];
  /** Runs whose SSE timeline is followed live and compared with the log. Default 10. */
  sseSample?: number;
  /**
   * The wait for quiescence gives up when no event has been appended for this long (the runs
   * still open are then stuck). Default 60 000 ms, or AOB_FAULT_QUIESCE_MS. Keep it above the
   * ~45 s the stall watchdog takes, as configured here, to rescue a run.
   */
  quiesceMs?: number;
  /** The wait for quiescence gives up this long after the last start and fault at the latest. */
  drainTimeoutMs?: number;
  /** AOB_KAFKA_SESSION_TIMEOUT_MS of every process. Default 6 000 (the failover time). */
  sessionTimeoutMs?: number;
  /**
   * The bus of every process: `kafka` (the cluster, the default, on the infra's Kafka) or `redis`
   * (the small install: Redis Streams on REDIS_URL, default 127.0.0.1:6379, with the runners'
   * attempt ledger in the same Redis, and a killed runner's jobs redelivered after 3 s).
   */
  bus?: 'kafka' | 'redis';
  /**
   * The orchestrator slots run `aob server --services orchestrator,runner`: one process holding
   * both, its decisions' jobs handed to its own runner (cluster/job-handoff.ts), beside the runner
   * slots. Default false: every slot one service.
   */
  colocate?: boolean;
  /** More environment for every service process (it wins over the scenario's own). */
  serviceEnv?: Record<string, string>;
  /** Keep the logs directory even when every check passes (default: AOB_KEEP_FAULT_DIR set). */
  keepDir?: boolean;
  /** Progress lines. Default: stderr. */
  log?: (line: string) => void;
}

/** The private servers a scenario runs on; the soak reuses them across seeds. */
export interface FaultInfra {
  kafka: RunningKafka;
  postgres: PrivatePostgres;
  s3: PrivateS3;
}

export type ServiceKind = 'api' | 'orchestrator' | 'runner';
export type FaultKind = 'kill' | 'stop' | 'scale-up' | 'scale-down';

export interface PlannedFault {
  kind: FaultKind;
  /** A process slot: api-1, orchestrator-2, runner-3 (the scale-up slots end in -3). */
  target: string;
  /** Wait before applying it (after the previous fault was applied). */
  gapMs: number;
}

export interface FaultRecord {
  kind: FaultKind;
  target: string;
  /** Milliseconds since the scenario began: the signal sent (or the start begun, for scale-up). */
  at: number;
  /** The process signalled. */
  pid?: number;
  /** When it exited, and when its replacement (or the scaled-up process) was ready. */
  exitedAt?: number;
  readyAt?: number;
  /** Runs started and not over when the fault came (from the runs table). */
  runsInFlight?: number;
  note?: string;
}

export interface FaultSummary {
  seed: number;
  /** Runs the scenario tried to start. */
  runs: number;
  /** Starts answered 201/202, or 409 RUN_EXISTS to a retry (an earlier try had started it). */
  acknowledged: number;
  acknowledgedByConflict: number;
  /** Starts never acknowledged within the start deadline (not counted as lost). */
  unacknowledged: number;
  /** Starts refused with a 4xx other than a retry's 409: the scenario's own request was wrong. */
  rejected: number;
  completed: number;
  /** Runs over with RunFailed or RunCancelled. */
  failed: number;
  /** Runs in the log without a terminal event when the wait for quiescence ended. */
  stuck: number;
  /** Acknowledged runs with no event in the log. */
  lost: number;
  /** Completed runs whose output (read through REST) is not the expected one. */
  wrongOutput: number;
  /** Runs whose seqs are not dense 1..n or without exactly one terminal event, last. */
  badLogs: number;
  /** More than one NodeSucceeded/NodeFailed for one (run, node, item, attempt). */
  duplicateDecisions: number;
  /** Executions of an attempt that had finished: its outcome in the log, or a result published. */
  reExecutions: number;
  /** Extra executions of an attempt in flight that no fault of the executing process explains. */
  unexplainedDuplicates: number;
  /** Extra executions explained by a kill or graceful stop of the process running the attempt. */
  allowedDuplicates: number;
  /** …of which after a graceful stop (SIGTERM, or a scale-down) rather than a SIGKILL. */
  allowedAfterGracefulStop: number;
  /** NodeRedispatched events (the stall watchdog sent an attempt again), and runs with one. */
  redispatches: number;
  runsRedispatched: number;
  /** Task attempts with an outcome in the log but no execution mark (the marks are wrong). */
  missingExecutions: number;
  /** Service processes that exited without being told to. */
  unexpectedExits: number;
  /** Starts of a service process that were not ready within a minute (killed and tried again). */
  startFailures: number;
  sseChecked: number;
  sseMismatch: number;
  /** Every check that failed, by name. Empty: the scenario passed. */
  failedChecks: string[];
  faults: FaultRecord[];
  faultsByKind: Record<string, number>;
  startLatencyMs: { p50: number; p99: number; max: number };
  durations: {
    setupMs: number;
    loadMs: number;
    drainMs: number;
    checkMs: number;
    totalMs: number;
  };
  /** Where the logs are (kept when a check failed, or when asked). */
  dir?: string;
}

export interface OffendingRun {
  runId: string;
  problems: string[];
  lastEvents: string[];
}

export interface FaultResult {
  summary: FaultSummary;
  offenders: OffendingRun[];
  /** The allowed duplicate executions, each with the fault that explains it. */
  allowed: string[];
}

// ---------------------------------------------------------------------------------------------
// The seed and the random streams

/** AOB_FAULT_SEED when set (an integer), else `fallback`, else a random one. */
export function faultSeed(fallback?: number): number {
  const raw = process.env.AOB_FAULT_SEED;
  if (raw !== undefined && raw.trim() !== '') {
    const n = Number(raw);
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new Error(`AOB_FAULT_SEED must be a non-negative integer, not "${raw}"`);
    }
    return n;
  }
  return fallback ?? randomInt(1, 2 ** 31 - 1);
}

export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [lo, hi]. */
  int(lo: number, hi: number): number;
  pick<T>(items: readonly T[]): T;
}

/**
 * mulberry32 on a 32-bit state. Each part of the plan (inputs, api choice, SSE sample, faults)
 * has its own stream, so changing the number of runs does not change the fault schedule.
 */
export function random(seed: number, stream: number): Random {
  let a = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(stream + 1, 0x85ebca6b)) >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  return {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (items) => items[Math.floor(next() * items.length)]!,
  };
}

const STREAM = { inputs: 1, apis: 2, sse: 3, faults: 4 } as const;

// ---------------------------------------------------------------------------------------------
// The workflow, its handlers and the expected output

export const WORKFLOW_NAME = 'fault-flow';

/** prep → map over 5 items → join → a task that fails its first attempt → transform. */
export const WORKFLOW = {
  name: WORKFLOW_NAME,
  version: '1',
  inputs: { type: 'object', required: ['k'], properties: { k: { type: 'integer' } } },
  nodes: [
    { id: 'prep', type: 'task', with: { handler: 'prep' } },
    {
      id: 'fan',
      type: 'map',
      with: {
        items: '{% nodes.prep.output.items %}',
        concurrency: 5,
        body: { type: 'task', with: { handler: 'item' } },
      },
    },
    { id: 'gather', type: 'join', with: { mode: 'all' } },
    {
      id: 'flaky',
      type: 'task',
      with: { handler: 'flaky' },
      input: "{% { 'k': inputs.k, 'values': nodes.fan.output } %}",
      retry: { maxAttempts: 3, initialMs: 100, multiplier: 2, maxMs: 1000, jitter: 0 },
    },
    {
      id: 'final',
      type: 'transform',
      with: {
        value:
          "{% { 'k': inputs.k, 'values': nodes.fan.output, 'sum': $sum(nodes.fan.output), 'check': nodes.flaky.output } %}",
      },
    },
  ],
  edges: [
    { from: 'prep', to: 'fan' },
    { from: 'fan', to: 'gather' },
    { from: 'gather', to: 'flaky' },
    { from: 'flaky', to: 'final' },
  ],
  output: '{% nodes.final.output %}',
};

/** The output every run with input k must end with (the handlers are functions of their input). */
export function expectedOutput(k: number): unknown {
  const values = [0, 1, 2, 3, 4].map((i) => (k * 10 + i) * 3 + 1);
  const sum = values.reduce((a, b) => a + b, 0);
  return { k, values, sum, check: { k, total: sum * 2 } };
}

/**
 * The handlers module. Each execution appends a `start` line when the handler is entered and an
 * `end` line when it returns or throws (outcome ok, error or aborted), with the process id, so an
 * execution without `end` is one its process died in. appendFileSync with O_APPEND: lines this
 * short are written whole, whichever process writes. The pause is a function of (run, node, item)
 * only, and outputs of the input only, so a re-execution yields the same output.
 */
function handlersSource(marks: string): string {
  return `import { appendFileSync } from 'node:fs';
const MARKS = ${JSON.stringify(marks)};
function mark(ev, ctx, extra) {
  const line = { ev, runId: ctx.runId, nodeId: ctx.nodeId, iteration: ctx.iteration ?? null,
    attempt: ctx.attempt, pid: process.pid, at: Date.now(), ...extra };
  appendFileSync(MARKS, JSON.stringify(line) + '\\n', { flag: 'a' });
}
function pause(ctx, lo, hi) {
  let h = 2166136261;
  for (const c of ctx.runId + '/' + ctx.nodeId + '/' + (ctx.iteration ?? '')) {
    h ^= c.charCodeAt(0);
    h = Math.imul(h, 16777619);
  }
  return lo + ((h >>> 0) % (hi - lo));
}
function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason ?? new Error('aborted'));
    const onAbort = () => { clearTimeout(t); reject(signal.reason ?? new Error('aborted')); };
    const t = setTimeout(() => { signal.removeEventListener('abort', onAbort); resolve(); }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
async function execution(ctx, ms, body) {
  mark('start', ctx);
  try {
    await sleep(ms, ctx.signal);
    const out = body();
    mark('end', ctx, { outcome: 'ok' });
    return out;
  } catch (err) {
    mark('end', ctx, { outcome: ctx.signal.aborted ? 'aborted' : 'error' });
    throw err;
  }
}
export function prep(input, ctx) {
  return execution(ctx, pause(ctx, 50, 300), () => ({
    k: input.k,
    items: [0, 1, 2, 3, 4].map((i) => input.k * 10 + i),
  }));
}
export function item(x, ctx) {
  return execution(ctx, pause(ctx, 200, 1200), () => x * 3 + 1);
}
export function flaky(input, ctx) {
  return execution(ctx, pause(ctx, 100, 500), () => {
    if (ctx.attempt === 1) {
      throw Object.assign(new Error('the first attempt fails'), { code: 'FIRST_ATTEMPT' });
    }
    return { k: input.k, total: input.values.reduce((a, b) => a + b, 0) * 2 };
  });
}
`;
}

interface MarkLine {
  ev: 'start' | 'end';
  runId: string;
  nodeId: string;
  iteration: number | null;
  attempt: number;
  pid: number;
  at: number;
  outcome?: 'ok' | 'error' | 'aborted';
}

interface Execution {
  key: string;
  runId: string;
  pid: number;
  start: number;
  end?: number;
  outcome?: 'ok' | 'error' | 'aborted';
}

const attemptKey = (runId: string, nodeId: string, iteration: number | null, attempt: number) =>
  `${runId}|${nodeId}|${iteration ?? '-'}|${attempt}`;

/** Pairs each start line with the next end line of the same attempt in the same process. */
function executionsOf(file: string): Execution[] {
  const lines = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as MarkLine)
    .sort((a, b) => a.at - b.at);
  const open = new Map<string, Execution[]>();
  const all: Execution[] = [];
  for (const m of lines) {
    const key = attemptKey(m.runId, m.nodeId, m.iteration, m.attempt);
    const slot = `${key}|${m.pid}`;
    if (m.ev === 'start') {
      const e: Execution = { key, runId: m.runId, pid: m.pid, start: m.at };
      all.push(e);
      open.set(slot, [...(open.get(slot) ?? []), e]);
    } else {
      const queue = open.get(slot) ?? [];
      const e = queue.shift();
      if (e) {
        e.end = m.at;
        e.outcome = m.outcome ?? 'ok';
      }
    }
  }
  return all;
}

// ---------------------------------------------------------------------------------------------
// The fault schedule

const CORE_SLOTS = [
  'api-1',
  'api-2',
  'orchestrator-1',
  'orchestrator-2',
  'runner-1',
  'runner-2',
] as const;
const EXTRA_SLOT: Partial<Record<ServiceKind, string>> = {
  orchestrator: 'orchestrator-3',
  runner: 'runner-3',
};
const serviceOf = (slot: string) => slot.slice(0, slot.lastIndexOf('-')) as ServiceKind;

/**
 * `count` faults drawn from the seed. Each kind — a kill of a runner, of an orchestrator and of
 * an api, a graceful stop, a scale-up and a scale-down — comes at least once when count ≥ 6: the
 * kinds not yet drawn are forced once the remaining faults are just enough for them. A scale-down
 * stops a scaled-up process only (so the topology never drops below two of each), and a scale-up
 * only starts a slot not already up.
 */
export function planFaults(
  seed: number,
  count: number,
  gapMs: readonly [number, number] = [2_000, 4_000],
): PlannedFault[] {
  const rng = random(seed, STREAM.faults);
  const need = new Set([
    'kill:runner',
    'kill:orchestrator',
    'kill:api',
    'stop',
    'scale-up',
    'scale-down',
  ]);
  const up = new Set<string>(); // extra slots up at this point of the plan
  const plan: PlannedFault[] = [];
  for (let i = 0; i < count; i++) {
    const remaining = count - i;
    const down = Object.values(EXTRA_SLOT).filter((s) => !up.has(s));
    const live = (): string[] => [...CORE_SLOTS, ...up];
    const feasible = (kind: string) =>
      kind === 'scale-up' ? down.length > 0 : kind === 'scale-down' ? up.size > 0 : true;
    // A scale-down still needed with nothing up costs a scale-up first.
    const cost =
      need.size + (need.has('scale-down') && up.size === 0 && !need.has('scale-up') ? 1 : 0);
    let choice: string;
    if (remaining <= cost && need.size > 0) {
      const forced = [...need].filter(feasible);
      choice = forced.length > 0 ? rng.pick(forced) : 'scale-up';
    } else {
      const weighted = ['kill', 'kill', 'kill', 'kill', 'stop', 'stop', 'scale-up', 'scale-down'];
      choice = rng.pick(weighted.filter(feasible));
    }
    let fault: PlannedFault;
    const gap = rng.int(gapMs[0], gapMs[1]);
    if (choice === 'scale-up') {
      const target = rng.pick(down);
      up.add(target);
      fault = { kind: 'scale-up', target, gapMs: gap };
    } else if (choice === 'scale-down') {
      const target = rng.pick([...up]);
      up.delete(target);
      fault = { kind: 'scale-down', target, gapMs: gap };
    } else if (choice.startsWith('kill:')) {
      const service = choice.slice('kill:'.length);
      fault = {
        kind: 'kill',
        target: rng.pick(live().filter((s) => serviceOf(s) === service)),
        gapMs: gap,
      };
    } else {
      fault = { kind: choice as FaultKind, target: rng.pick(live()), gapMs: gap };
    }
    need.delete(fault.kind === 'kill' ? `kill:${serviceOf(fault.target)}` : fault.kind);
    plan.push(fault);
  }
  return plan;
}

// ---------------------------------------------------------------------------------------------
// Infrastructure

export async function launchFaultInfra(): Promise<FaultInfra & { stop(): Promise<void> }> {
  const [kafka, postgres, s3] = await Promise.all([launchKafka(), launchPostgres(), launchS3()]);
  return {
    kafka,
    postgres,
    s3,
    stop: async () => {
      await Promise.all([kafka.stop(), postgres.stop(), s3.stop()]);
    },
  };
}

/** The URL of another database on the same PostgreSQL server. */
function databaseUrl(base: string, name: string): string {
  const u = new URL(base);
  u.pathname = `/${name}`;
  return u.toString();
}

async function adminQuery(base: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl(base, 'postgres') });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

// ---------------------------------------------------------------------------------------------
// Process slots

interface Slot {
  name: string;
  service: ServiceKind;
  proc: ServiceProcess;
  /** The api's REST base URL. */
  url?: string;
  /** A start, stop or restart of this slot in progress: the next fault on it waits for it. */
  busy: Promise<void>;
  starts: number;
  /** Set while the scenario itself stops or kills the process (an exit then is expected). */
  stopping: boolean;
  /** Every pid this slot has run, for attributing executions. */
  pids: number[];
}

interface ExitRecord {
  slot: string;
  pid: number;
  at: number;
  how: string;
}

// ---------------------------------------------------------------------------------------------
// HTTP

interface HttpAnswer {
  status: number;
  body: unknown;
}

async function http(
  base: string,
  method: string,
  path: string,
  token: string,
  body?: unknown,
  timeoutMs = 30_000,
): Promise<HttpAnswer> {
  const res = await fetch(base + path, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: parsed };
}

const codeOf = (body: unknown): string | undefined =>
  typeof body === 'object' && body !== null && 'code' in body
    ? String((body as { code: unknown }).code)
    : undefined;

interface RunEventJson {
  runId: string;
  seq: number;
  type: string;
  at: number;
  data: Record<string, unknown>;
  [k: string]: unknown;
}

/**
 * Follows a run's SSE timeline until its `end` frame, from either api process. A broken or ended
 * stream without `end` (its api was killed or stopped) is resumed on the other api with
 * Last-Event-ID: the events received must then be the log exactly, with no gap and no repeat.
 */
async function followTimeline(
  runId: string,
  apis: readonly string[],
  first: number,
  token: string,
  stop: AbortSignal,
): Promise<{ events: RunEventJson[]; ended: boolean; reconnects: number; errors: string[] }> {
  const events: RunEventJson[] = [];
  const errors: string[] = [];
  let reconnects = -1;
  let api = first;
  while (!stop.aborted) {
    reconnects++;
    const lastSeq = events.at(-1)?.seq;
    try {
      const res = await fetch(`${apis[api]}/v1/runs/${encodeURIComponent(runId)}/timeline`, {
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'text/event-stream',
          ...(lastSeq !== undefined ? { 'last-event-id': String(lastSeq) } : {}),
        },
        signal: stop,
      });
      if (res.status !== 200 || !res.body) {
        errors.push(`HTTP ${res.status} from ${apis[api]}`);
        await res.body?.cancel();
      } else {
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let cut: number;
          while ((cut = buffer.indexOf('\n\n')) >= 0) {
            const frame = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            let type = 'message';
            const data: string[] = [];
            for (const line of frame.split('\n')) {
              if (line.startsWith(':')) continue;
              const colon = line.indexOf(':');
              const field = colon < 0 ? line : line.slice(0, colon);
              const val = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
              if (field === 'event') type = val;
              else if (field === 'data') data.push(val);
            }
            if (data.length === 0) continue;
            if (type === 'end') {
              await reader.cancel();
              return { events, ended: true, reconnects, errors };
            }
            if (type === 'error' || type === 'reset') {
              errors.push(`${type}: ${data.join('\n')}`);
              continue;
            }
            events.push(JSON.parse(data.join('\n')) as RunEventJson);
          }
        }
      }
    } catch (err) {
      if (stop.aborted) break;
      errors.push(String(err instanceof Error ? (err.cause ?? err.message) : err).slice(0, 200));
    }
    api = 1 - api;
    await sleep(250);
  }
  return { events, ended: false, reconnects, errors };
}

// ---------------------------------------------------------------------------------------------
// The scenario

/** Allowance after a handler returned for its runner to store the output and publish the result. */
const RESULT_GRACE_MS = 3_000;
const TERMINAL = new Set(['RunCompleted', 'RunFailed', 'RunCancelled']);
const TASK_NODES = new Set(['prep', 'fan', 'flaky']);

export async function runFaultScenario(
  opts: FaultScenarioOptions,
  infra: FaultInfra,
): Promise<FaultResult> {
  const seed = opts.seed;
  const log =
    opts.log ?? ((line: string) => process.stderr.write(`[faults seed ${seed}] ${line}\n`));
  const t0 = Date.now();
  const rel = (t: number) => t - t0;
  const plan = planFaults(seed, opts.faults, opts.faultGapMs);
  log(
    `seed ${seed} (AOB_FAULT_SEED=${seed} replays it): ${opts.runs} runs, faults ` +
      plan.map((f) => `${f.kind} ${f.target}`).join(', '),
  );

  const dir = mkdtempSync(join(tmpdir(), `aob-faults-${seed}-`));
  const tag = `f${seed}x${randomInt(0, 1 << 30).toString(36)}`;
  const dbName = `aob_${tag}`;
  await adminQuery(infra.postgres.url, `CREATE DATABASE ${dbName}`);
  const dbUrl = databaseUrl(infra.postgres.url, dbName);
  const kafkaPrefix = `${tag}.`;
  const redisPrefix = `aob-faults:${tag}:`;
  const marks = join(dir, 'marks.jsonl');
  writeFileSync(marks, '');
  const handlers = join(dir, 'fault-handlers.mjs');
  writeFileSync(handlers, handlersSource(marks));
  const sql = new pg.Pool({ connectionString: dbUrl, max: 4 });
  sql.on('error', () => undefined);

  const busEnv: Record<string, string> =
    opts.bus === 'redis'
      ? {
          AOB_BUS: 'redis',
          AOB_REDIS_URL: REDIS_URL,
          AOB_REDIS_PREFIX: redisPrefix,
          // Unacknowledged jobs of a killed runner go to another after this (runners heartbeat
          // theirs every third of it), well inside the wait for quiescence.
          AOB_REDELIVER_MS: '3000',
        }
      : {
          AOB_BUS: 'kafka',
          AOB_KAFKA_BROKERS: infra.kafka.brokers,
          AOB_KAFKA_PREFIX: kafkaPrefix,
          AOB_KAFKA_SESSION_TIMEOUT_MS: String(opts.sessionTimeoutMs ?? 6_000),
        };
  const baseEnv: Record<string, string> = {
    ...busEnv,
    AOB_DATABASE_URL: dbUrl,
    AOB_HANDLERS: handlers,
    ...infra.s3.env,
    AOB_S3_PREFIX: `${tag}/`,
    // The stall watchdog nudges runs quiet this long and sends again attempts in flight past
    // their timeout (30 s by default) plus the grace: a run it rescues is rescued within ~45 s,
    // inside the wait for quiescence (which must stay longer than that), and counted as a
    // redispatch rather than reported stuck.
    AOB_STALL_QUIET_MS: '10000',
    AOB_STALL_GRACE_MS: '5000',
    ...opts.serviceEnv,
  };
  const apiPorts = await freePorts(4);
  const slots = new Map<string, Slot>();
  const addSlot = (name: string) => {
    const service = serviceOf(name);
    const env = { ...baseEnv };
    let url: string | undefined;
    if (service === 'api') {
      const i = Number(name.slice(-1)) - 1;
      env.AOB_API_PORT = String(apiPorts[2 * i]);
      env.AOB_GRPC_PORT = String(apiPorts[2 * i + 1]);
      url = `http://127.0.0.1:${apiPorts[2 * i]}`;
    }
    // Co-located: an orchestrator slot's process runs a runner too.
    const services = opts.colocate && service === 'orchestrator' ? 'orchestrator,runner' : service;
    const proc = new ServiceProcess(services, env, join(dir, `${name}.log`));
    slots.set(name, {
      name,
      service,
      proc,
      ...(url ? { url } : {}),
      busy: Promise.resolve(),
      starts: 0,
      stopping: false,
      pids: [],
    });
  };
  for (const name of CORE_SLOTS) addSlot(name);
  for (const name of Object.values(EXTRA_SLOT)) addSlot(name);

  const exits: ExitRecord[] = [];
  const startFailures: ExitRecord[] = [];
  /** Starts a slot's process (again); each start gets its own instance name. */
  const startSlot = async (slot: Slot): Promise<number> => {
    for (let tries = 1; ; tries++) {
      slot.starts++;
      slot.stopping = false;
      try {
        // A unique AOB_INSTANCE per process: instances name consumers, claims and leases. On
        // Kafka the members are static, one id per slot as a pod's name is: a slot started again
        // after a kill takes its partitions back at once (the slots' ids never run twice at once).
        await slot.proc.start({
          AOB_INSTANCE: `${slot.name}.${slot.starts}.${tag}`,
          AOB_KAFKA_INSTANCE_ID: `${slot.name}.${tag}`,
        });
      } catch (err) {
        const pid = slot.proc.child?.pid;
        if (pid !== undefined && !slot.pids.includes(pid)) slot.pids.push(pid);
        log(`${slot.name} did not start (try ${tries}): ${String(err).slice(0, 400)}`);
        // Not ready within the harness's minute (or exited): killed here, and recorded, both to
        // fail the scenario and to explain a re-execution of what it may have run meanwhile.
        startFailures.push({
          slot: slot.name,
          pid: pid ?? 0,
          at: Date.now(),
          how: String(err).slice(0, 200),
        });
        await slot.proc.kill('SIGKILL');
        if (tries >= 3) throw err;
        continue;
      }
      const child = slot.proc.child!;
      slot.pids.push(child.pid!);
      child.once('exit', (code, signal) => {
        if (!slot.stopping) {
          exits.push({
            slot: slot.name,
            pid: child.pid!,
            at: Date.now(),
            how: `${signal ?? code}`,
          });
          log(`UNEXPECTED EXIT of ${slot.name} (pid ${child.pid}): ${signal ?? code}`);
        }
      });
      return Date.now();
    }
  };

  const starts: StartRecord[] = [];
  const followers: Promise<SseResult>[] = [];
  const stopFollowing = new AbortController();
  const faults: (FaultRecord & { abs: number; absExit?: number })[] = [];
  const durations = { setupMs: 0, loadMs: 0, drainMs: 0, checkMs: 0, totalMs: 0 };
  let keep = opts.keepDir ?? Boolean(process.env.AOB_KEEP_FAULT_DIR);
  try {
    // ---- setup
    await Promise.all(CORE_SLOTS.map((n) => startSlot(slots.get(n)!)));
    const apis = ['api-1', 'api-2'].map((n) => slots.get(n)!.url!);
    const admin = await aob(
      [
        'token',
        'create',
        '--role',
        'admin',
        '--subject',
        'fault-test',
        '--namespace',
        'faults',
        '--database-url',
        dbUrl,
        '--json',
      ],
      { NO_COLOR: '1' },
    );
    if (admin.code !== 0) throw new Error(`aob token create failed: ${admin.stderr}`);
    const token = (JSON.parse(admin.stdout) as { token: string }).token;
    const reg = await http(apis[0]!, 'POST', '/v1/workflows', token, { definition: WORKFLOW });
    if (reg.status !== 201) {
      throw new Error(`registering ${WORKFLOW_NAME}: ${reg.status} ${JSON.stringify(reg.body)}`);
    }
    durations.setupMs = Date.now() - t0;
    log(`cluster up in ${(durations.setupMs / 1000).toFixed(1)} s; logs in ${dir}`);

    // ---- load and faults
    const inputs = random(seed, STREAM.inputs);
    const apiChoice = random(seed, STREAM.apis);
    const sseRng = random(seed, STREAM.sse);
    const sample = new Set<number>();
    const sseCount = Math.min(opts.sseSample ?? 10, opts.runs);
    while (sample.size < sseCount) sample.add(sseRng.int(0, opts.runs - 1));
    const meanGap = ((opts.faultGapMs?.[0] ?? 2_000) + (opts.faultGapMs?.[1] ?? 4_000)) / 2;
    const faultDelayMs = opts.faultDelayMs ?? 3_000;
    // Starts are spread over the fault schedule, so faults land while runs are in flight.
    const paceMs = Math.max(
      20,
      Math.min(400, Math.round((faultDelayMs + opts.faults * meanGap) / opts.runs)),
    );
    let firstAck: () => void = () => undefined;
    const firstAcked = new Promise<void>((r) => (firstAck = r));
    const loadStart = Date.now();
    const launching = (async () => {
      for (let i = 0; i < opts.runs; i++) {
        const rec: StartRecord = {
          i,
          runId: `${tag}-${String(i).padStart(4, '0')}`,
          k: inputs.int(0, 9_999),
          api: apiChoice.int(0, 1),
          outcome: 'pending',
          tries: 0,
          errors: [],
        };
        starts.push(rec);
        const started = startRun(rec, apis, token).then(() => {
          if (rec.outcome === 'acknowledged') {
            firstAck();
            if (sample.has(i)) {
              followers.push(
                followTimeline(rec.runId, apis, rec.api, token, stopFollowing.signal).then((r) => ({
                  ...r,
                  runId: rec.runId,
                })),
              );
            }
          }
        });
        rec.done = started;
        await sleep(paceMs);
      }
      await Promise.all(starts.map((s) => s.done));
    })();

    const injecting = (async () => {
      await Promise.race([firstAcked, sleep(60_000)]);
      await sleep(faultDelayMs);
      for (const [n, f] of plan.entries()) {
        if (n > 0) await sleep(f.gapMs);
        const slot = slots.get(f.target)!;
        await slot.busy;
        const abs = Date.now();
        const rec: FaultRecord & { abs: number; absExit?: number } = {
          kind: f.kind,
          target: f.target,
          at: rel(abs),
          abs,
        };
        faults.push(rec);
        void inFlight(sql).then((n) => (rec.runsInFlight = n));
        const alive = slot.proc.alive;
        if (alive && f.kind !== 'scale-up') rec.pid = slot.proc.child!.pid!;
        log(
          `fault ${n + 1}/${plan.length}: ${f.kind} ${f.target}${rec.pid ? ` (pid ${rec.pid})` : ''}`,
        );
        if (f.kind === 'kill') {
          if (!alive) rec.note = 'was not running; started';
          slot.stopping = true;
          await slot.proc.kill('SIGKILL');
          rec.absExit = Date.now();
          rec.exitedAt = rel(rec.absExit);
        } else if (f.kind === 'stop' || f.kind === 'scale-down') {
          if (!alive) rec.note = 'was not running';
          slot.stopping = true;
        } else if (alive) {
          rec.note = 'was running already';
        }
        slot.busy = (async () => {
          if (f.kind === 'stop' || f.kind === 'scale-down') {
            await slot.proc.stop(); // SIGTERM; SIGKILL after 20 s
            rec.absExit = Date.now();
            rec.exitedAt = rel(rec.absExit);
            if (slot.proc.child?.signalCode === 'SIGKILL') {
              rec.note = 'did not stop within 20 s of SIGTERM: SIGKILLed';
            }
          }
          if (f.kind !== 'scale-down') rec.readyAt = rel(await startSlot(slot));
        })().catch((err: unknown) => {
          rec.note = `${rec.note ? `${rec.note}; ` : ''}failed: ${String(err).slice(0, 300)}`;
        });
      }
      await Promise.all([...slots.values()].map((s) => s.busy));
    })();

    await Promise.all([launching, injecting]);
    durations.loadMs = Date.now() - loadStart;
    const acked = starts.filter((s) => s.outcome === 'acknowledged');
    log(
      `${acked.length}/${opts.runs} starts acknowledged and ${faults.length} faults applied in ` +
        `${(durations.loadMs / 1000).toFixed(1)} s; waiting for quiescence`,
    );

    // ---- quiescence
    const drainStart = Date.now();
    const quiesceMs = opts.quiesceMs ?? Number(process.env.AOB_FAULT_QUIESCE_MS ?? 60_000);
    await quiescence(
      sql,
      acked.map((s) => s.runId),
      quiesceMs,
      opts.drainTimeoutMs ?? 240_000,
    );
    durations.drainMs = Date.now() - drainStart;
    await sleep(2_000); // late duplicate executions, if any, get to write their marks

    // ---- checks
    const checkStart = Date.now();
    stopFollowing.abort();
    const sse = await Promise.all(followers);
    const result = await check({
      seed,
      sql,
      apis,
      token,
      starts,
      marks,
      faults,
      exits,
      startFailures,
      runnerPids: new Set(
        [...slots.values()]
          .filter((s) => s.service === 'runner' || (opts.colocate && s.service === 'orchestrator'))
          .flatMap((s) => s.pids),
      ),
      sse,
    });
    durations.checkMs = Date.now() - checkStart;
    durations.totalMs = Date.now() - t0;
    result.summary.durations = durations;
    if (result.summary.failedChecks.length > 0) keep = true;
    if (keep) result.summary.dir = dir;
    return result;
  } catch (err) {
    keep = true;
    log(`the scenario broke: ${String(err)}; logs kept in ${dir}`);
    throw err;
  } finally {
    stopFollowing.abort();
    await Promise.all(
      [...slots.values()].map(async (s) => {
        s.stopping = true;
        await s.busy;
        s.stopping = true;
        await s.proc.close();
      }),
    );
    await sql.end().catch(() => undefined);
    await adminQuery(infra.postgres.url, `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(
      () => undefined,
    );
    if (opts.bus === 'redis') await deleteRedisKeys(redisPrefix).catch(() => undefined);
    else await deleteTopics(infra.kafka.brokers, kafkaPrefix).catch(() => undefined);
    if (keep) log(`logs kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

interface StartRecord {
  i: number;
  runId: string;
  k: number;
  /** The api process of the first try (0 or 1); retries alternate. */
  api: number;
  outcome: 'pending' | 'acknowledged' | 'unacknowledged' | 'rejected';
  byConflict?: boolean;
  tries: number;
  /** From the first try to the acknowledgement. */
  latencyMs?: number;
  errors: string[];
  done?: Promise<void>;
}

const START_DEADLINE_MS = 120_000;

/**
 * POST /v1/runs with the run id chosen here, so a retry after a lost answer cannot start a second
 * run: a 409 RUN_EXISTS to a retry means an earlier try started it. Connection errors, timeouts
 * and 5xx (503 RUN_PENDING: handed to the orchestrators, not yet in the log) are retried on the
 * other api process.
 */
async function startRun(rec: StartRecord, apis: readonly string[], token: string): Promise<void> {
  const first = Date.now();
  let api = rec.api;
  for (;;) {
    rec.tries++;
    try {
      const res = await http(apis[api]!, 'POST', '/v1/runs', token, {
        workflow: WORKFLOW_NAME,
        inputs: { k: rec.k },
        runId: rec.runId,
      });
      if (res.status === 201 || res.status === 202) {
        rec.outcome = 'acknowledged';
      } else if (res.status === 409 && codeOf(res.body) === 'RUN_EXISTS' && rec.tries > 1) {
        rec.outcome = 'acknowledged';
        rec.byConflict = true;
      } else if (res.status < 500 && res.status !== 429) {
        rec.outcome = 'rejected';
        rec.errors.push(`${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
        return;
      } else {
        rec.errors.push(`${res.status} ${codeOf(res.body) ?? ''}`);
      }
    } catch (err) {
      rec.errors.push(
        String(err instanceof Error ? (err.cause ?? err.message) : err).slice(0, 120),
      );
    }
    if (rec.outcome === 'acknowledged') {
      rec.latencyMs = Date.now() - first;
      return;
    }
    if (Date.now() - first > START_DEADLINE_MS) {
      rec.outcome = 'unacknowledged';
      return;
    }
    api = 1 - api;
    await sleep(250);
  }
}

async function inFlight(sql: pg.Pool): Promise<number | undefined> {
  try {
    const { rows } = await sql.query<{ n: string }>(
      `SELECT count(*) AS n FROM runs WHERE status NOT IN ('completed', 'failed', 'cancelled')`,
    );
    return Number(rows[0]!.n);
  } catch {
    return undefined;
  }
}

/**
 * Waits until every acknowledged run is over (by the runs table), or no event has been appended
 * for `quietMs`, or `timeoutMs` has passed. The checks then read the log itself.
 */
async function quiescence(
  sql: pg.Pool,
  runIds: readonly string[],
  quietMs: number,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let events = -1;
  let progressAt = Date.now();
  for (;;) {
    try {
      const { rows } = await sql.query<{ over: string; events: string }>(
        `SELECT (SELECT count(*) FROM runs WHERE run_id = ANY($1)
                   AND status IN ('completed', 'failed', 'cancelled')) AS over,
                (SELECT count(*) FROM events) AS events`,
        [runIds],
      );
      if (Number(rows[0]!.over) === runIds.length) return;
      const n = Number(rows[0]!.events);
      if (n !== events) {
        events = n;
        progressAt = Date.now();
      }
    } catch {
      // the database is not faulted here; a failed poll is simply retried
    }
    if (Date.now() - progressAt > quietMs || Date.now() > deadline) return;
    await sleep(500);
  }
}

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Deletes a scenario's streams and ledger entries (every key under its prefix). */
async function deleteRedisKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    for await (const keys of redis.scanStream({ match: `${prefix}*`, count: 500 })) {
      const batch = keys as string[];
      if (batch.length > 0) await redis.del(...batch);
    }
  } finally {
    redis.disconnect();
  }
}

async function deleteTopics(brokers: string, prefix: string): Promise<void> {
  const admin = new kafkajs.Kafka({
    clientId: 'aob-fault-cleanup',
    brokers: [brokers],
    logLevel: kafkajs.logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 10_000 });
  } finally {
    await admin.disconnect();
  }
}

// ---------------------------------------------------------------------------------------------
// Checks

interface SseResult {
  runId: string;
  events: RunEventJson[];
  ended: boolean;
  reconnects: number;
  errors: string[];
}

interface CheckInput {
  seed: number;
  sql: pg.Pool;
  apis: readonly string[];
  token: string;
  starts: readonly StartRecord[];
  marks: string;
  faults: readonly (FaultRecord & { abs: number; absExit?: number })[];
  exits: readonly ExitRecord[];
  startFailures: readonly ExitRecord[];
  runnerPids: ReadonlySet<number>;
  sse: readonly SseResult[];
}

interface LogRow {
  run_id: string;
  seq: string;
  type: string;
  at: string;
  data: { nodeId?: string; iteration?: number; attempt?: number };
}

async function check(c: CheckInput): Promise<FaultResult> {
  const problems = new Map<string, string[]>();
  const flag = (runId: string, problem: string) =>
    problems.set(runId, [...(problems.get(runId) ?? []), problem]);
  const acked = c.starts.filter((s) => s.outcome === 'acknowledged');
  const kOf = new Map(c.starts.map((s) => [s.runId, s.k]));

  const { rows } = await c.sql.query<LogRow>(
    'SELECT run_id, seq, type, at, data FROM events ORDER BY run_id, seq',
  );
  const logs = new Map<string, LogRow[]>();
  for (const r of rows) logs.set(r.run_id, [...(logs.get(r.run_id) ?? []), r]);
  // Every run in this scenario's database is checked, acknowledged or not (a start whose answer
  // was lost may still have started one).
  const runIds = new Set([...acked.map((s) => s.runId), ...logs.keys()]);

  let completed = 0;
  let failed = 0;
  let stuck = 0;
  let lost = 0;
  let badLogs = 0;
  let duplicateDecisions = 0;
  let redispatches = 0;
  let runsRedispatched = 0;
  const outcomeAt = new Map<string, number>(); // attempt key → first NodeSucceeded/NodeFailed
  const completedIds: string[] = [];
  for (const runId of runIds) {
    const events = logs.get(runId) ?? [];
    if (events.length === 0) {
      lost++;
      flag(runId, 'lost: acknowledged, no event in the log');
      continue;
    }
    const seqs = events.map((e) => Number(e.seq));
    const dense = seqs.every((s, i) => s === i + 1);
    const terminals = events.filter((e) => TERMINAL.has(e.type));
    const last = events.at(-1)!;
    if (!dense) flag(runId, `seqs not dense 1..${seqs.length}: ${seqs.join(',')}`);
    if (terminals.length > 1) flag(runId, `${terminals.length} terminal events`);
    if (terminals.length === 1 && !TERMINAL.has(last.type)) {
      flag(runId, `terminal event ${terminals[0]!.type} is not the last (${last.type} is)`);
    }
    if (!dense || terminals.length > 1 || (terminals.length === 1 && !TERMINAL.has(last.type))) {
      badLogs++;
    }
    if (terminals.length === 0) {
      stuck++;
      flag(runId, `stuck: no terminal event (last: seq ${last.seq} ${last.type})`);
    } else if (terminals[0]!.type === 'RunCompleted') {
      completed++;
      completedIds.push(runId);
    } else {
      failed++;
      flag(runId, `over with ${terminals[0]!.type}: ${JSON.stringify(terminals[0]!.data)}`);
    }
    const redispatched = events.filter((e) => e.type === 'NodeRedispatched').length;
    redispatches += redispatched;
    if (redispatched > 0) runsRedispatched++;
    const decided = new Set<string>();
    for (const e of events) {
      if (e.type !== 'NodeSucceeded' && e.type !== 'NodeFailed') continue;
      const key = attemptKey(runId, e.data.nodeId!, e.data.iteration ?? null, e.data.attempt!);
      if (decided.has(key)) {
        duplicateDecisions++;
        flag(runId, `${e.type} again for ${key} (seq ${e.seq})`);
      }
      decided.add(key);
      if (!outcomeAt.has(key)) outcomeAt.set(key, Number(e.at));
    }
  }

  // Outputs, through the API (it resolves the content reference of RunCompleted).
  let wrongOutput = 0;
  await eachLimited(completedIds, 8, async (runId) => {
    const k = kOf.get(runId);
    const res = await getWithRetry(c.apis, `/v1/runs/${encodeURIComponent(runId)}`, c.token);
    const body = res.body as { status?: string; output?: unknown };
    if (
      k === undefined ||
      res.status !== 200 ||
      !isDeepStrictEqual(body.output, expectedOutput(k))
    ) {
      wrongOutput++;
      flag(
        runId,
        `wrong output: HTTP ${res.status}, ` +
          (res.status === 200
            ? `output ${JSON.stringify(body.output)}`
            : JSON.stringify(body).slice(0, 300)) +
          '; expected ' +
          JSON.stringify(k === undefined ? '(a run nobody started)' : expectedOutput(k)),
      );
    }
  });

  // Executions per attempt.
  const executions = executionsOf(c.marks);
  const byAttempt = new Map<string, Execution[]>();
  for (const e of executions) byAttempt.set(e.key, [...(byAttempt.get(e.key) ?? []), e]);
  // What takes an execution's process away: the scenario's kills and stops, and exits nobody
  // asked for (those fail the scenario on their own, under unexpectedExits).
  const endings = [
    ...c.faults
      .filter((f) => f.pid !== undefined && f.kind !== 'scale-up')
      .map((f) => ({
        pid: f.pid!,
        at: f.abs,
        exit: f.absExit ?? f.abs,
        graceful: f.kind !== 'kill',
      })),
    ...[...c.exits, ...c.startFailures].map((x) => ({
      pid: x.pid,
      at: x.at,
      exit: x.at,
      graceful: false,
    })),
  ];
  let reExecutions = 0;
  let unexplainedDuplicates = 0;
  let allowedDuplicates = 0;
  let allowedAfterGracefulStop = 0;
  const allowed: string[] = [];
  for (const [key, list] of byAttempt) {
    list.sort((a, b) => a.start - b.start);
    const used = new Set<Execution>();
    for (let j = 1; j < list.length; j++) {
      const again = list[j]!;
      const runId = again.runId;
      const decidedAt = outcomeAt.get(key);
      // Its outcome in the log before it began: the attempt had finished, whatever else happened.
      if (decidedAt !== undefined && decidedAt < again.start) {
        reExecutions++;
        flag(
          runId,
          `finished attempt ${key} executed again (outcome in the log ${again.start - decidedAt} ms before, pid ${again.pid})`,
        );
        continue;
      }
      // An earlier execution whose process was killed or stopped while it was in flight (up to
      // RESULT_GRACE_MS after the handler returned: its result may not have been published yet),
      // before this one began: the in-flight attempt at a kill may run once more.
      let excuse: { e: Execution; graceful: boolean } | undefined;
      for (const e of list.slice(0, j)) {
        if (used.has(e)) continue;
        const hit = endings.find(
          (x) =>
            x.pid === e.pid &&
            e.start <= x.exit &&
            (e.end === undefined || e.end + RESULT_GRACE_MS >= x.at) &&
            x.at <= again.start,
        );
        if (hit) {
          excuse = { e, graceful: hit.graceful };
          break;
        }
      }
      if (excuse) {
        used.add(excuse.e);
        allowedDuplicates++;
        if (excuse.graceful) allowedAfterGracefulStop++;
        allowed.push(
          `${key}: pid ${excuse.e.pid} ${excuse.graceful ? 'stopped' : 'killed'} while it ran ` +
            `(${excuse.e.end === undefined ? 'never ended' : `ended ${excuse.e.outcome}`}), ` +
            `pid ${again.pid} ran it again`,
        );
        continue;
      }
      const finished = list
        .slice(0, j)
        .find((e) => e.end !== undefined && e.end < again.start && e.outcome !== 'aborted');
      if (finished) {
        reExecutions++;
        flag(
          runId,
          `finished attempt ${key} executed again: pid ${finished.pid} ended it ` +
            `${again.start - finished.end!} ms before pid ${again.pid} began it, with no fault of pid ${finished.pid}`,
        );
      } else {
        unexplainedDuplicates++;
        flag(
          runId,
          `attempt ${key} executed by pids ${list
            .slice(0, j + 1)
            .map((e) => e.pid)
            .join(', ')} with no kill or stop of the first while it ran`,
        );
      }
    }
  }
  // Every task attempt the log decided was executed (else the marks, and every count above, are
  // wrong), and only on runner processes of this scenario.
  let missingExecutions = 0;
  for (const [runId, events] of logs) {
    for (const e of events) {
      if (e.type !== 'NodeSucceeded' && e.type !== 'NodeFailed') continue;
      const node = e.data.nodeId!;
      if (!TASK_NODES.has(node) || (node === 'fan' && e.data.iteration === undefined)) continue;
      const key = attemptKey(runId, node, e.data.iteration ?? null, e.data.attempt!);
      if (!byAttempt.has(key)) {
        missingExecutions++;
        flag(runId, `${e.type} for ${key} without any execution mark`);
      }
    }
  }
  const strangers = executions.filter((e) => !c.runnerPids.has(e.pid));
  for (const e of strangers) flag(e.runId, `executed by pid ${e.pid}, not a runner process`);

  // SSE timelines against the log, read through the API.
  let sseMismatch = 0;
  for (const s of c.sse) {
    const res = await getWithRetry(
      c.apis,
      `/v1/runs/${encodeURIComponent(s.runId)}/events?limit=5000`,
      c.token,
    );
    const items = (res.body as { items?: RunEventJson[] }).items ?? [];
    const dbTypes = (logs.get(s.runId) ?? []).map((e) => `${e.seq}:${e.type}`);
    const apiTypes = items.map((e) => `${e.seq}:${e.type}`);
    const why: string[] = [];
    if (!s.ended) why.push('the stream never sent its end');
    if (!isDeepStrictEqual(apiTypes, dbTypes))
      why.push('GET /events differs from the events table');
    if (!isDeepStrictEqual(s.events, items)) {
      const n = s.events.findIndex((e, i) => !isDeepStrictEqual(e, items[i]));
      why.push(
        `SSE has ${s.events.length} events, the log ${items.length}` +
          (n >= 0
            ? `; first difference at index ${n}: SSE ${JSON.stringify(s.events[n]).slice(0, 200)} vs log ${JSON.stringify(items[n]).slice(0, 200)}`
            : ''),
      );
    }
    if (why.length > 0) {
      sseMismatch++;
      flag(
        s.runId,
        `SSE timeline (${s.reconnects} reconnects; ${s.errors.slice(0, 3).join(' | ')}): ${why.join('; ')}`,
      );
    }
  }

  const unacknowledged = c.starts.filter((s) => s.outcome === 'unacknowledged');
  const rejected = c.starts.filter((s) => s.outcome === 'rejected');
  for (const s of rejected) flag(s.runId, `start rejected: ${s.errors.at(-1)}`);
  const latencies = acked.map((s) => s.latencyMs!).sort((a, b) => a - b);
  const pct = (p: number) =>
    latencies.length === 0
      ? 0
      : latencies[Math.min(latencies.length - 1, Math.ceil(p * latencies.length) - 1)]!;
  const faultsByKind: Record<string, number> = {};
  for (const f of c.faults) {
    const k = `${f.kind}:${serviceOf(f.target)}`;
    faultsByKind[k] = (faultsByKind[k] ?? 0) + 1;
  }
  const counts = {
    stuck,
    lost,
    failed,
    wrongOutput,
    badLogs,
    duplicateDecisions,
    reExecutions,
    unexplainedDuplicates,
    missingExecutions,
    unexpectedExits: c.exits.length,
    startFailures: c.startFailures.length,
    sseMismatch,
    rejected: rejected.length,
    strangerExecutions: strangers.length,
  };
  const failedChecks = Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([name]) => name);
  if (acked.length === 0) failedChecks.push('noRunAcknowledged');
  if (executions.length === 0) failedChecks.push('noExecutionMarks');
  const summary: FaultSummary = {
    seed: c.seed,
    runs: c.starts.length,
    acknowledged: acked.length,
    acknowledgedByConflict: acked.filter((s) => s.byConflict).length,
    unacknowledged: unacknowledged.length,
    rejected: rejected.length,
    completed,
    failed,
    stuck,
    lost,
    wrongOutput,
    badLogs,
    duplicateDecisions,
    reExecutions,
    unexplainedDuplicates,
    allowedDuplicates,
    allowedAfterGracefulStop,
    redispatches,
    runsRedispatched,
    missingExecutions,
    unexpectedExits: c.exits.length,
    startFailures: c.startFailures.length,
    sseChecked: c.sse.length,
    sseMismatch,
    failedChecks,
    faults: c.faults.map(({ abs: _abs, absExit: _absExit, ...f }) => f),
    faultsByKind,
    startLatencyMs: { p50: pct(0.5), p99: pct(0.99), max: latencies.at(-1) ?? 0 },
    durations: { setupMs: 0, loadMs: 0, drainMs: 0, checkMs: 0, totalMs: 0 },
  };
  const offenders: OffendingRun[] = [...problems.entries()].map(([runId, list]) => ({
    runId,
    problems: list,
    lastEvents: (logs.get(runId) ?? []).slice(-4).map(describeEvent),
  }));
  return { summary, offenders, allowed };
}

function describeEvent(e: LogRow): string {
  const d = e.data;
  const where =
    d.nodeId !== undefined
      ? ` ${d.nodeId}${d.iteration !== undefined ? `[${d.iteration}]` : ''}${d.attempt !== undefined ? ` attempt ${d.attempt}` : ''}`
      : '';
  return `${e.seq} ${e.type}${where} @${new Date(Number(e.at)).toISOString().slice(11, 23)}`;
}

/** A GET on either api process, retried a few times (both are up during the checks). */
async function getWithRetry(
  apis: readonly string[],
  path: string,
  token: string,
): Promise<HttpAnswer> {
  let last: unknown;
  for (let tries = 0; tries < 6; tries++) {
    try {
      const res = await http(apis[tries % apis.length]!, 'GET', path, token, undefined, 15_000);
      if (res.status < 500) return res;
      last = new Error(`HTTP ${res.status}`);
    } catch (err) {
      last = err;
    }
    await sleep(500);
  }
  return { status: 0, body: { error: String(last) } };
}

async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// Reporting

/** The summary as one line on stderr, `FAULT-SUMMARY {json}`, and each offending run after it. */
export function reportFaults(
  result: FaultResult,
  write = (s: string) => process.stderr.write(s),
): void {
  write(`FAULT-SUMMARY ${JSON.stringify(result.summary)}\n`);
  const seed = result.summary.seed;
  for (const a of result.allowed.slice(0, 10))
    write(`[faults seed ${seed}] allowed duplicate: ${a}\n`);
  if (result.summary.failedChecks.length === 0) return;
  write(
    `[faults seed ${seed}] FAILED: ${result.summary.failedChecks.join(', ')}; ` +
      `${result.offenders.length} offending runs\n`,
  );
  for (const o of result.offenders.slice(0, 40)) {
    write(`  ${o.runId}: ${o.problems.join('; ')}\n    last events: ${o.lastEvents.join(' | ')}\n`);
  }
  if (result.offenders.length > 40) write(`  … and ${result.offenders.length - 40} more\n`);
}
