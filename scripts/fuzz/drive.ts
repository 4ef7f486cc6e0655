// Sends generated requests and the hostile corpus to a server while a second loop asks `whoami`
// every 20 ms; checks the invariants every answer must keep and returns the figures.
//
// Invariants: no 5xx; every error is problem+json with a string code of this API (never the
// framework's FST_…, never a bare Node answer); a refused request that would write leaves the
// store as it was (runs, workflows, patches, tokens after every refused write; and, once the
// engine is idle, every run's events, pending commands and content objects too); each hostile
// definition is refused naming its code, or its run fails with its code, or completes without
// polluting Object.prototype; a document that is no patch is 400 when proposed (400 or a rejected
// verdict when only checked); streams end when their token
// is revoked. The first generated request that breaks one is replayed and shrunk.
import net from 'node:net';
import v8 from 'node:v8';
import vm from 'node:vm';
import fc from 'fast-check';
import type { FuzzRequest } from './requests.js';
import { apiRequests, authorization } from './requests.js';
import type { Expectation, HostileCase } from './corpus.js';
import {
  HOSTILE_CASES,
  MALFORMED_PATCHES,
  MALFORMED_PATCH_BODIES,
  describeExpectation,
  rawRequests,
  startBody,
} from './corpus.js';

/** What a request could have written, by kind. */
export type StoreCounts = Record<string, number>;

export interface FuzzTarget {
  url: string;
  /** A token per role of ROLES (viewer … agent), and `revoked`: one revoked before the fuzz. */
  tokens: Record<string, string>;
  /** Counts that only requests change (runs, workflows, patches, tokens): cheap, taken often. */
  stored: () => Promise<StoreCounts>;
  /** Those and what running runs change too (events, commands, content objects). */
  storedAll: () => Promise<StoreCounts>;
  /** Ids that exist on the server (new ones each call), so requests reach real resources. */
  ids: () => Promise<string[]>;
  /** Starts a run that waits on a person (generated requests may end earlier ones). */
  waitingRun: () => Promise<string>;
}

export interface Shrunk {
  /** Replays it: `fc.check(…, { seed, path })` over `apiRequests(known)`. */
  seed: number;
  path: string;
  known: string[];
  request: FuzzRequest;
  violations: string[];
}

export interface FuzzFigures {
  seed: number;
  requests: number;
  byStatus: Record<string, number>;
  byCode: Record<string, number>;
  byOperation: Record<string, number>;
  whoami: { count: number; p50: number; p99: number; max: number };
  peakRssMb: number;
  heapGrowthMb: number;
  /** The five slowest requests (ms). */
  slowest: { request: string; ms: number }[];
  /** Requests checked against every count once the engine was idle. */
  idleChecked: number;
  /** The run the malformed patch documents were sent to. */
  patchTarget?: string;
  /** Every broken invariant, described (empty when the server held). */
  violations: string[];
  /** The first generated request that broke an invariant, shrunk. */
  shrunk?: Shrunk;
}

const CHUNK = 250;
const WRITES = new Set(['POST', 'DELETE', 'PUT', 'PATCH']);
/** How many refused generated writes are sent again once the engine is idle. */
const IDLE_REPLAYS = 300;

interface Answer {
  status: number;
  code?: string;
  body?: Record<string, unknown>;
}

interface Checked {
  answer: Answer;
  violations: string[];
}

const chunkSeed = (seed: number, chunk: number) => seed * 1_000 + chunk;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function diff(before: StoreCounts, after: StoreCounts): string | undefined {
  const changed = Object.keys({ ...before, ...after }).filter((k) => before[k] !== after[k]);
  return changed.length === 0
    ? undefined
    : changed.map((k) => `${k} ${before[k]} → ${after[k]}`).join(', ');
}

/** The problem's own code and the codes of its `errors` list. */
function codesOf(body: Record<string, unknown> | undefined): string[] {
  const errors = Array.isArray(body?.['errors']) ? (body['errors'] as { code?: unknown }[]) : [];
  return [body?.['code'], ...errors.map((e) => e?.code)].filter(
    (c): c is string => typeof c === 'string',
  );
}

/** The error-shape invariant for one answer: problem+json with a string code of this API. */
function shapeViolations(label: string, status: number, type: string, text: string): string[] {
  if (status < 400) return [];
  const out: string[] = [];
  if (status >= 500) out.push(`${label}: answered ${status}`);
  let parsed: Record<string, unknown> | undefined;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = undefined;
  }
  if (!type.startsWith('application/problem+json') || typeof parsed?.['code'] !== 'string') {
    out.push(
      `${label}: ${status} is no problem+json (content-type '${type}'): ${text.slice(0, 160)}`,
    );
  } else if (parsed['code'].startsWith('FST_')) {
    out.push(`${label}: framework code ${parsed['code']}`);
  }
  return out;
}

/** Sends `text` on a fresh connection; the status, content type and body of the answer. */
export function sendRaw(
  url: string,
  text: string,
  timeoutMs = 5_000,
): Promise<{ status: number; type: string; body: string } | undefined> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname, () => socket.write(text));
    let data = Buffer.alloc(0);
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      const all = data.toString('latin1');
      const head = all.indexOf('\r\n\r\n');
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(all);
      if (!status || head < 0) return resolve(undefined);
      const headers = all.slice(0, head);
      const type = /\r\ncontent-type:\s*([^\r\n]*)/i.exec(headers)?.[1] ?? '';
      resolve({
        status: Number(status[1]),
        type,
        body: data.subarray(Buffer.byteLength(all.slice(0, head + 4), 'latin1')).toString(),
      });
    };
    const timer = setTimeout(finish, timeoutMs);
    socket.on('data', (d: Buffer) => {
      data = Buffer.concat([data, d]);
      // Done once a whole answer is in (by content-length), or when the server closes.
      const all = data.toString('latin1');
      const head = all.indexOf('\r\n\r\n');
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(all.slice(0, Math.max(0, head)));
      if (head >= 0 && length && data.length - (head + 4) >= Number(length[1])) finish();
    });
    socket.on('close', finish);
    socket.on('error', finish);
  });
}

/** An open SSE stream: its last few kB, and whether it has ended. */
interface Stream {
  tail: () => string;
  ended: Promise<void>;
  abort: () => void;
}

async function openStream(url: string, token: string): Promise<Stream> {
  const ctrl = new AbortController();
  const res = await fetch(url, {
    headers: { authorization: `Bearer ${token}` },
    signal: ctrl.signal,
  });
  if (res.status !== 200) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  let tail = '';
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const ended = (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        tail = (tail + decoder.decode(value)).slice(-4_096);
      }
    } catch {
      // aborted
    }
  })();
  return { tail: () => tail, ended, abort: () => ctrl.abort() };
}

export async function runFuzz(
  target: FuzzTarget,
  opts: { seed: number; runs: number; onProgress?: (done: number) => void; shrinkMs?: number },
): Promise<FuzzFigures> {
  const figures: FuzzFigures = {
    seed: opts.seed,
    requests: 0,
    byStatus: {},
    byCode: {},
    byOperation: {},
    whoami: { count: 0, p50: 0, p99: 0, max: 0 },
    peakRssMb: 0,
    heapGrowthMb: 0,
    idleChecked: 0,
    slowest: [],
    violations: [],
  };
  const admin = target.tokens['admin']!;
  // Heap figures are after a collection: what the server retains, not garbage.
  const collect = collector();
  collect?.();
  const heap0 = process.memoryUsage().heapUsed;
  let samples = 0;
  const sampleMemory = () => {
    if (collect && ++samples % 25 === 0) collect();
    const m = process.memoryUsage();
    figures.peakRssMb = Math.max(figures.peakRssMb, Math.round(m.rss / 1_048_576));
    figures.heapGrowthMb = Math.max(
      figures.heapGrowthMb,
      Math.round((m.heapUsed - heap0) / 1_048_576),
    );
  };
  const latencies: number[] = [];
  let probing = true;
  const probe = (async () => {
    while (probing) {
      const t0 = performance.now();
      await fetch(`${target.url}/v1/whoami`, {
        headers: { authorization: `Bearer ${target.tokens['viewer']}` },
      }).then((r) => r.text());
      latencies.push(performance.now() - t0);
      sampleMemory();
      await new Promise((r) => setTimeout(r, 20));
    }
  })();

  const count = (answer: Answer, operationId: string) => {
    figures.requests++;
    figures.byStatus[answer.status] = (figures.byStatus[answer.status] ?? 0) + 1;
    figures.byOperation[operationId] = (figures.byOperation[operationId] ?? 0) + 1;
    if (answer.code !== undefined)
      figures.byCode[answer.code] = (figures.byCode[answer.code] ?? 0) + 1;
  };

  /** Sends one request and checks it against every invariant; `counts` is what to compare. */
  const check = async (
    req: FuzzRequest,
    label: string,
    counts: () => Promise<StoreCounts> = target.stored,
  ): Promise<Checked> => {
    const headers: Record<string, string> = {};
    const auth = authorization(req.auth, target.tokens);
    if (auth !== undefined) headers['authorization'] = auth;
    if (req.body !== undefined) headers['content-type'] = req.contentType ?? 'application/json';
    const ctrl = new AbortController();
    const before = WRITES.has(req.method) ? await counts() : undefined;
    const t0 = performance.now();
    const res = await fetch(target.url + req.path, {
      method: req.method,
      headers,
      ...(req.body !== undefined ? { body: req.body } : {}),
      signal: ctrl.signal,
    });
    const violations: string[] = [];
    let parsed: Record<string, unknown> | undefined;
    if (req.stream && res.status === 200) ctrl.abort();
    else {
      const text = await res.text();
      try {
        parsed = JSON.parse(text) as Record<string, unknown>;
      } catch {
        parsed = undefined;
      }
      violations.push(
        ...shapeViolations(label, res.status, res.headers.get('content-type') ?? '', text),
      );
    }
    const ms = Math.round(performance.now() - t0);
    if (figures.slowest.length < 5 || ms > figures.slowest[4]!.ms) {
      figures.slowest.push({ request: label.slice(0, 160), ms });
      figures.slowest.sort((a, b) => b.ms - a.ms).splice(5);
    }
    if (before !== undefined && res.status >= 400) {
      const changed = diff(before, await counts());
      if (changed) violations.push(`${label}: refused (${res.status}) yet stored: ${changed}`);
    }
    const code =
      res.status >= 400 && typeof parsed?.['code'] === 'string' ? parsed['code'] : undefined;
    return {
      answer: { status: res.status, ...(code !== undefined ? { code } : {}), body: parsed },
      violations,
    };
  };
  const send = async (
    req: FuzzRequest,
    label: string,
    counts?: () => Promise<StoreCounts>,
  ): Promise<Answer> => {
    const { answer, violations } = await check(req, label, counts);
    count(answer, req.operationId);
    figures.violations.push(...violations);
    return answer;
  };

  // Two streams under a token of their own, revoked at the end: both must end.
  const made = await fetch(`${target.url}/v1/tokens`, {
    method: 'POST',
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
    body: JSON.stringify({ subject: 'fuzz-watcher', role: 'viewer' }),
  }).then((r) => r.json() as Promise<{ token: string; tokenId: string }>);
  const firstRun = await target.waitingRun();
  const streams = [
    await openStream(`${target.url}/v1/runs/${firstRun}/timeline?follow=true`, made.token),
    await openStream(`${target.url}/v1/timeline`, made.token),
  ];

  let firstFailure: { seed: number; path: string; known: string[] } | undefined;
  const refusedWrites: FuzzRequest[] = [];
  try {
    // Generated in chunks (each with a seed derived from the run's and fresh ids), so the requests
    // in memory at once are few and the memory measured is the server's, not the generator's.
    // Request i of chunk c is what `fc.check` yields at path `i` with seed `chunkSeed(seed, c)`.
    for (let sent = 0, chunk = 0; sent < opts.runs; chunk++) {
      const n = Math.min(CHUNK, opts.runs - sent);
      const seed = chunkSeed(opts.seed, chunk);
      const known = await target.ids();
      const batch = fc.sample(apiRequests(known), { seed, numRuns: n });
      for (const [i, req] of batch.entries()) {
        const label = `#${sent} ${req.method} ${req.path.slice(0, 120)} (${req.auth})`;
        const { answer, violations } = await check(req, label);
        count(answer, req.operationId);
        if (violations.length > 0) {
          figures.violations.push(...violations);
          firstFailure ??= { seed, path: String(i), known };
        }
        if (
          WRITES.has(req.method) &&
          answer.status >= 400 &&
          refusedWrites.length < IDLE_REPLAYS &&
          (sent % 3 === 0 || answer.status !== 401)
        ) {
          refusedWrites.push(req);
        }
        if (sent % 100 === 0) opts.onProgress?.(sent);
        sent++;
      }
    }

    // Hostile definitions that start a run: it must fail with its code, or complete unharmed.
    const runs = HOSTILE_CASES.filter((c) => !('refused' in (c.server ?? c.expect)));
    for (const c of runs) await sendCase(c, send, target, figures);

    // Once the engine is idle, nothing but requests changes the store: each refused request
    // from here on is checked against every count, events and content objects included.
    await idle(target, figures);
    const all = target.storedAll;
    const idleSend = async (req: FuzzRequest, label: string) => {
      figures.idleChecked++;
      const answer = await send(req, label, all);
      if (answer.status < 400) await idle(target, figures);
      return answer;
    };
    for (const c of HOSTILE_CASES.filter((x) => 'refused' in (x.server ?? x.expect))) {
      await sendCase(c, idleSend, target, figures);
    }
    const waitingRunId = await target.waitingRun();
    await idle(target, figures);
    figures.patchTarget = waitingRunId;
    const patchBodies = [
      ...MALFORMED_PATCHES.map((ops) => JSON.stringify({ target: waitingRunId, ops })),
      ...MALFORMED_PATCH_BODIES(waitingRunId),
    ];
    for (const body of patchBodies) {
      const label = `malformed patch: ${body.slice(0, 100)}`;
      const r = await idleSend(
        {
          operationId: 'proposePatch',
          method: 'POST',
          path: '/v1/patches',
          auth: 'operator',
          body,
          stream: false,
        },
        label,
      );
      if (r.status !== 400) figures.violations.push(`${label}: ${r.status}, not 400`);
      // A dry run answers with what would become of it: refused as bad input, or rejected.
      const c = await idleSend(
        {
          operationId: 'checkPatch',
          method: 'POST',
          path: '/v1/patches/check',
          auth: 'operator',
          body,
          stream: false,
        },
        `check of a ${label}`,
      );
      const verdict = c.body as { status?: unknown; violations?: unknown[] } | undefined;
      if (
        c.status !== 400 &&
        !(c.status === 200 && verdict?.status === 'rejected' && verdict.violations?.length)
      ) {
        figures.violations.push(`check of a ${label}: ${c.status} ${JSON.stringify(verdict)}`);
      }
    }
    for (const raw of rawRequests(admin)) {
      figures.idleChecked++;
      const before = await all();
      const label = `raw: ${raw.name}`;
      const answer = await sendRaw(target.url, raw.text);
      if (!answer) {
        figures.violations.push(`${label}: no HTTP answer within 5 s`);
        continue;
      }
      let code: string | undefined;
      try {
        const c = (JSON.parse(answer.body) as { code?: unknown }).code;
        code = typeof c === 'string' ? c : undefined;
      } catch {
        code = undefined;
      }
      count({ status: answer.status, ...(code ? { code } : {}) }, 'raw');
      figures.violations.push(...shapeViolations(label, answer.status, answer.type, answer.body));
      const changed = diff(before, await all());
      if (answer.status >= 400 && changed)
        figures.violations.push(`${label}: refused yet stored: ${changed}`);
    }
    for (const [i, req] of refusedWrites.entries()) {
      await idleSend(req, `again #${i} ${req.method} ${req.path.slice(0, 120)} (${req.auth})`);
    }

    // Revoking the streams' token ends them, with TOKEN_REVOKED, within a few seconds.
    const revoked = await fetch(`${target.url}/v1/tokens/${made.tokenId}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${admin}` },
    });
    if (revoked.status >= 300) figures.violations.push(`revoking a token: ${revoked.status}`);
    const outcome = await Promise.race([
      Promise.all(streams.map((s) => s.ended)).then(() => 'ended'),
      new Promise((r) => setTimeout(() => r('open'), 6_000)),
    ]);
    if (outcome !== 'ended') {
      figures.violations.push('streams still open 6 s after their token was revoked');
    } else {
      for (const [i, s] of streams.entries()) {
        if (!s.tail().includes('TOKEN_REVOKED'))
          figures.violations.push(
            `stream ${i} ended without TOKEN_REVOKED: …${s.tail().slice(-200)}`,
          );
      }
    }
  } finally {
    for (const s of streams) s.abort();
    probing = false;
    await probe;
  }
  latencies.sort((a, b) => a - b);
  figures.whoami = {
    count: latencies.length,
    p50: Math.round(percentile(latencies, 50) * 10) / 10,
    p99: Math.round(percentile(latencies, 99) * 10) / 10,
    max: Math.round((latencies[latencies.length - 1] ?? 0) * 10) / 10,
  };

  // The first generated request that broke an invariant, replayed and shrunk by fast-check.
  if (firstFailure) {
    const result = await fc.check(
      fc.asyncProperty(apiRequests(firstFailure.known), async (req) => {
        const { violations } = await check(req, `${req.method} ${req.path.slice(0, 120)}`);
        return violations.length === 0;
      }),
      {
        seed: firstFailure.seed,
        path: firstFailure.path,
        numRuns: 1,
        interruptAfterTimeLimit: opts.shrinkMs ?? 30_000,
      },
    );
    const request = result.counterexample?.[0];
    if (request) {
      figures.shrunk = {
        seed: firstFailure.seed,
        path: result.counterexamplePath ?? firstFailure.path,
        known: firstFailure.known,
        request,
        violations: (await check(request, 'shrunk')).violations,
      };
    }
  }
  return figures;
}

/** V8's gc(): the global one under --expose-gc, else the flag set now (vitest passes none). */
function collector(): (() => void) | undefined {
  const global = (globalThis as { gc?: () => void }).gc;
  if (global) return global;
  try {
    v8.setFlagsFromString('--expose-gc');
    return vm.runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
}

/** Waits until what running runs change has stood still for a second (at most 30 s). */
async function idle(target: FuzzTarget, figures: FuzzFigures): Promise<void> {
  const deadline = Date.now() + 30_000;
  let last = JSON.stringify(await target.storedAll());
  let still = 0;
  while (still < 4) {
    if (Date.now() > deadline) {
      figures.violations.push(`the engine did not come to rest within 30 s: ${last}`);
      return;
    }
    await new Promise((r) => setTimeout(r, 250));
    const now = JSON.stringify(await target.storedAll());
    still = now === last ? still + 1 : 0;
    last = now;
  }
}

const meets = (e: Expectation, a: Answer) =>
  'refused' in e ? codesOf(a.body).includes(e.refused) : false;

/** A hostile definition through POST /v1/runs: refused with its code, or run to its end. */
async function sendCase(
  c: HostileCase,
  send: (r: FuzzRequest, label: string) => Promise<Answer>,
  target: FuzzTarget,
  figures: FuzzFigures,
): Promise<void> {
  const expected = c.server ?? c.expect;
  const label = `hostile: ${c.name} (${describeExpectation(expected)})`;
  const protoBefore = Object.getOwnPropertyNames(Object.prototype).join();
  const r = await send(
    {
      operationId: 'startRun',
      method: 'POST',
      path: '/v1/runs',
      auth: 'operator',
      body: startBody(c),
      stream: false,
    },
    label,
  );
  if ('refused' in expected) {
    if (r.status < 400 || r.status >= 500 || !meets(expected, r))
      figures.violations.push(`${label}: ${r.status} ${codesOf(r.body).join(' ')}`);
    return;
  }
  if (r.status !== 201 && r.status !== 202) {
    figures.violations.push(`${label}: ${r.status} ${codesOf(r.body).join(' ')}, no run started`);
    return;
  }
  // The run must end within seconds: failed with the expected code, or completed.
  const runId = String(r.body?.['runId']);
  const view = await fetch(`${target.url}/v1/runs/${runId}/wait?timeoutMs=20000`, {
    headers: { authorization: `Bearer ${target.tokens['operator']}` },
  }).then((x) => x.json() as Promise<{ status: string; error?: { code: string } }>);
  const ended = `${view.status} ${view.error?.code ?? ''}`.trim();
  if ('failsWith' in expected) {
    if (view.status !== 'failed' || view.error?.code !== expected.failsWith)
      figures.violations.push(`${label}: run ended ${ended}`);
  } else if (view.status !== 'completed') {
    figures.violations.push(`${label}: run ended ${ended}`);
  }
  const polluted = ({} as Record<string, unknown>)['polluted'];
  if (polluted !== undefined || Object.getOwnPropertyNames(Object.prototype).join() !== protoBefore)
    figures.violations.push(`${label}: Object.prototype changed`);
}
