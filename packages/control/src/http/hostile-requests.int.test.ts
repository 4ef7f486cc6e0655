// Requests a hostile or broken client sends: each gets problem+json with this API's code, nothing
// is stored from it, and the server goes on answering.
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiHarness } from './test-support.js';
import { gatedWorkflow, startApiHarness } from './test-support.js';

let api: ApiHarness;
let admin: string;

beforeAll(async () => {
  api = await startApiHarness();
  admin = await api.token('admin');
});
afterAll(() => api.close());

const isProblem = (r: { headers: Headers; body: { code?: unknown } }) => {
  expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(typeof r.body.code).toBe('string');
  expect(r.body.code).not.toMatch(/^FST_/);
};

/** Everything the store holds that a request could have added. */
async function stored() {
  const runs = await api.engine.store.listRuns({});
  const patches = await api.call('GET', '/v1/patches', { token: admin });
  return { runs: runs.length, patches: (patches.body.items as unknown[]).length };
}

describe('the URL', () => {
  it('an invalid percent-encoding is 400 BAD_URL', async () => {
    for (const path of ['/v1/runs/%ff%fe', '/v1/runs/%', '/v1/approvals/%zz/decision']) {
      const r = await api.call('GET', path, { token: admin });
      expect(r.status, path).toBe(400);
      isProblem(r);
      expect(r.body.code).toBe('BAD_URL');
    }
  });

  it('a 5,000-character id is 414 PARAM_TOO_LONG', async () => {
    const r = await api.call('GET', `/v1/runs/${'x'.repeat(5000)}`, { token: admin });
    expect(r.status).toBe(414);
    isProblem(r);
    expect(r.body.code).toBe('PARAM_TOO_LONG');
  });
});

describe('the body', () => {
  it('nested 10,000 deep is 400 TOO_DEEP, in a definition, a value or the inputs', async () => {
    const deep = '['.repeat(10_000) + ']'.repeat(10_000);
    const bodies = [
      ['/v1/runs', `{"definition":${deep}}`],
      ['/v1/workflows/validate', `{"definition":${deep}}`],
      ['/v1/runs', `{"workflow":"w","inputs":{"x":${deep}}}`],
    ] as const;
    const before = await stored();
    for (const [path, raw] of bodies) {
      const r = await api.call('POST', path, { token: admin, raw });
      expect(r.status, path).toBe(400);
      isProblem(r);
      expect(r.body.code).toBe('TOO_DEEP');
    }
    expect(await stored()).toEqual(before);
  });

  it('a number past the range of JSON (1e400) is 400 NOT_FINITE, and no run starts', async () => {
    const before = await stored();
    const def = { ...gatedWorkflow('inf'), nodes: [{ id: 't', type: 'timer', with: {} }] };
    const timer = JSON.stringify({ definition: def }).replace(
      '"with":{}',
      '"with":{"durationMs":1e400}',
    );
    for (const raw of [
      `{"definition":${JSON.stringify(gatedWorkflow())},"inputs":{"n":1e400}}`,
      timer,
    ]) {
      const r = await api.call('POST', '/v1/runs', { token: admin, raw });
      expect(r.status).toBe(400);
      isProblem(r);
      expect(r.body.code).toBe('NOT_FINITE');
    }
    expect(await stored()).toEqual(before);
  });

  it('a body far over the limit gets its 413 answer, not a reset connection', async () => {
    const url = new URL(api.url);
    const big = Buffer.alloc(5_000_000, 0x20);
    const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path: '/v1/runs',
          method: 'POST',
          headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      // The server may close its side once it has answered; the answer is what counts.
      req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
      req.end(big);
    });
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.text)).toMatchObject({ code: 'BODY_TOO_LARGE' });
  });
});

describe('patch documents', () => {
  it('a document that is no JSON-Patch is 400 naming every problem, and nothing is recorded', async () => {
    const operator = await api.token('operator');
    const started = await api.call('POST', '/v1/runs', {
      token: operator,
      body: { definition: gatedWorkflow('pd') },
    });
    const runId = started.body.runId as string;
    await api.call('GET', `/v1/runs/${runId}/wait?untilSettled=true&timeoutMs=5000`, {
      token: operator,
    });
    const before = await stored();
    const broken = [
      [{ path: '/nodes/0' }],
      [{ op: 'frobnicate', path: '/nodes/0' }],
      [{ op: 'add', path: '/nodes/-' }],
      [{ op: 'replace', path: 7, value: 1 }],
      [{ op: 'remove', path: 'nodes/0' }],
      [],
    ];
    for (const ops of broken) {
      const r = await api.call('POST', '/v1/patches', {
        token: operator,
        body: { target: runId, ops },
      });
      expect(r.status, JSON.stringify(ops)).toBe(400);
      isProblem(r);
      expect(r.body.errors.length).toBeGreaterThan(0);
    }
    const wf = await api.call('POST', '/v1/workflows', {
      token: operator,
      body: { definition: gatedWorkflow('pdw') },
    });
    expect(wf.status).toBe(201);
    const r = await api.call('POST', '/v1/patches', {
      token: operator,
      body: { target: 'pdw@1', ops: [{ op: 'add', path: '/nodes/-' }] },
    });
    expect(r.status).toBe(400);
    expect(await stored()).toEqual(before);
    const events = await api.call('GET', `/v1/runs/${runId}/events`, { token: operator });
    expect(JSON.stringify(events.body)).not.toContain('PatchProposed');
  });
});

describe('after all that', () => {
  it('still answers whoami', async () => {
    const r = await api.call('GET', '/v1/whoami', { token: admin });
    expect(r.status).toBe(200);
  });
});
