// The canvas in Chromium (playwright-core, Debian's /usr/bin/chromium or CHROMIUM_PATH): how soon
// a big run's first useful view is on screen, and how much JavaScript the first page loads.
//
// - bundle: the gzipped size of the JavaScript index.html loads (ELK, loaded on demand, apart);
// - a 200-node chain: from navigation to every node of the graph drawn with its status;
// - a run whose map node fans out over 1,000 items: from navigation to the map's progress shown
//   with all 1,000 done, and the history (virtualised) in the page.
// Each is measured --rounds times on a fresh page (a new browser context: nothing cached); medians.
// The runs are started through `aob dev` (an in-process server on a temporary AOB_HOME).
//
//   npm run build && node bench/canvas.mjs [--rounds 5] [--json]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { AobHttpClient } from '@aob/client';
import { fmt, median, parseArgs } from './lib/harness.mjs';

const opts = parseArgs(process.argv.slice(2), { rounds: 5, json: false });
const REPO = fileURLToPath(new URL('..', import.meta.url));
const DIST = join(REPO, 'apps/canvas/dist');

/** The gzipped bytes of the scripts index.html loads (not the chunks loaded on demand). */
function bundle() {
  const html = readFileSync(join(DIST, 'index.html'), 'utf8');
  const initial = [...html.matchAll(/src="\/(assets\/[^"]+\.js)"/g)].map((m) => m[1]);
  const size = (f) => gzipSync(readFileSync(join(DIST, f))).length;
  const all = readdirSync(join(DIST, 'assets')).filter((f) => f.endsWith('.js'));
  return {
    initialGzipKb: initial.reduce((n, f) => n + size(f), 0) / 1024,
    onDemandGzipKb:
      all
        .filter((f) => !initial.includes(`assets/${f}`))
        .reduce((n, f) => n + size(`assets/${f}`), 0) / 1024,
  };
}

async function startDev(home, handlers) {
  const child = spawn(
    process.execPath,
    [join(REPO, 'cli/bin/run.js'), 'dev', '--port', '0', '--json', '--handlers', handlers],
    {
      env: { ...process.env, AOB_HOME: home, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  for (let i = 0; i < 300; i++) {
    try {
      return { child, printed: JSON.parse(out) };
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`aob dev printed no JSON:\n${out}`);
}

const chain = (n) => ({
  name: 'bench-chain-200',
  version: '1',
  nodes: Array.from({ length: n }, (_, i) => ({
    id: `n${i + 1}`,
    type: 'task',
    with: { handler: 'noop' },
  })),
  edges: Array.from({ length: n - 1 }, (_, i) => ({ from: `n${i + 1}`, to: `n${i + 2}` })),
});

const wideMap = {
  name: 'bench-map-1000',
  version: '1',
  inputs: { type: 'object', properties: { items: { type: 'array' } } },
  nodes: [
    {
      id: 'each',
      type: 'map',
      with: { items: '{% inputs.items %}', body: { type: 'task', with: { handler: 'noop' } } },
    },
  ],
};

async function timeTo(browser, url, ready) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  const t0 = performance.now();
  await page.goto(url);
  await ready(page);
  const ms = performance.now() - t0;
  await context.close();
  return ms;
}

const home = mkdtempSync(join(tmpdir(), 'aob-bench-canvas-'));
const handlers = join(home, 'handlers.mjs');
writeFileSync(handlers, 'export const noop = async () => null;\n');
const { child, printed } = await startDev(home, handlers);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
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
try {
  const api = new AobHttpClient({ baseUrl: printed.url, token: printed.token });
  const signedIn = (path) => `${printed.url}${path}#token=${printed.token}`;
  const chainRun = (await api.startRun({ definition: chain(200), inputs: {} })).runId;
  await api.waitRun(chainRun, { timeoutMs: 60_000 });
  const mapRun = (
    await api.startRun({
      definition: wideMap,
      inputs: { items: Array.from({ length: 1000 }, (_, i) => i) },
    })
  ).runId;
  await api.waitRun(mapRun, { timeoutMs: 60_000 });
  let events = 0;
  for (let page; !page || page.items.length === 5_000;) {
    page = await api.runEvents(mapRun, { fromSeq: events + 1, limit: 5_000 });
    events += page.items.length;
  }

  const chainMs = [];
  const mapMs = [];
  for (let r = 0; r < opts.rounds; r++) {
    chainMs.push(
      await timeTo(browser, signedIn(`/runs/${chainRun}`), (p) =>
        p.waitForFunction(
          () => document.querySelectorAll('[data-node-id][data-status="succeeded"]').length === 200,
          null,
          {
            timeout: 30_000,
          },
        ),
      ),
    );
    mapMs.push(
      await timeTo(browser, signedIn(`/runs/${mapRun}`), async (p) => {
        await p
          .locator('[aria-label="map items"]', { hasText: '1000/1000 done' })
          .waitFor({ timeout: 30_000 });
        await p.locator('.history li[data-seq]').first().waitFor();
      }),
    );
  }
  const result = {
    rounds: opts.rounds,
    ...bundle(),
    chain200: { medianMs: median(chainMs), ms: chainMs },
    map1000: { events, medianMs: median(mapMs), ms: mapMs },
  };
  if (opts.json) console.log(JSON.stringify(result));
  else {
    console.log(
      `initial JavaScript: ${fmt(result.initialGzipKb, 1)} KB gzipped (target ≤ 350); on demand: ${fmt(result.onDemandGzipKb, 1)} KB`,
    );
    console.log(
      `200-node chain, first full view: median ${fmt(result.chain200.medianMs, 0)} ms (target ≤ 1,500)`,
    );
    console.log(
      `map of 1,000 items (${events} events), first full view: median ${fmt(result.map1000.medianMs, 0)} ms (target ≤ 1,500)`,
    );
  }
} finally {
  await browser.close();
  child.kill('SIGINT');
  await new Promise((r) => child.once('exit', r));
  rmSync(home, { recursive: true, force: true });
}
