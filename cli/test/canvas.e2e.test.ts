// The canvas in real Chromium (Debian's, driven by playwright-core) against `aob dev`: the printed
// URL signs the browser in; a run's nodes change status live; a person approves in one browser
// and a second browser on the same run sees it within a second; a bad token brings the login
// back with the reason. Screenshots go to test-artifacts/canvas ($AOB_ARTIFACTS/canvas if set).
import type { ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { AobHttpClient } from '@aob/client';
import {
  accessibilityProblems,
  approvalWorkflow,
  approveAuditPatch,
  heldAuditPatch,
  launchChromium,
  screenshots,
} from './browser.js';
import { example, start, startScriptedLlm, tempHome, untilFrom } from './helpers.js';
import type { Running } from './helpers.js';

const shot = screenshots('canvas');

let home: string;
let cleanup: () => void;
let dev: Running;
let url: string;
let canvasUrl: string;
let api: AobHttpClient;
let adminToken: string;
let handlers: string;
let browser: Browser;
let llm: ChildProcess;

beforeAll(async () => {
  ({ home, cleanup } = tempHome());
  // One handlers module for the examples these tests run.
  handlers = join(home, 'handlers.mjs');
  writeFileSync(
    handlers,
    ['approval', 'fanout', 'subworkflow']
      .map((e) => `export * from ${JSON.stringify(example(e, 'handlers.mjs'))};`)
      .join('\n'),
  );
  // The agent-patch example's agent talks to the scripted model.
  const model = await startScriptedLlm();
  llm = model.child;
  // The example's approval names `managers`: the browser's session speaks for that person.
  dev = start(['dev', '--port', '0', '--json', '--handlers', handlers], {
    AOB_HOME: home,
    USER: 'managers',
    AOB_LLM_BASE_URL: model.baseUrl,
    AOB_LLM_API_KEY: 'sk-e2e',
  });
  const printed = await untilFrom(
    dev,
    'aob dev to print its URLs',
    async () => {
      try {
        return JSON.parse(dev.printed().stdout) as {
          url: string;
          canvas?: string;
          token?: string;
        };
      } catch {
        return undefined;
      }
    },
    30_000,
  );
  expect(printed.canvas, 'aob dev prints the canvas URL (is the canvas built?)').toMatch(
    /\/runs#token=aob_/,
  );
  url = printed.url;
  canvasUrl = printed.canvas!;
  adminToken = printed.token!;
  api = new AobHttpClient({ baseUrl: url, token: adminToken });
  browser = await launchChromium();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  if (dev && dev.child.exitCode === null) {
    dev.child.kill('SIGINT');
    await dev.done;
  }
  llm?.kill('SIGTERM');
  cleanup?.();
});

// The editor and the agent panel come first: the last test of the next block restarts aob dev,
// which revokes the canvas sign-in URL these tests open.
describe('the workflow editor', () => {
  it('shows a CYCLE on the edge that closes it, undoes, saves a valid version and compares it', async () => {
    const def = approvalWorkflow();
    def.name = 'editor-e2e';
    await api.registerWorkflow(def);
    const page = await browser.newPage({ viewport: { width: 1500, height: 950 } });
    await page.goto(canvasUrl);
    await page.waitForURL(/\/runs$/);
    await page.getByRole('link', { name: 'Workflows' }).click();
    await page
      .locator('tr[data-workflow="editor-e2e@1"]')
      .getByRole('link', { name: 'Edit' })
      .click();
    await page.waitForURL(/\/workflows\/editor-e2e\/1\/edit$/);
    const problems = page.locator('[data-problem-count]');
    await expect.poll(() => problems.getAttribute('data-problem-count')).toBe('0');
    expect(await accessibilityProblems(page)).toEqual([]);

    // pay → check closes a cycle: the validator's CYCLE sits on that edge, and Save is refused.
    await page.locator('[data-node-id="pay"]').click();
    await page.getByLabel('Connect to').selectOption('check');
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await expect.poll(() => problems.getAttribute('data-problem-count')).toBe('1');
    const bad = page.locator('.react-flow__edge.has-problems');
    await expect.poll(() => bad.count()).toBe(1);
    expect(await bad.getAttribute('aria-label')).toMatch(/^edge pay → check: CYCLE: /);
    expect(await page.getByRole('button', { name: 'Save', exact: true }).isDisabled()).toBe(true);
    await shot(page, 'editor-cycle');

    // Undo (the keyboard, outside a field) takes the edge back; redo and the button agree.
    await page.locator('h1').click();
    await page.keyboard.press('Control+z');
    await expect.poll(() => problems.getAttribute('data-problem-count')).toBe('0');
    await page.keyboard.press('Control+Shift+z');
    await expect.poll(() => problems.getAttribute('data-problem-count')).toBe('1');
    await page.getByRole('button', { name: 'Undo', exact: true }).click();
    await expect.poll(() => problems.getAttribute('data-problem-count')).toBe('0');

    // A new node from the palette, after pay; a bad expression is caught as it is typed.
    await page.locator('[data-node-id="pay"]').click();
    await page.getByRole('button', { name: 'Add transform' }).click();
    await page.locator('[data-node-id="transform"]').waitFor();
    const value = page.locator('#node-with-value');
    await value.fill('{% nodes.pay.output & %}');
    await page.getByText(/Unexpected end of expression/).waitFor();
    await value.fill('{% nodes.pay.output %}');
    await value.blur();
    await expect.poll(() => problems.getAttribute('data-problem-count')).toBe('0');
    await shot(page, 'editor-added');
    expect(await accessibilityProblems(page)).toEqual([]);

    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.waitForURL(/\/workflows\/editor-e2e\/2\/edit$/);
    await page.getByText('Saved editor-e2e@2.').waitFor();
    const saved = await api.showWorkflow('editor-e2e@2');
    expect(saved.definition.nodes).toContainEqual({
      id: 'transform',
      type: 'transform',
      with: { value: '{% nodes.pay.output %}' },
    });
    expect(saved.definition.edges).toContainEqual({ from: 'pay', to: 'transform' });

    await page.getByRole('link', { name: 'Compare versions' }).click();
    await page.waitForURL(/\/workflows\/editor-e2e\/diff\/1\/2$/);
    await page.locator('[data-node-id="transform"][data-diff="added"]').waitFor();
    await shot(page, 'workflow-diff');
    expect(await accessibilityProblems(page)).toEqual([]);
    await page.close();
  });

  it('proposes its change to a live run and shows the verdict', async () => {
    const { runId } = await api.startRun({ workflow: 'editor-e2e@1', inputs: { amount: 7 } });
    await api.waitRun(runId, { untilSettled: true, timeoutMs: 20_000 });
    const page = await browser.newPage({ viewport: { width: 1500, height: 950 } });
    await page.goto(canvasUrl.replace('/runs#', '/workflows/editor-e2e/1/edit#'));
    await page.locator('[data-node-id="pay"]').click();
    await page.getByRole('button', { name: 'Add transform' }).click();
    await page.locator('[data-node-id="transform"]').waitFor();
    await page.getByRole('button', { name: 'Propose to run' }).click();
    await expect.poll(() => page.getByLabel('Run').inputValue()).toBe(runId);
    await page.getByLabel('Rationale').fill('a receipt after paying');
    await page.getByRole('button', { name: 'Send patch' }).click();
    const verdict = page.locator('.verdict[data-patch-status]');
    await verdict.waitFor();
    expect(await verdict.getAttribute('data-patch-status')).toBe('applied');
    await shot(page, 'editor-proposed');
    await verdict.getByRole('link').click();
    await page.locator('[data-node-id="transform"][data-diff="added"]').waitFor();
    const run = await api.getRun(runId);
    expect(Object.keys(run.nodes)).toContain('transform');
    await page.close();
  });
});

describe('an agent node’s panel', () => {
  it('shows its token usage, its transcript and the patch it proposed', async () => {
    const { runId } = await api.startRun({
      definition: JSON.parse(readFileSync(example('agent-patch/workflow.json'), 'utf8')),
      inputs: { topic: 'ducks' },
    });
    expect((await api.waitRun(runId, { timeoutMs: 30_000 })).status).toBe('completed');
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(`${url}/runs/${runId}#token=${adminToken}`);
    await page.locator('[data-node-id="planner"][data-status="succeeded"]').click();
    const panel = page.getByLabel('node planner');
    await panel.waitFor();
    // The scripted model reports 20 + 10 tokens a call.
    await expect.poll(() => panel.getByLabel('token usage').textContent()).toMatch(/in ·.*out/);
    const transcript = panel.getByLabel('transcript');
    await transcript.waitFor();
    expect(await transcript.textContent()).toContain('tool propose_patch');
    const proposed = panel.locator('.patch-list li');
    await expect.poll(() => proposed.count()).toBe(1);
    expect(await proposed.textContent()).toContain('applied');
    await shot(page, 'agent-panel');
    expect(await accessibilityProblems(page)).toEqual([]);
    await page.close();
  });
});

describe('the canvas on aob dev', () => {
  it('signs in from the printed URL, shows a run live, and an approval in one browser reaches another within a second', async () => {
    const { runId } = await api.startRun({
      definition: approvalWorkflow(),
      inputs: { amount: 120 },
    });
    await api.waitRun(runId, { untilSettled: true, timeoutMs: 20_000 });

    const first = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await first.goto(canvasUrl);
    // Signed in: the fragment is gone from the address bar, the run is listed.
    await first.waitForURL(/\/runs$/);
    expect(first.url()).not.toContain('token=');
    await first.locator(`tr[data-run-id="${runId}"]`).waitFor();
    await shot(first, 'runs');
    expect(await accessibilityProblems(first)).toEqual([]);

    await first.getByRole('link', { name: runId }).click();
    await first.waitForURL(new RegExp(`/runs/${runId}$`));
    const gate = first.locator('[data-node-id="approve"]');
    await expect.poll(() => gate.getAttribute('data-status'), { timeout: 10_000 }).toBe('waiting');
    await expect
      .poll(() => first.locator('[data-node-id="check"]').getAttribute('data-status'))
      .toBe('succeeded');
    // The graph can be walked with the keyboard: arrows follow edges, Enter opens a node.
    const focused = () =>
      first.evaluate(
        () =>
          (
            globalThis as unknown as {
              document: { activeElement: { getAttribute(n: string): string | null } | null };
            }
          ).document.activeElement?.getAttribute('data-node-id') ?? null,
      );
    // From a node, a key, to the node it should focus. Retried from the start: on a loaded CI
    // machine the page may still be drawing what it read when the first key lands.
    const walk = (from: string, key: string, to: string) =>
      expect
        .poll(async () => {
          await first.locator(`[data-node-id="${from}"]`).focus();
          await first.keyboard.press(key);
          return focused();
        })
        .toBe(to);
    await walk('check', 'ArrowRight', 'approve');
    await walk('approve', 'ArrowLeft', 'check');
    await first.keyboard.press('Enter');
    await first.getByLabel('node check').waitFor();
    expect(await first.getByLabel('input', { exact: true }).textContent()).toContain(
      '"amount": 120',
    );
    await shot(first, 'run-waiting');
    expect(await accessibilityProblems(first)).toEqual([]);

    // A second browser (its own session storage: signed in by the same URL) on the same run.
    const secondContext = await browser.newContext({ viewport: { width: 1200, height: 800 } });
    const second = await secondContext.newPage();
    await second.goto(canvasUrl.replace('/runs#', `/runs/${runId}#`));
    await second.locator('[data-node-id="approve"][data-status="waiting"]').waitFor();

    // Timed inside the browsers, on the machine's one clock: from the click's event in the first
    // to the DOM change in the second. What Playwright adds (an action's checks, a locator's polls
    // over CDP) is not what a person waits for, and on a loaded 2-core machine it is hundreds of ms.
    await second.evaluate(() => {
      const page = globalThis as unknown as {
        document: {
          body: object;
          querySelector(s: string): { getAttribute(n: string): string | null } | null;
        };
        MutationObserver: new (cb: (r: unknown, o: { disconnect(): void }) => void) => {
          observe(target: object, options: object): void;
        };
        aobSeenAt?: Promise<number>;
      };
      page.aobSeenAt = new Promise<number>((resolve) => {
        const seen = () =>
          page.document.querySelector('[data-node-id="approve"]')?.getAttribute('data-status') ===
            'succeeded' && (resolve(Date.now()), true);
        if (seen()) return;
        new page.MutationObserver((_, observer) => {
          if (seen()) observer.disconnect();
        }).observe(page.document.body, { subtree: true, attributes: true, childList: true });
      });
    });
    await first.evaluate(() => {
      const page = globalThis as unknown as {
        document: { addEventListener(t: string, l: () => void, o: object): void };
        aobClickedAt?: number;
      };
      page.document.addEventListener('click', () => (page.aobClickedAt ??= Date.now()), {
        capture: true,
      });
    });
    await first.getByRole('button', { name: 'Approve', exact: true }).click();
    const decidedAt = Date.now();
    await second
      .locator('[data-node-id="approve"][data-status="succeeded"]')
      .waitFor({ timeout: 5_000 });
    const seenByPlaywrightMs = Date.now() - decidedAt;
    const clickedAt = await first.evaluate(
      () => (globalThis as unknown as { aobClickedAt: number }).aobClickedAt,
    );
    const seenAt = await second.evaluate(
      () => (globalThis as unknown as { aobSeenAt: Promise<number> }).aobSeenAt,
    );
    const seenAfterMs = seenAt - clickedAt;
    process.stdout.write(
      `[canvas] the second browser saw the decision ${seenAfterMs} ms after the click ` +
        `(${seenByPlaywrightMs} ms as Playwright's polls saw it)\n`,
    );
    expect(seenAfterMs).toBeLessThan(1_000);
    await expect
      .poll(() => second.locator('[data-run-status]').getAttribute('data-run-status'), {
        timeout: 10_000,
      })
      .toBe('completed');
    await expect
      .poll(() => first.locator('[data-node-id="pay"]').getAttribute('data-status'))
      .toBe('succeeded');
    await shot(first, 'run-completed');
    await shot(second, 'run-completed-second-browser');
    await secondContext.close();
    await first.close();
  }, 60_000);

  it('lists open approvals and decides one from the inbox', async () => {
    const { runId } = await api.startRun({
      definition: approvalWorkflow(),
      inputs: { amount: 75 },
    });
    await api.waitRun(runId, { untilSettled: true, timeoutMs: 20_000 });
    const page = await browser.newPage({ viewport: { width: 1300, height: 800 } });
    await page.goto(canvasUrl.replace('/runs#', '/approvals#'));
    const card = page.locator('article.approval', { hasText: runId });
    await card.waitFor();
    expect(await card.textContent()).toContain('Pay an expense of 75 EUR?');
    await shot(page, 'approvals');
    expect(await accessibilityProblems(page)).toEqual([]);
    await card.getByLabel('Reason').fill('over budget');
    await card.getByRole('button', { name: 'Reject', exact: true }).click();
    await card.waitFor({ state: 'detached', timeout: 10_000 });
    const view = await api.waitRun(runId, { timeoutMs: 20_000 });
    expect(view.status).toBe('completed');
    expect(view.nodes.notifyRejected?.status).toBe('succeeded');
    await page.close();
  }, 60_000);

  it('answers a question in the browser: a choice button, a refused JSON answer shown verbatim, then a good one', async () => {
    const { runId } = await api.startRun({
      definition: JSON.parse(readFileSync(example('ask/workflow.json'), 'utf8')),
      inputs: { restaurant: 'Noma' },
    });
    await api.waitRun(runId, { untilSettled: true, timeoutMs: 20_000 });
    const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
    await page.goto(canvasUrl);
    await page.waitForURL(/\/runs$/);
    await page.getByRole('link', { name: 'Approvals & questions' }).click();
    await page.waitForURL(/\/approvals$/);
    const guests = page.locator('article.question', { hasText: 'How many guests for Noma?' });
    await guests.waitFor();
    expect(await guests.textContent()).toContain(runId);
    await shot(page, 'questions-inbox');
    // The choices are buttons; one press answers (the number 4, not the text "4").
    await guests.getByRole('button', { name: '4', exact: true }).click();
    await guests.waitFor({ state: 'detached', timeout: 10_000 });

    // The next question arrives live; its answer is JSON against a schema.
    const details = page.locator('article.question', { hasText: 'anything the kitchen' });
    await details.waitFor({ timeout: 10_000 });
    const box = details.getByLabel('Answer (JSON)');
    await box.fill('{"time": "7pm", "smoking": true}');
    await details.getByRole('button', { name: 'Answer', exact: true }).click();
    const refusal = details.getByRole('alert');
    await refusal.waitFor();
    const said = (await refusal.textContent()) ?? '';
    expect(said).toContain('is refused: 2 problems');
    expect(said).toContain('/answer: must not have the property "smoking"');
    expect(said).toContain('/answer/time: must match pattern');
    await shot(page, 'question-refused');
    expect(await accessibilityProblems(page)).toEqual([]);
    expect((await api.getRun(runId)).status).toBe('waiting');

    // Ctrl+Enter in the JSON editor answers.
    await box.fill('{"time": "19:30", "notes": "one vegan"}');
    await box.press('Control+Enter');
    await details.waitFor({ state: 'detached', timeout: 10_000 });
    const view = await api.waitRun(runId, { timeoutMs: 20_000 });
    expect(view).toMatchObject({
      status: 'completed',
      output: { guests: 4, time: '19:30', notes: 'one vegan' },
    });

    // The run page's node panel shows the question and its answer.
    await page.goto(`${url}/runs/${runId}`);
    await page.locator('[data-node-id="guests"][data-status="succeeded"]').click();
    const asked = page.getByLabel('node guests').getByLabel('questions');
    await asked.waitFor();
    expect(await asked.textContent()).toContain('How many guests for Noma?');
    expect(await asked.getByLabel('answer').textContent()).toMatch(/answered by \S+: 4$/);
    await shot(page, 'question-node-panel');
    await page.close();
  }, 60_000);

  it('shows a patch an agent proposed as a diff, approves it in the browser, and replays a node', async () => {
    const { runId, patch: proposed } = await heldAuditPatch(api, url);
    expect(proposed.status).toBe('held');

    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(canvasUrl.replace('/runs#', `/runs/${runId}#`));
    await page.getByRole('link', { name: proposed.patchId }).click();
    await page.waitForURL(new RegExp(`/patches/${proposed.patchId}$`));
    await approveAuditPatch(page, shot, api, runId);

    // Replay from a node, in the browser: a new run, linked to the first.
    await page.goto(`${url}/runs/${runId}`);
    await page.locator('[data-node-id="pay"][data-status="succeeded"]').click();
    await page.getByRole('button', { name: 'Replay from here' }).click();
    await page.waitForURL((u) => /\/runs\/run_/.test(u.pathname) && !u.pathname.endsWith(runId));
    const child = new URL(page.url()).pathname.split('/').pop()!;
    // The new run's page, loaded: until then the status shown may still be the first run's.
    await expect
      .poll(() => page.textContent('body'), { timeout: 15_000 })
      .toContain(`replay of ${runId}`);
    await expect
      .poll(() => page.locator('[data-run-status]').getAttribute('data-run-status'), {
        timeout: 15_000,
      })
      .toBe('completed');
    expect((await api.getRun(child)).replayOf).toBe(runId);
    await shot(page, 'replay');
    await page.close();
  }, 90_000);

  it("shows a map node's progress and links a subworkflow node to its child run", async () => {
    const read = (f: string) => JSON.parse(readFileSync(example(f), 'utf8'));
    const fanout = await api.startRun({
      definition: read('fanout/workflow.json'),
      inputs: read('fanout/inputs.json'),
    });
    expect((await api.waitRun(fanout.runId, { timeoutMs: 20_000 })).status).toBe('completed');
    const page = await browser.newPage({ viewport: { width: 1300, height: 850 } });
    await page.goto(`${url}/runs/${fanout.runId}#token=${adminToken}`);
    const map = page.locator('[data-node-id] [aria-label="map items"]');
    await map.waitFor();
    expect(await map.textContent()).toContain('5/5 done');
    await shot(page, 'map-progress');

    await api.registerWorkflow(read('subworkflow/child.json'));
    const parent = await api.startRun({
      definition: read('subworkflow/workflow.json'),
      inputs: read('subworkflow/inputs.json'),
    });
    expect((await api.waitRun(parent.runId, { timeoutMs: 20_000 })).status).toBe('completed');
    await page.goto(`${url}/runs/${parent.runId}`);
    await page.locator('[data-node-id="greet"]').getByRole('link', { name: 'child run →' }).click();
    await page.waitForURL(
      (u) => u.pathname.startsWith('/runs/') && !u.pathname.endsWith(parent.runId),
    );
    const child = new URL(page.url()).pathname.split('/').pop()!;
    expect((await api.getRun(child)).parentRunId).toBe(parent.runId);
    await page.locator('[data-run-status="completed"]').waitFor();
    await page.close();
  }, 60_000);

  it('shows a run paused by its budget against its limits, and raises a limit to let it go on', async () => {
    const chain = {
      name: 'budget-chain',
      version: '1',
      nodes: ['a', 'b', 'c', 'd'].map((id) => ({ id, type: 'transform', with: { value: id } })),
      edges: [
        { from: 'a', to: 'b' },
        { from: 'b', to: 'c' },
        { from: 'c', to: 'd' },
      ],
    };
    const { runId } = await api.startRun({
      definition: chain,
      budget: { nodes: 2, tokens: 5000, onExceeded: 'pause' },
    });
    expect((await api.waitRun(runId, { untilSettled: true, timeoutMs: 20_000 })).status).toBe(
      'waiting',
    );
    const page = await browser.newPage({ viewport: { width: 1300, height: 850 } });
    await page.goto(`${url}/runs/${runId}#token=${adminToken}`);
    const card = page.getByRole('article', { name: 'budget' });
    await card.waitFor();
    const nodes = card.locator('[data-limit="nodes"]').first();
    expect(await card.locator('dd').first().textContent()).toContain('0 of 5,000');
    expect(await page.locator('.budget-line.over').count()).toBe(1);
    expect(await nodes.textContent()).toBeTruthy();
    expect(await card.textContent()).toContain('crossed (3 asked for)');
    await shot(page, 'budget-paused');

    // The crossed limit is the one offered; a raise that is no raise is refused verbatim.
    const form = card.locator('form');
    expect(await form.getByRole('combobox').inputValue()).toBe('nodes');
    await form.getByRole('spinbutton').fill('2');
    await form.getByRole('button', { name: 'Raise' }).click();
    await form.getByRole('alert').waitFor();
    expect(await form.getByRole('alert').textContent()).toContain(
      "must be more than the run's nodes limit of 2",
    );
    await form.getByRole('spinbutton').fill('10');
    await form.getByLabel('reason').fill('the last two are cheap');
    await form.getByRole('button', { name: 'Raise' }).click();
    await page.locator('[data-run-status="completed"]').waitFor();
    await shot(page, 'budget-raised');
    const raised = (await api.runEvents(runId)).items.find((e) => e.type === 'BudgetRaised');
    expect(raised?.data).toMatchObject({ budget: { nodes: 10 }, reason: 'the last two are cheap' });
    await page.close();
  }, 60_000);

  it('brings the login back, with the reason, for a token the server refuses', async () => {
    const page = await browser.newPage();
    await page.goto(`${url}/runs#token=aob_not-a-real-token`);
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toContain('does not accept this token');
    await shot(page, 'login-refused');
    expect(await accessibilityProblems(page)).toEqual([]);
    // Pasting the good token signs in.
    await page.getByLabel('Token').fill(new URL(canvasUrl).hash.slice('#token='.length));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Runs' }).waitFor();
    await page.close();
  }, 30_000);
  // Last: it restarts aob dev (same port, same store).
  it('shows a banner when the server goes away and resumes the feed missing nothing', async () => {
    const { runId } = await api.startRun({
      definition: approvalWorkflow(),
      inputs: { amount: 10 },
    });
    await api.waitRun(runId, { untilSettled: true, timeoutMs: 20_000 });
    // The store's admin token survives a restart (the canvas-session token is revoked by one).
    const context = await browser.newContext({ viewport: { width: 1300, height: 850 } });
    const page = await context.newPage();
    await page.goto(`${url}/runs/${runId}#token=${adminToken}`);
    await page.locator('[data-node-id="approve"][data-status="waiting"]').waitFor();

    // The server stops: the open feed breaks and the banner says so.
    dev.child.kill('SIGINT');
    await dev.done;
    await page.getByRole('status').waitFor({ timeout: 15_000 });
    expect(await page.getByRole('status').textContent()).toContain('reconnecting');
    await shot(page, 'connection-lost');

    // It comes back on the same port and store; the run moves on while the page is away.
    dev = start(['dev', '--port', new URL(url).port, '--json', '--handlers', handlers], {
      AOB_HOME: home,
      USER: 'managers',
    });
    await untilFrom(
      dev,
      'aob dev to answer again',
      async () => {
        try {
          return (
            await fetch(`${url}/v1/whoami`, { headers: { authorization: `Bearer ${adminToken}` } })
          ).ok
            ? true
            : undefined;
        } catch {
          return undefined;
        }
      },
      30_000,
    );
    const [ticket] = (await api.listApprovals({ status: 'open' })).items.filter(
      (t) => t.runId === runId,
    );
    await api.decideApproval(ticket!.ticketId, { decision: 'approved' });
    expect((await api.waitRun(runId, { timeoutMs: 20_000 })).status).toBe('completed');

    // The feed resumes after the last event the page had: nothing is missing, nothing twice.
    await page.getByRole('status').waitFor({ state: 'detached', timeout: 30_000 });
    await expect
      .poll(() => page.locator('[data-run-status]').getAttribute('data-run-status'), {
        timeout: 15_000,
      })
      .toBe('completed');
    const all = (await api.runEvents(runId, { limit: 1_000 })).items.map((e) => e.seq);
    const shown = await page
      .locator('.history li[data-seq]')
      .evaluateAll((els) => els.map((el) => Number(el.getAttribute('data-seq'))));
    expect(shown).toEqual(all);
    await shot(page, 'connection-resumed');
    await context.close();
  }, 120_000);
});
