// `aob trace <runId>`: a run's waterfall from its event log alone (no collector), locally and
// against `aob dev`, and the same rows in the canvas's Waterfall tab beside the run's graph, live
// as the run goes on, keyboard reachable, a row selecting its node. Screenshots go to
// test-artifacts/trace ($AOB_ARTIFACTS/trace if set).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { AobHttpClient } from '@aob/client';
import type { Waterfall, WaterfallRow } from '@aob/client';
import { accessibilityProblems, launchChromium, screenshots } from './browser.js';
import type { Dev } from './helpers.js';
import { aob, example, json, startDev, tempHome } from './helpers.js';

type TraceJson = Waterfall & { traceId: string | null; traceUrl?: string };

const shot = screenshots('trace');

let home: string;
let cleanup: () => void;
let handlers: string;

beforeAll(() => {
  ({ home, cleanup } = tempHome());
  handlers = join(home, 'handlers.mjs');
  writeFileSync(
    handlers,
    ['approval', 'retry', 'subworkflow']
      .map((e) => `export * from ${JSON.stringify(example(e, 'handlers.mjs'))};`)
      .join('\n'),
  );
});

afterAll(() => cleanup?.());

const rowsOf = (t: TraceJson) => t.rows.map((r) => `${'  '.repeat(r.depth)}${r.label} ${r.status}`);
const row = (t: TraceJson, label: string): WaterfallRow => {
  const r = t.rows.find((x) => x.label === label);
  if (!r) throw new Error(`no row ${label} in\n${rowsOf(t).join('\n')}`);
  return r;
};

/** The W3C trace id the run's RunStarted recorded, read from its log; null when none was. */
async function recordedTraceId(runId: string, env: Record<string, string>): Promise<string | null> {
  const r = await aob(['logs', 'stream', runId, '--no-follow', '--json'], env);
  expect(r.code, r.stderr).toBe(0);
  const started = JSON.parse(r.stdout.split('\n')[0]!) as { type: string; traceparent?: string };
  expect(started.type).toBe('RunStarted');
  return started.traceparent?.split('-')[1] ?? null;
}

describe('aob trace, locally', () => {
  let env: Record<string, string>;
  beforeAll(() => {
    env = { AOB_HOME: join(home, 'local') };
  });

  it('shows each attempt of the retry example, its backoffs, and the trace id or that none was recorded', async () => {
    const started = await aob(
      ['run', 'start', example('retry/workflow.json'), '--handlers', handlers, '--json'],
      env,
    );
    expect(started.code, started.stderr).toBe(0);
    const runId = json<{ runId: string }>(started).runId;

    const r = await aob(['trace', runId, '--json'], env);
    expect(r.code, r.stderr).toBe(0);
    const t = json<TraceJson>(r);
    expect(t.runId).toBe(runId);
    expect(t.status).toBe('completed');
    expect(rowsOf(t)).toEqual([
      'run flaky@1 completed',
      '  flaky #1 failed',
      '  flaky backoff before #2 succeeded',
      '  flaky #2 failed',
      '  flaky backoff before #3 succeeded',
      '  flaky #3 succeeded',
      '  after #1 succeeded',
    ]);
    expect(row(t, 'flaky #1')).toMatchObject({
      kind: 'attempt',
      nodeId: 'flaky',
      attempt: 1,
      errorCode: 'FLAKY',
      outcome: 'will retry',
      open: false,
    });
    // The backoffs (50 ms, then 100 ms, by the example's policy) lie between the attempts.
    const b2 = row(t, 'flaky backoff before #2');
    const a2 = row(t, 'flaky #2');
    expect(b2.durationMs).toBeGreaterThanOrEqual(40);
    expect(a2.startMs).toBeGreaterThanOrEqual(b2.startMs + b2.durationMs);
    expect(t.durationMs).toBeGreaterThanOrEqual(
      row(t, 'after #1').startMs + row(t, 'after #1').durationMs,
    );
    const traceId = await recordedTraceId(runId, env);
    expect(t.traceId).toBe(traceId);

    // The text: a header, then a line per row with a bar scaled to the run (20 cells here).
    const text = await aob(['trace', runId, '--width', '20'], {
      ...env,
      AOB_TRACE_UI: 'http://localhost:16686/trace/{traceId}',
    });
    expect(text.code, text.stderr).toBe(0);
    const lines = text.stdout.split('\n');
    expect(lines[0]).toMatch(new RegExp(`^run: +${runId} flaky@1 completed in \\d`));
    if (traceId) {
      expect(lines[1]).toBe(`trace:  ${traceId}`);
      expect(lines[2]).toBe(`open:   http://localhost:16686/trace/${traceId}`);
    } else {
      expect(lines[1]).toContain('no trace recorded');
    }
    const runLine = lines.find((l) => l.startsWith('run flaky@1'))!;
    expect(runLine).toContain('█'.repeat(20));
    expect(runLine).toMatch(/\+0\.000s +\S+ +completed$/);
    expect(lines.find((l) => l.startsWith('  flaky #1'))).toMatch(
      /failed \(will retry\) {2}FLAKY: flaky failure on attempt 1$/,
    );
    expect(lines.find((l) => l.startsWith('  flaky backoff before #3'))).toMatch(/ fired$/);
    // Not a terminal (and NO_COLOR): no colour codes.
    expect(text.stdout).not.toContain('\u001b[');
  });

  it('nests a child run’s own rows under its subworkflow node', async () => {
    expect(
      (await aob(['workflow', 'register', example('subworkflow/child.json'), '--json'], env)).code,
    ).toBe(0);
    const started = await aob(
      [
        'run',
        'start',
        example('subworkflow/workflow.json'),
        '--inputs',
        example('subworkflow/inputs.json'),
        '--handlers',
        handlers,
        '--json',
      ],
      env,
    );
    expect(started.code, started.stderr).toBe(0);
    const t = json<TraceJson>(
      await aob(['trace', json<{ runId: string }>(started).runId, '--json'], env),
    );
    const child = t.rows.find((r) => r.kind === 'child')!;
    expect(rowsOf(t)).toEqual([
      'run welcome@1 completed',
      '  greet #1 succeeded',
      `    ${child.label} completed`,
      '      hello #1 succeeded',
      '  decorate #1 succeeded',
    ]);
    expect(child.label).toMatch(/^child run \S+ \(greet@1\)$/);
    expect(row(t, 'hello #1')).toMatchObject({ selectNode: 'greet', parentId: child.id });
    expect(t.children).toEqual([expect.objectContaining({ nodeId: 'greet', read: true })]);
  });

  it('refuses an unknown run: RUN_NOT_FOUND, exit 2', async () => {
    const r = await aob(['trace', 'run_nope', '--json'], env);
    expect(r.code).toBe(2);
    expect(json<{ error: { code: string } }>(r).error.code).toBe('RUN_NOT_FOUND');
    const text = await aob(['trace', 'run_nope'], env);
    expect(text.code).toBe(2);
    expect(text.stderr).toContain('no run run_nope');
  });
});

describe('aob trace against aob dev, and the canvas’s waterfall', () => {
  let dev: Dev;
  let server: Record<string, string>;
  let api: AobHttpClient;
  let browser: Browser;

  beforeAll(async () => {
    // The approval example's gate names `managers`: the dev token speaks for that person.
    dev = await startDev({
      AOB_HOME: join(home, 'dev'),
      AOB_HANDLERS: handlers,
      USER: 'managers',
    });
    server = { AOB_HOME: join(home, 'unused'), AOB_SERVER: dev.url, AOB_TOKEN: dev.token };
    api = new AobHttpClient({ baseUrl: dev.url, token: dev.token });
    browser = await launchChromium();
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await dev?.stop();
  });

  it('draws a waiting approval, then the run finishing, in the terminal and live in the browser', async () => {
    const started = await aob(
      [
        'run',
        'start',
        example('approval/workflow.json'),
        '--inputs',
        example('approval/inputs.json'),
        '--detach',
        '--json',
      ],
      server,
    );
    expect(started.code, started.stderr).toBe(4);
    const runId = json<{ runId: string }>(started).runId;

    // The terminal, against the server: the gate's wait is open, measured to now.
    const waiting = json<TraceJson>(await aob(['trace', runId, '--json'], server));
    expect(waiting.status).toBe('waiting');
    expect(rowsOf(waiting)).toEqual([
      'run expense-approval@1 waiting',
      '  check #1 succeeded',
      '  approve #1 waiting',
      `    ${waiting.rows[3]!.label} waiting`,
    ]);
    expect(waiting.rows[3]).toMatchObject({ kind: 'approval', open: true, detail: 'for managers' });
    expect(waiting.traceId).toBe(await recordedTraceId(runId, server));
    const text = await aob(['trace', runId], server);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/run: +\S+ expense-approval@1 waiting .* so far/);
    expect(text.stdout).toMatch(/ {4}approval \S+ .*\+ +waiting {2}for managers/);

    // The canvas: the Waterfall tab beside the graph, reached by the keyboard.
    const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
    await page.goto(`${dev.url}/runs/${runId}#token=${dev.token}`);
    await page.locator('[data-node-id="approve"]').waitFor();
    await page.getByRole('tab', { name: 'Graph' }).focus();
    await page.keyboard.press('ArrowRight');
    expect(await page.getByRole('tab', { name: 'Waterfall' }).getAttribute('aria-selected')).toBe(
      'true',
    );
    const wf = page.locator('section[aria-label="waterfall"]');
    await wf.locator('[data-row-kind="approval"][data-status="waiting"]').waitFor();
    expect(await wf.locator('button.waterfall-row').count()).toBe(4);
    expect(await wf.locator('header').textContent()).toContain(
      waiting.traceId ? waiting.traceId : 'No trace recorded',
    );
    await shot(page, 'waterfall-waiting');
    expect(await accessibilityProblems(page)).toEqual([]);

    // Decided elsewhere: the rows follow the run's feed, without a reload.
    const [ticket] = (await api.listApprovals({ status: 'open' })).items.filter(
      (a) => a.runId === runId,
    );
    await api.decideApproval(ticket!.ticketId, { decision: 'approved', reason: 'fine' });
    await wf
      .locator('[data-row-kind="attempt"][data-node="pay"][data-status="succeeded"]')
      .waitFor();
    await wf.locator('[data-row-kind="run"][data-status="completed"]').waitFor();
    expect(await wf.locator('[data-row-kind="approval"]').getAttribute('data-status')).toBe(
      'succeeded',
    );
    expect(await wf.locator('[data-row-kind="approval"]').getAttribute('aria-label')).toContain(
      'approved by managers: fine',
    );
    expect(await wf.locator('[data-row-kind="approval"] .waterfall-status').textContent()).toBe(
      '✓ approved',
    );

    // Keyboard: one tab stop for the rows, arrows move, Enter selects the row's node.
    await wf.locator('button.waterfall-row').first().focus();
    const labels = await wf.locator('button.waterfall-row .waterfall-label').allTextContents();
    const pay = labels.indexOf('pay #1');
    expect(pay).toBeGreaterThan(0);
    for (let i = 0; i < pay; i++) await page.keyboard.press('ArrowDown');
    expect(await page.locator(':focus').getAttribute('data-node')).toBe('pay');
    await page.keyboard.press('Enter');
    await page.locator('[aria-label="node pay"]').waitFor();
    expect(await wf.locator('[data-node="pay"]').first().getAttribute('aria-pressed')).toBe('true');
    await shot(page, 'waterfall-done-pay-selected');
    expect(await accessibilityProblems(page)).toEqual([]);

    // A click selects too; the terminal agrees with the page.
    await wf.locator('[data-row-kind="attempt"][data-node="check"]').click();
    await page.locator('[aria-label="node check"]').waitFor();
    const done = json<TraceJson>(await aob(['trace', runId, '--json'], server));
    expect(done.status).toBe('completed');
    expect(done.rows.find((r) => r.kind === 'approval')).toMatchObject({
      status: 'succeeded',
      outcome: 'approved',
      detail: 'approved by managers: fine',
      open: false,
    });
    expect(done.rows.map((r) => r.label)).toEqual(labels);
    await page.close();
  }, 60_000);

  it('nests a child run’s rows in the browser too', async () => {
    const read = (f: string) => JSON.parse(readFileSync(example(f), 'utf8')) as unknown;
    await api.registerWorkflow(read('subworkflow/child.json'));
    const { runId } = await api.startRun({
      definition: read('subworkflow/workflow.json'),
      inputs: read('subworkflow/inputs.json'),
    });
    expect((await api.waitRun(runId, { timeoutMs: 20_000 })).status).toBe('completed');
    const page = await browser.newPage({ viewport: { width: 1300, height: 700 } });
    await page.goto(`${dev.url}/runs/${runId}#token=${dev.token}`);
    await page.getByRole('tab', { name: 'Waterfall' }).click();
    const wf = page.locator('section[aria-label="waterfall"]');
    await wf.locator('[data-row-kind="child"][data-status="completed"]').waitFor();
    // The child's node, read from the child's log, nested under it; it selects the parent's node.
    const hello = wf.locator('button.waterfall-row', { hasText: 'hello #1' });
    await hello.waitFor();
    expect(await hello.getAttribute('data-node')).toBe('greet');
    const labels = await wf.locator('button.waterfall-row .waterfall-label').allTextContents();
    expect(labels.indexOf('hello #1')).toBe(labels.findIndex((l) => l.startsWith('child run')) + 1);
    await shot(page, 'waterfall-child-run');
    const cli = json<TraceJson>(await aob(['trace', runId, '--json'], server));
    expect(cli.rows.map((r) => r.label)).toEqual(labels);
    await page.close();
  }, 60_000);
});
