// Drafts in the canvas, in real Chromium (Debian's, driven by playwright-core) against `aob dev`:
// an agent draws on a draft from outside through aob's MCP server (the SDK's real Client over
// Streamable HTTP at /mcp, with its own bearer token) while a person watches and edits the same
// draft in the browser's editor. Each node the agent adds shows up within a second with its
// author's badge; a connection that would close a cycle is refused with CYCLE and nothing moves
// on screen; the agent's focus selects a node and brings it into view; the person's edit is in the
// next read of the draft, their own cycle is refused with the problem named, and Ctrl+Z undoes on
// the server; the agent's commit registers a version, and the person's "Commit as version"
// another, both of which run to completion. A draft opened from a version is proposed to a live
// run of it from the editor. Screenshots go to test-artifacts/canvas-drafts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { AobHttpClient } from '@aob/client';
import { accessibilityProblems, launchChromium, screenshots } from './browser.js';
import { startDev, tempHome } from './helpers.js';
import type { Dev } from './helpers.js';

const shot = screenshots('canvas-drafts');

interface Draft {
  draftId: string;
  revision: number;
  definition: {
    name?: string;
    version?: string;
    nodes?: { id: string; type: string; with?: Record<string, unknown> }[];
    edges?: { from: string; to: string }[];
  };
  problems: { code: string; path: string; message: string }[];
  lastChange?: { seq: number; by: string; kind: string };
}

let cleanup: () => void;
let dev: Dev;
let api: AobHttpClient;
let browser: Browser;
let agent: Client;

/** The draft as the REST API has it now (GET /v1/drafts/{id}, the person's token). */
async function getDraft(draftId: string): Promise<Draft> {
  const res = await fetch(`${dev.url}/v1/drafts/${draftId}`, {
    headers: { authorization: `Bearer ${dev.token}` },
  });
  expect(res.status).toBe(200);
  return (await res.json()) as Draft;
}

async function call(name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  return (await agent.callTool({ name, arguments: args })) as CallToolResult;
}

/** A tool's answer, which must be a success. */
async function tool<T = { draft: Draft }>(name: string, args: Record<string, unknown>): Promise<T> {
  const r = await call(name, args);
  const text = r.content.flatMap((c) => (c.type === 'text' ? [c.text] : [])).join('\n');
  expect(r.isError ?? false, `${name}: ${text}`).toBe(false);
  return r.structuredContent as T;
}

/** The refusal a tool answered with: `{code, message, problems?}`. */
async function refusal(name: string, args: Record<string, unknown>) {
  const r = await call(name, args);
  const texts = r.content.flatMap((c) => (c.type === 'text' ? [c.text] : []));
  expect(r.isError, texts.join('\n')).toBe(true);
  return (
    JSON.parse(texts[1]!) as {
      error: { code: string; message: string; problems?: { code?: string; path: string }[] };
    }
  ).error;
}

/**
 * Waits for `selector` no longer than `ms` and says how long it took (an edge's SVG group counts
 * once it is in the page: Playwright never calls a <g> visible).
 */
async function within(
  page: Page,
  selector: string,
  ms: number,
  state: 'visible' | 'attached' = 'visible',
): Promise<number> {
  const started = Date.now();
  await page.locator(selector).first().waitFor({ timeout: ms, state });
  return Date.now() - started;
}

const revisionOf = async (page: Page) =>
  Number(await page.locator('.draft-page').getAttribute('data-revision'));

beforeAll(async () => {
  const temp = tempHome();
  cleanup = temp.cleanup;
  dev = await startDev({ AOB_HOME: temp.home });
  api = new AobHttpClient({ baseUrl: dev.url, token: dev.token });
  // The agent's own identity: its changes are recorded as "<subject> (<MCP client name>)". An
  // operator token, so that it may register the version it drew (an agent token may only
  // propose patches).
  const agentToken = await api.createToken({ subject: 'claude', role: 'operator' });
  agent = new Client({ name: 'agent', version: '0.0.0' });
  await agent.connect(
    new StreamableHTTPClientTransport(new URL(`${dev.url}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${agentToken.token}` } },
    }),
  );
  browser = await launchChromium();
}, 90_000);

afterAll(async () => {
  await agent?.close();
  await browser?.close();
  await dev?.stop();
  cleanup?.();
});

describe('a draft drawn by an agent and edited by a person', () => {
  it('shows the agent’s changes live, refuses cycles, takes the person’s edits, commits and runs', async () => {
    const { draft: opened } = await tool('canvas_open', {
      title: 'Order totals',
      definition: { name: 'order-totals', version: '1', nodes: [], edges: [] },
    });
    const draftId = opened.draftId;
    const page = await browser.newPage({ viewport: { width: 1500, height: 950 } });
    await page.goto(`${dev.url}/drafts/${draftId}#token=${dev.token}`);
    await page.getByText('An empty workflow').waitFor();

    // Three nodes, each on screen within a second of the agent's change, with its author.
    const nodes = [
      { id: 'order', type: 'transform', with: { value: '{% [2, 3, 5] %}' } },
      { id: 'total', type: 'transform', with: { value: '{% $sum(nodes.order.output) %}' } },
      {
        id: 'report',
        type: 'transform',
        with: { value: "{% 'total ' & $string(nodes.total.output) %}" },
      },
    ];
    const took: number[] = [];
    for (const [i, node] of nodes.entries()) {
      await tool('canvas_add_node', { draftId, node });
      took.push(await within(page, `.graph-node[data-node-id="${node.id}"]`, 1_000));
      const prev = nodes[i - 1];
      if (prev) {
        await tool('canvas_connect', { draftId, from: prev.id, to: node.id });
        await within(page, `[data-edge="${prev.id}→${node.id}"]`, 1_000, 'attached');
      }
    }
    process.stdout.write(`[canvas-drafts] nodes on screen after ${took.join(', ')} ms\n`);
    const badge = page.locator('.graph-node[data-node-id="report"] .graph-node-badge');
    expect(await badge.textContent()).toBe('added by claude (agent)');
    const activity = page.getByRole('region', { name: 'Activity' });
    await activity.getByText('added report').waitFor();
    expect(await activity.textContent()).toContain('claude (agent)');
    await page.waitForTimeout(400); // the view's fit to the new node has settled
    await shot(page, 'agent-drawing');
    expect(await accessibilityProblems(page)).toEqual([]);

    // report → order would close a cycle: refused with CYCLE, and nothing changes on screen.
    const revision = await revisionOf(page);
    const cycle = await refusal('canvas_connect', { draftId, from: 'report', to: 'order' });
    expect(JSON.stringify(cycle)).toContain('CYCLE');
    await page.waitForTimeout(700);
    expect(await page.locator('[data-edge="report→order"]').count()).toBe(0);
    expect(await page.locator('.react-flow__edge').count()).toBe(2);
    expect(await revisionOf(page)).toBe(revision);

    // The agent points at `total`: it is selected, outlined and in view.
    await tool('canvas_focus', { draftId, nodes: ['total'] });
    await within(page, '.graph-node.focused[data-node-id="total"]', 1_000);
    await page.getByLabel('node total').waitFor();
    const graphBox = (await page.locator('.graph').boundingBox())!;
    const totalBox = (await page.locator('.graph-node[data-node-id="total"]').boundingBox())!;
    expect(totalBox.x).toBeGreaterThanOrEqual(graphBox.x);
    expect(totalBox.x + totalBox.width).toBeLessThanOrEqual(graphBox.x + graphBox.width);
    await shot(page, 'agent-focus');

    // The person's edit of the focused node's field is in the next read of the draft.
    const value = page.locator('#node-with-value');
    await value.fill('{% $sum(nodes.order.output) * 10 %}');
    await value.press('Tab');
    await expect.poll(() => revisionOf(page)).toBe(revision + 1);
    const afterEdit = await getDraft(draftId);
    expect(afterEdit.definition.nodes!.find((n) => n.id === 'total')!.with).toEqual({
      value: '{% $sum(nodes.order.output) * 10 %}',
    });
    expect(afterEdit.lastChange?.by).not.toContain('claude');

    // The person's own cycle: refused with the problem named, the graph as the server has it.
    await page.locator('.graph-node[data-node-id="report"]').click();
    await page.getByLabel('Connect to').selectOption('order');
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    const refused = page.locator('.refused');
    await refused.waitFor();
    expect(await refused.textContent()).toContain('CYCLE');
    expect(await page.locator('[data-edge="report→order"]').count()).toBe(0);
    expect(await revisionOf(page)).toBe(revision + 1);
    await shot(page, 'person-cycle-refused');

    // A node from the palette, then Ctrl+Z (outside a field) takes it back on the server.
    await page.getByRole('button', { name: 'Add transform' }).click();
    await page.locator('.graph-node[data-node-id="transform"]').waitFor();
    await expect
      .poll(async () => (await getDraft(draftId)).definition.nodes!.map((n) => n.id))
      .toContain('transform');
    await page.locator('h1').click();
    await page.keyboard.press('Control+z');
    await page.locator('.graph-node[data-node-id="transform"]').waitFor({ state: 'detached' });
    expect((await getDraft(draftId)).definition.nodes!.map((n) => n.id)).toEqual([
      'order',
      'total',
      'report',
    ]);

    // The agent commits: order-totals@1 is registered and runs to completion.
    const committed = await tool<{ workflow: { name: string; version: string } }>('canvas_commit', {
      draftId,
      as: 'version',
    });
    expect(committed.workflow).toMatchObject({ name: 'order-totals', version: '1' });
    await page.getByText(/committed this draft as order-totals@1/).waitFor();
    const first = await api.startRun({ workflow: 'order-totals@1' });
    const firstRun = await api.waitRun(first.runId, { timeoutMs: 30_000 });
    expect(firstRun.status).toBe('completed');

    // The person takes it on: version 2 in the workflow's form (shown since the selected node
    // went with the undo), then "Commit as version".
    const beforeVersion = await revisionOf(page);
    const version = page.locator('#workflow-version');
    await version.fill('2');
    await version.press('Tab');
    await expect.poll(() => revisionOf(page)).toBe(beforeVersion + 1);
    const commit = page.getByRole('button', { name: 'Commit as version' });
    await expect.poll(() => commit.isEnabled()).toBe(true);
    await commit.click();
    // The notice, not the version field's help ("Saved or committed as this version…").
    await page.getByRole('status').filter({ hasText: 'Committed as order-totals@2' }).waitFor();
    await shot(page, 'person-committed');
    const second = await api.startRun({ workflow: 'order-totals@2' });
    const secondRun = await api.waitRun(second.runId, { timeoutMs: 30_000 });
    expect(secondRun.status).toBe('completed');
    const detail = await api.getRun(second.runId);
    expect(detail.nodes.total?.status).toBe('succeeded');

    // The drafts page lists it: its title, base, revision and last change.
    await page.getByRole('link', { name: 'Drafts', exact: true }).first().click();
    const row = page.locator(`tr[data-draft-id="${draftId}"]`);
    await row.waitFor();
    expect(await row.textContent()).toContain('Order totals');
    await shot(page, 'drafts-list');
    expect(await accessibilityProblems(page)).toEqual([]);

    // "Open as draft" from the Workflows page starts a draft of that version and opens it.
    await page.getByRole('link', { name: 'Workflows', exact: true }).click();
    await page
      .locator('tr[data-workflow="order-totals@2"]')
      .getByRole('button', { name: 'Open as draft' })
      .click();
    await page.waitForURL(/\/drafts\/[^/]+$/);
    expect(page.url()).not.toContain(draftId);
    await page.locator('.graph-node[data-node-id="report"]').waitFor();
    expect(await page.locator('.draft-meta').textContent()).toContain('from order-totals@2');
    await page.waitForTimeout(400); // the view's fit has settled
    await shot(page, 'opened-as-draft');
    await page.close();
  });

  it('proposes a draft of a version to one of its live runs', async () => {
    await api.registerWorkflow({
      name: 'gated',
      version: '1',
      nodes: [
        { id: 'gate', type: 'approval', with: { approvers: ['someone'], message: 'Go on?' } },
        { id: 'after', type: 'transform', with: { value: 'done' } },
      ],
      edges: [{ from: 'gate', to: 'after', on: 'approved' }],
    });
    const { runId } = await api.startRun({ workflow: 'gated@1' });
    await expect.poll(async () => (await api.getRun(runId)).status).toBe('waiting');

    const page = await browser.newPage({ viewport: { width: 1500, height: 950 } });
    await page.goto(`${dev.url}/workflows#token=${dev.token}`);
    await page
      .locator('tr[data-workflow="gated@1"]')
      .getByRole('button', { name: 'Open as draft' })
      .click();
    await page.locator('.graph-node[data-node-id="after"]').click();
    await page.getByRole('button', { name: 'Add transform' }).click();
    const value = page.locator('#node-with-value');
    await value.fill('audited');
    await value.press('Tab');
    await expect
      .poll(() => page.locator('[data-problem-count]').getAttribute('data-problem-count'))
      .toBe('0');
    await expect.poll(() => revisionOf(page)).toBe(2);

    await page.getByRole('button', { name: 'Propose to a run' }).click();
    await expect.poll(() => page.getByLabel('Run').inputValue()).toBe(runId);
    await page.getByLabel('Rationale').fill('an audit step after the gate');
    await page.getByRole('button', { name: 'Send patch' }).click();
    const verdict = page.locator('.verdict[data-patch-status]');
    await verdict.waitFor();
    expect(await verdict.getAttribute('data-patch-status')).toBe('applied');
    await shot(page, 'proposed-to-run');
    expect(Object.keys((await api.getRun(runId)).nodes)).toContain('transform');
    await page.close();
  });
});
