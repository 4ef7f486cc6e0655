// The canvas in real Chromium against the `api` service on the cluster topology: PostgreSQL (the
// event log, a database of this test's own on 127.0.0.1:5432 or $DATABASE_URL), Kafka
// ($KAFKA_BROKERS, else a private broker), an S3 server ($S3_ENDPOINT, else a private s3proxy),
// and the api, orchestrator and runner as separate `aob server` processes. The api prints no
// sign-in URL: a person pastes a token (minted through the API, as an admin would) on the login
// page. A run is listed; its nodes change status live; the approval gate is approved from one
// browser, a second browser on the same run sees the decision within a second, and the run goes
// on to the end; a patch an agent proposed through the API shows on /patches/:patchId with its
// diff and is approved in the browser. Screenshots go to test-artifacts/canvas-cluster.
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import type { Browser, Page } from 'playwright-core';
import { AobHttpClient } from '@aob/client';
import { start as startKafka } from '../../scripts/services/kafka.service.js';
import { start as startS3 } from '../../scripts/services/s3.service.js';
import type { StartedService } from '../../scripts/services/global-setup.js';
import {
  accessibilityProblems,
  approvalWorkflow,
  approveAuditPatch,
  heldAuditPatch,
  launchChromium,
  screenshots,
  settledRun,
} from './browser.js';
import { ServiceProcess, freePorts } from './cluster-harness.js';
import { aob, example, json } from './helpers.js';

const shot = screenshots('canvas-cluster');
const ADMIN_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const tag = `canvas${randomBytes(4).toString('hex')}`;
const database = `aob_${tag}`;

let dir: string;
let kafka: StartedService | undefined;
let s3: StartedService | undefined;
let databaseCreated = false;
const services: ServiceProcess[] = [];
let url: string;
let admin: AobHttpClient;
/** Subject `managers`: the example's approval names it, so this person may decide. */
let managerToken: string;
let browser: Browser;

async function sql(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect().catch((err: Error) => {
    throw new Error(`PostgreSQL is not reachable at ${ADMIN_URL}: ${err.message}`);
  });
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'aob-canvas-cluster-'));
  browser = await launchChromium();
  await sql(`CREATE DATABASE ${database}`);
  databaseCreated = true;
  const dbUrl = new URL(ADMIN_URL);
  dbUrl.pathname = `/${database}`;
  // Both are stopped afterwards even when the other one could not start.
  const [k, s] = await Promise.allSettled([startKafka(), startS3()]);
  if (k.status === 'fulfilled') kafka = k.value;
  if (s.status === 'fulfilled') s3 = s.value;
  if (!kafka || !s3) throw k.status === 'rejected' ? k.reason : (s as PromiseRejectedResult).reason;
  const [apiPort, grpcPort] = await freePorts(2);
  url = `http://127.0.0.1:${apiPort}`;
  const env = {
    AOB_BUS: 'kafka',
    AOB_KAFKA_BROKERS: kafka.env.KAFKA_BROKERS!,
    AOB_KAFKA_PREFIX: `${tag}.`,
    AOB_DATABASE_URL: dbUrl.toString(),
    AOB_S3_ENDPOINT: s3.env.S3_ENDPOINT!,
    AOB_S3_BUCKET: s3.env.S3_BUCKET!,
    AOB_S3_REGION: s3.env.S3_REGION!,
    AOB_S3_PREFIX: `${tag}/`,
    AWS_ACCESS_KEY_ID: s3.env.S3_ACCESS_KEY!,
    AWS_SECRET_ACCESS_KEY: s3.env.S3_SECRET_KEY!,
  };
  services.push(
    new ServiceProcess(
      'api',
      { ...env, AOB_API_PORT: String(apiPort), AOB_GRPC_PORT: String(grpcPort) },
      join(dir, 'api.log'),
    ),
    new ServiceProcess('orchestrator', env, join(dir, 'orchestrator.log')),
    new ServiceProcess(
      'runner',
      { ...env, AOB_HANDLERS: example('approval', 'handlers.mjs') },
      join(dir, 'runner.log'),
    ),
  );
  await Promise.all(services.map((s) => s.start()));

  // The api serves the built canvas at / (any app route answers its index.html).
  const page = await fetch(`${url}/runs`);
  const html = await page.text();
  expect(
    page.ok && html.includes('<div id="root">'),
    `the api service serves no canvas at ${url}/runs (is apps/canvas built? npm run build): ` +
      `${page.status} ${html.slice(0, 200)}`,
  ).toBe(true);

  // The first admin is made in PostgreSQL, as an operator bootstraps a cluster; the rest through
  // the API, as that admin would.
  const inStore = ['--database-url', dbUrl.toString(), '--json'];
  const root = await aob(['token', 'create', '--role', 'admin', '--subject', 'root', ...inStore], {
    NO_COLOR: '1',
  });
  expect(root.code, root.stderr).toBe(0);
  admin = new AobHttpClient({ baseUrl: url, token: json<{ token: string }>(root).token });
  managerToken = (await admin.createToken({ subject: 'managers', role: 'approver' })).token;
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await Promise.all(services.map((s) => s.close()));
  await Promise.all([kafka?.stop(), s3?.stop()]);
  if (databaseCreated) await sql(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 120_000);

/** Opens `path` on the api's origin, meets the login page, and pastes the token there. */
async function signIn(page: Page, path: string, token: string): Promise<void> {
  await page.goto(`${url}${path}`);
  await page.getByLabel('Token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'main' }).waitFor();
}

/**
 * From now on the page notes every status each graph node shows, with the time (Date.now()) it
 * showed it: a change that arrives live is seen without a reload, and when. It also notes when a
 * button is clicked (the moment a person decides, without the test driver's own overhead).
 */
const RECORD_STATUSES = `(() => {
  const seen = [];
  const clicks = [];
  document.addEventListener(
    'click',
    (e) => {
      const button = e.target instanceof Element ? e.target.closest('button') : null;
      if (button) clicks.push({ button: button.textContent.trim(), at: Date.now() });
    },
    true,
  );
  const note = (el) => {
    const node = el.getAttribute('data-node-id');
    const status = el.getAttribute('data-status');
    if (!node || !status) return;
    const last = seen.filter((s) => s.node === node).at(-1);
    if (last?.status !== status) seen.push({ node, status, at: Date.now() });
  };
  document.querySelectorAll('[data-node-id]').forEach(note);
  new MutationObserver((records) => {
    for (const r of records) {
      if (r.type === 'attributes') note(r.target);
      for (const added of r.addedNodes) {
        if (!(added instanceof Element)) continue;
        if (added.matches('[data-node-id]')) note(added);
        added.querySelectorAll('[data-node-id]').forEach(note);
      }
    }
  }).observe(document.body, {
    subtree: true,
    childList: true,
    attributes: true,
    attributeFilter: ['data-status'],
  });
  globalThis.__statuses = seen;
  globalThis.__clicks = clicks;
})()`;

interface Seen {
  node: string;
  status: string;
  at: number;
}
const statusesSeen = (page: Page, node: string) =>
  page.evaluate(
    (n) => (globalThis as unknown as { __statuses: Seen[] }).__statuses.filter((s) => s.node === n),
    node,
  );

/** When (Date.now() in the page) the page's button of that name was first clicked. */
const clickedAt = (page: Page, button: string) =>
  page.evaluate(
    (b) =>
      (globalThis as unknown as { __clicks: { button: string; at: number }[] }).__clicks.find(
        (c) => c.button === b,
      )?.at,
    button,
  );

describe('the canvas on the api service (PostgreSQL + Kafka + S3, services as processes)', () => {
  it('serves the built app beside the API: app routes answer index.html, hashed assets are cached for good, the API keeps its own 404', async () => {
    const index = await fetch(`${url}/patches/pch_anything`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toMatch(/^text\/html/);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const script = /<script[^>]+src="(\/assets\/[^"]+\.js)"/.exec(await index.text())?.[1];
    expect(script, 'index.html loads a hashed script from /assets/').toBeDefined();
    const asset = await fetch(`${url}${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect((await fetch(`${url}/assets/missing-0000.js`)).status).toBe(404);
    const api = await fetch(`${url}/v1/no-such-route`);
    expect(api.status).toBe(404);
    expect(api.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  it('signs in with a pasted token, lists a run, and an approval in one browser reaches a second within a second as the run goes on', async () => {
    const { runId } = await admin.startRun({
      definition: approvalWorkflow(),
      inputs: { amount: 120 },
    });
    expect((await settledRun(admin, runId)).status).toBe('waiting');

    const first = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await first.goto(`${url}/runs`);
    await first.getByLabel('Token').waitFor();
    await shot(first, 'login');
    expect(await accessibilityProblems(first)).toEqual([]);
    await signIn(first, '/runs', managerToken);
    expect(await first.getByRole('navigation', { name: 'main' }).textContent()).toContain(
      'managers · approver',
    );
    const row = first.locator(`tr[data-run-id="${runId}"]`);
    await row.waitFor();
    expect(await row.getAttribute('data-status')).toBe('waiting');
    await shot(first, 'runs');
    expect(await accessibilityProblems(first)).toEqual([]);

    await first.getByRole('link', { name: runId }).click();
    await first.waitForURL(new RegExp(`/runs/${runId}$`));
    await first.locator('[data-node-id="approve"][data-status="waiting"]').waitFor();
    expect(await first.locator('[data-node-id="check"]').getAttribute('data-status')).toBe(
      'succeeded',
    );
    expect(await first.locator('[data-node-id="pay"]').getAttribute('data-status')).toBe('pending');
    await first.evaluate(RECORD_STATUSES);
    await shot(first, 'run-waiting');
    expect(await accessibilityProblems(first)).toEqual([]);

    // A second browser (its own context: its own session) signs in on the same run.
    const secondContext = await browser.newContext({ viewport: { width: 1200, height: 800 } });
    const second = await secondContext.newPage();
    await signIn(second, `/runs/${runId}`, managerToken);
    await second.locator('[data-node-id="approve"][data-status="waiting"]').waitFor();
    await second.evaluate(RECORD_STATUSES);

    await first.getByRole('button', { name: 'Approve', exact: true }).click();
    await second
      .locator('[data-node-id="approve"][data-status="succeeded"]')
      .waitFor({ timeout: 5_000 });
    const seen = (await statusesSeen(second, 'approve')).find((s) => s.status === 'succeeded')!;
    // From the person's click in the first browser to the decision shown in the second (one
    // machine, one clock).
    const seenAfterMs = seen.at - (await clickedAt(first, 'Approve'))!;
    process.stdout.write(
      `[canvas-cluster] the second browser saw the decision after ${seenAfterMs} ms\n`,
    );
    expect(seenAfterMs).toBeLessThanOrEqual(1_000);

    // The run goes on to the end, in both browsers, without a reload.
    for (const page of [first, second]) {
      await expect
        .poll(() => page.locator('[data-run-status]').getAttribute('data-run-status'), {
          timeout: 15_000,
        })
        .toBe('completed');
      await page.locator('[data-node-id="pay"][data-status="succeeded"]').waitFor();
    }
    // Live: the first page showed each change as it came, from the gate waiting to pay done.
    expect((await statusesSeen(first, 'approve')).map((s) => s.status)).toEqual([
      'waiting',
      'succeeded',
    ]);
    const pay = (await statusesSeen(first, 'pay')).map((s) => s.status);
    expect(pay[0]).toBe('pending');
    expect(pay.at(-1)).toBe('succeeded');
    expect(await first.locator('[data-node-id="notifyRejected"]').getAttribute('data-status')).toBe(
      'skipped',
    );
    await shot(first, 'run-completed');
    await shot(second, 'run-completed-second-browser');
    expect(await accessibilityProblems(first)).toEqual([]);

    const run = await admin.getRun(runId);
    expect(run.status).toBe('completed');
    expect(run.output).toMatchObject({
      decision: 'approved',
      paid: { paid: true, decidedBy: 'managers' },
    });
    await secondContext.close();
    await first.close();
  }, 90_000);

  it('shows a patch an agent proposed through the API as a diff, and a person approves it in the browser', async () => {
    const { runId, patch: proposed } = await heldAuditPatch(admin, url);
    expect(proposed.status).toBe('held');

    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await signIn(page, `/patches/${proposed.patchId}`, managerToken);
    // The patch as the agent left it: held, by planner.
    await page.locator('[data-patch-status="held"]').waitFor();
    expect(await page.textContent('body')).toContain('planner');
    await approveAuditPatch(
      page,
      shot,
      new AobHttpClient({ baseUrl: url, token: managerToken }),
      runId,
    );
    expect((await admin.getPatch(proposed.patchId)).patch.status).toBe('applied');
    await page.close();
  }, 60_000);
});
