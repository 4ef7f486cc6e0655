// Sends generated requests and the hostile corpus to a server, one at a time, while a second
// loop asks `whoami` every 20 ms; checks the invariants every answer must keep and returns the
// figures. Invariants: no 5xx; every error is problem+json with a string code of this API (never
// the framework's FST_…); a refused request that would write leaves the store as it was; the
// server answers whoami quickly throughout.
import fc from 'fast-check';
import type { FuzzRequest } from './requests.js';
import { apiRequests } from './requests.js';
import type { HostileCase } from './corpus.js';
import { HOSTILE_CASES, MALFORMED_PATCHES, startBody } from './corpus.js';

export interface FuzzTarget {
  url: string;
  /** A token per role of AUTHS (viewer … agent). */
  tokens: Record<string, string>;
  /** Run, patch, workflow and token counts: what a request could have written. */
  stored: () => Promise<unknown>;
  /** Ids that exist on the server, so generated paths often reach real resources. */
  known: readonly string[];
  /** Starts a run that waits on a person (generated requests may end earlier ones). */
  waitingRun: () => Promise<string>;
}

export interface FuzzFigures {
  seed: number;
  requests: number;
  byStatus: Record<string, number>;
  byCode: Record<string, number>;
  whoami: { count: number; p50: number; p99: number; max: number };
  peakRssMb: number;
  heapGrowthMb: number;
  /** The run the malformed patch documents were sent to. */
  patchTarget?: string;
  /** Every broken invariant, described (empty when the server held). */
  violations: string[];
}

const CHUNK = 250;
const WRITES = new Set(['POST', 'DELETE', 'PUT', 'PATCH']);

interface Answer {
  status: number;
  code?: string;
  body?: Record<string, unknown>;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export async function runFuzz(
  target: FuzzTarget,
  opts: { seed: number; runs: number; onProgress?: (done: number) => void },
): Promise<FuzzFigures> {
  const figures: FuzzFigures = {
    seed: opts.seed,
    requests: 0,
    byStatus: {},
    byCode: {},
    whoami: { count: 0, p50: 0, p99: 0, max: 0 },
    peakRssMb: 0,
    heapGrowthMb: 0,
    violations: [],
  };
  // With --expose-gc, heap figures are after a collection: what is retained, not garbage.
  const collect = (globalThis as { gc?: () => void }).gc;
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

  const send = async (req: FuzzRequest, label: string): Promise<Answer> => {
    const headers: Record<string, string> = {};
    if (req.auth === 'bogus') headers['authorization'] = 'Bearer aob_not_a_token';
    else if (req.auth !== 'none') headers['authorization'] = `Bearer ${target.tokens[req.auth]}`;
    if (req.body !== undefined) headers['content-type'] = req.contentType ?? 'application/json';
    const ctrl = new AbortController();
    const before = WRITES.has(req.method) ? JSON.stringify(await target.stored()) : undefined;
    const res = await fetch(target.url + req.path, {
      method: req.method,
      headers,
      ...(req.body !== undefined ? { body: req.body } : {}),
      signal: ctrl.signal,
    });
    figures.requests++;
    figures.byStatus[res.status] = (figures.byStatus[res.status] ?? 0) + 1;
    let code: string | undefined;
    let parsed: Record<string, unknown> | undefined;
    if (req.stream && res.status === 200) ctrl.abort();
    else {
      const text = await res.text();
      try {
        parsed = JSON.parse(text) as Record<string, unknown>;
      } catch {
        parsed = undefined;
      }
      if (res.status >= 400) {
        const type = res.headers.get('content-type') ?? '';
        if (!type.startsWith('application/problem+json') || typeof parsed?.code !== 'string') {
          figures.violations.push(
            `${label}: ${res.status} is no problem+json: ${text.slice(0, 200)}`,
          );
        } else {
          code = parsed.code;
          figures.byCode[code] = (figures.byCode[code] ?? 0) + 1;
          if (code.startsWith('FST_')) figures.violations.push(`${label}: framework code ${code}`);
        }
      }
    }
    if (res.status >= 500) figures.violations.push(`${label}: answered ${res.status}`);
    if (before !== undefined && res.status >= 400) {
      const after = JSON.stringify(await target.stored());
      if (after !== before)
        figures.violations.push(
          `${label}: refused (${res.status}) yet stored: ${before} → ${after}`,
        );
    }
    return { status: res.status, ...(code !== undefined ? { code } : {}), body: parsed };
  };

  try {
    // Generated in chunks (each with a seed derived from the run's), so the requests in memory
    // at once are few and the memory measured is the server's, not the generator's.
    const arb = apiRequests(target.known);
    for (let sent = 0, chunk = 0; sent < opts.runs; chunk++) {
      const n = Math.min(CHUNK, opts.runs - sent);
      const samples = fc.sample(arb, { seed: opts.seed * 1_000 + chunk, numRuns: n });
      for (const req of samples) {
        await send(req, `#${sent} ${req.method} ${req.path.slice(0, 120)} (${req.auth})`);
        if (sent % 100 === 0) opts.onProgress?.(sent);
        sent++;
      }
    }
    for (const c of HOSTILE_CASES) await sendCase(c, send, target, figures);
    const waitingRunId = await target.waitingRun();
    figures.patchTarget = waitingRunId;
    for (const ops of MALFORMED_PATCHES) {
      const r = await send(
        {
          operationId: 'proposePatch',
          method: 'POST',
          path: '/v1/patches',
          auth: 'operator',
          body: JSON.stringify({ target: waitingRunId, ops }),
          stream: false,
        },
        `malformed patch ${JSON.stringify(ops)}`,
      );
      if (r.status !== 400)
        figures.violations.push(`malformed patch ${JSON.stringify(ops)}: ${r.status}, not 400`);
    }
  } finally {
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
  return figures;
}

/** A hostile definition through POST /v1/runs: refused with its code, or failed with it. */
async function sendCase(
  c: HostileCase,
  send: (r: FuzzRequest, label: string) => Promise<Answer>,
  target: FuzzTarget,
  figures: FuzzFigures,
): Promise<void> {
  const label = `hostile: ${c.name}`;
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
  const expected = c.server ?? c.expect;
  if ('refused' in expected) {
    if (r.status < 400 || r.status >= 500)
      figures.violations.push(`${label}: ${r.status}, not refused`);
    return;
  }
  if (r.status !== 201 && r.status !== 202) {
    figures.violations.push(`${label}: ${r.status} ${r.code ?? ''}, expected a started run`);
    return;
  }
  // The run must end, its node failed with the expected code, within seconds.
  const runId = String(r.body?.['runId']);
  const view = await fetch(`${target.url}/v1/runs/${runId}/wait?timeoutMs=20000`, {
    headers: { authorization: `Bearer ${target.tokens['operator']}` },
  }).then((x) => x.json() as Promise<{ status: string; error?: { code: string } }>);
  if (view.status !== 'failed' || view.error?.code !== expected.failsWith) {
    figures.violations.push(
      `${label}: run ended ${view.status} ${view.error?.code ?? ''}, expected failed ${expected.failsWith}`,
    );
  }
}
