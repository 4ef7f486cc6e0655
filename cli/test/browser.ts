// What the canvas's browser tests share: real Chromium (Debian's, /usr/bin/chromium or
// $CHROMIUM_PATH, driven by playwright-core, never a browser download); axe-core's serious
// findings on a page; screenshots into the artifacts directory ($AOB_ARTIFACTS, default
// test-artifacts/), one folder per test file; and the runs and patches they look at.
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { expect } from 'vitest';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { AobHttpClient } from '@aob/client';
import type { PatchView, RunView } from '@aob/client';
import { example, repo } from './helpers.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/** Headless Chromium with the flags this network needs (no background calls it would refuse). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** axe-core's serious and critical findings on the page as it is (WCAG 2 A/AA rules). */
export async function accessibilityProblems(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as {
        axe: {
          run: (o: unknown) => Promise<{
            violations: {
              id: string;
              impact: string;
              help: string;
              nodes: { target: string[] }[];
            }[];
          }>;
        };
      }
    ).axe;
    const result = await axe.run({ runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] } });
    return result.violations;
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${v.id} (${v.impact}): ${v.help} — ${v.nodes
          .map((n) => n.target.join(' '))
          .slice(0, 3)
          .join('; ')}`,
    );
}

/**
 * A screenshot taker for one test file: full-page PNGs into <artifacts>/<folder>/<name>.png, each
 * path printed with the tag, so a test's output says where to look.
 */
export function screenshots(
  folder: string,
  tag = folder,
): (page: Page, name: string) => Promise<string> {
  const dir = join(process.env.AOB_ARTIFACTS ?? join(repo, 'test-artifacts'), folder);
  mkdirSync(dir, { recursive: true });
  return async (page, name) => {
    const path = join(dir, `${name}.png`);
    await page.screenshot({ path, fullPage: true });
    process.stdout.write(`[${tag}] screenshot ${path}\n`);
    return path;
  };
}

/** The approval example's workflow (examples/approval): a gate that `managers` decides. */
export function approvalWorkflow(): Record<string, unknown> {
  return JSON.parse(readFileSync(example('approval/workflow.json'), 'utf8')) as Record<
    string,
    unknown
  >;
}

/**
 * A run of the approval example that holds every patch for review, waiting at its gate, and a
 * patch an agent (`planner`) proposed to it: a transform node `audit` after `pay`. The agent may
 * propose, never review its own: a person reviews it in the browser.
 */
export async function heldAuditPatch(
  api: AobHttpClient,
  baseUrl: string,
): Promise<{ runId: string; patch: PatchView }> {
  const held = { ...approvalWorkflow(), patchPolicy: { review: 'always' } };
  const { runId } = await api.startRun({ definition: held, inputs: { amount: 30 } });
  await settledRun(api, runId);
  const agentToken = await api.createToken({ subject: 'planner', role: 'agent' });
  const agent = new AobHttpClient({ baseUrl, token: agentToken.token });
  const patch = await agent.proposePatch({
    target: runId,
    rationale: 'record every paid expense',
    ops: [
      {
        op: 'add',
        path: '/nodes/-',
        value: { id: 'audit', type: 'transform', with: { value: 'paid' } },
      },
      { op: 'add', path: '/edges/-', value: { from: 'pay', to: 'audit' } },
    ],
  });
  return { runId, patch };
}

/**
 * On the page of heldAuditPatch's patch: the diff marks `audit` added and nothing else, with the
 * rationale; no serious accessibility problem; the person approves and the patch is applied. Then
 * `decider` (whom the gate accepts) approves the run's gate and the run goes on through `audit`.
 */
export async function approveAuditPatch(
  page: Page,
  shot: (page: Page, name: string) => Promise<string>,
  decider: AobHttpClient,
  runId: string,
): Promise<void> {
  await page.locator('[data-node-id="audit"][data-diff="added"]').waitFor();
  expect(await page.locator('[data-diff]').count()).toBe(1);
  expect(await page.textContent('body')).toContain('record every paid expense');
  await shot(page, 'patch-held-diff');
  expect(await accessibilityProblems(page)).toEqual([]);
  await page.getByRole('button', { name: 'Approve', exact: true }).click();
  await expect
    .poll(() => page.locator('[data-patch-status]').getAttribute('data-patch-status'), {
      timeout: 10_000,
    })
    .toBe('applied');
  await shot(page, 'patch-applied');

  // The run now has the node: decide the ticket, and the audit node runs after pay.
  const [ticket] = (await decider.listApprovals({ status: 'open' })).items.filter(
    (t) => t.runId === runId,
  );
  await decider.decideApproval(ticket!.ticketId, { decision: 'approved' });
  const done = await decider.waitRun(runId, { timeoutMs: 30_000 });
  expect(done.status).toBe('completed');
  expect(done.nodes.audit?.status).toBe('succeeded');
}

/**
 * The run once it is over or waits on a person. On the cluster a start may be answered `pending`
 * (handed to the orchestrators): until one takes it the run is not in the log, and the API calls
 * it unknown.
 */
export async function settledRun(api: AobHttpClient, runId: string): Promise<RunView> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      return await api.waitRun(runId, { untilSettled: true, timeoutMs: 30_000 });
    } catch (err) {
      if ((err as { code?: string }).code !== 'RUN_NOT_FOUND' || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
