// The canvas's Schedules page in Chromium, on `aob dev`: a schedule created through the API is
// listed with when it ticks and its next tick; aob dev's scheduler starts its ticks and the last
// run is a link; a person pauses it from the page and the page says so. Screenshots in
// test-artifacts/canvas-schedules.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { AobHttpClient } from '@aob/client';
import { accessibilityProblems, launchChromium, screenshots } from './browser.js';
import { startDev, tempHome } from './helpers.js';
import type { Dev } from './helpers.js';

const shot = screenshots('canvas-schedules');
const { home, cleanup } = tempHome();
let dev: Dev;
let api: AobHttpClient;
let browser: Browser;

beforeAll(async () => {
  dev = await startDev({ AOB_HOME: home });
  api = new AobHttpClient({ baseUrl: dev.url, token: dev.token });
  browser = await launchChromium();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await dev?.stop();
  cleanup();
});

describe('the Schedules page', () => {
  it('lists schedules with their next ticks and last runs, and pauses one', async () => {
    await api.registerWorkflow({
      name: 'nightly',
      version: '1',
      nodes: [{ id: 'a', type: 'transform', with: { value: 1 } }],
    });
    const every = await api.createSchedule({ workflow: 'nightly', every: '2s', overlap: 'allow' });
    const cron = await api.createSchedule({
      workflow: 'nightly@1',
      cron: '30 2 * * *',
      timezone: 'Europe/Berlin',
    });
    // aob dev's scheduler starts the every-2s schedule's ticks.
    await expect
      .poll(async () => (await api.getSchedule(every.scheduleId)).counts.started, {
        timeout: 15_000,
      })
      .toBeGreaterThan(0);

    const page = await browser.newPage({ viewport: { width: 1400, height: 700 } });
    await page.goto(`${dev.url}/schedules#token=${dev.token}`);
    const row = page.locator(`tr[data-schedule-id="${every.scheduleId}"]`);
    await row.waitFor();
    await expect.poll(() => row.textContent()).toContain('every 2s');
    expect(await row.locator('a[href^="/runs/run_"]').count()).toBe(1);
    const cronRow = page.locator(`tr[data-schedule-id="${cron.scheduleId}"]`);
    expect(await cronRow.textContent()).toContain('cron 30 2 * * * (Europe/Berlin)');
    expect(await cronRow.locator('time').getAttribute('datetime')).toBe(
      new Date(cron.nextTickAt!).toISOString(),
    );
    await shot(page, 'schedules');
    expect(await accessibilityProblems(page)).toEqual([]);

    await row.getByRole('button', { name: 'Pause' }).click();
    await row.getByRole('button', { name: 'Resume' }).waitFor();
    expect(await row.textContent()).toContain('paused');
    expect((await api.getSchedule(every.scheduleId)).paused).toBe(true);
    await shot(page, 'schedules-paused');
    await page.close();
  }, 90_000);
});
