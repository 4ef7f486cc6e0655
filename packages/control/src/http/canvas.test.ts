// The canvas's static files beside the API (a built app stands in: index.html and one hashed
// asset): app routes answer index.html, never cached; hashed assets are cached for good; a
// missing asset and an unknown /v1 route are 404s, not the app.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiHarness } from './test-support.js';
import type { ApiHarness } from './test-support.js';

let root: string;
let api: ApiHarness;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'aob-canvas-static-'));
  mkdirSync(join(root, 'assets'));
  writeFileSync(
    join(root, 'index.html'),
    '<!doctype html><div id="root"></div><script type="module" src="/assets/index-abc123.js"></script>',
  );
  writeFileSync(join(root, 'assets', 'index-abc123.js'), 'console.log("canvas")');
  api = await startApiHarness({ canvasRoot: root });
});

afterAll(async () => {
  await api?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('the canvas served beside the API', () => {
  it('answers index.html, marked no-cache, at / and at every app route', async () => {
    for (const path of ['/', '/index.html', '/runs', '/runs/run_1', '/patches/pch_1']) {
      const res = await fetch(api.url + path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type'), path).toMatch(/^text\/html/);
      expect(res.headers.get('cache-control'), path).toBe('no-cache');
      expect(await res.text(), path).toContain('<div id="root">');
    }
  });

  it('serves hashed assets cached for good, and a missing one as a 404', async () => {
    const res = await fetch(`${api.url}/assets/index-abc123.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/javascript/);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect((await fetch(`${api.url}/assets/missing.js`)).status).toBe(404);
  });

  it('keeps the API its own: an unknown /v1 route is a problem, not the app', async () => {
    const res = await api.call('GET', '/v1/no-such-route');
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.body.code).toBe('NO_ROUTE');
  });
});
