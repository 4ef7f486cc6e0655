import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeJob } from '@aob/core';
import { createHttpExecutor, httpExecutor } from './http.js';
import type { DialCandidate } from './net/guard.js';
import type { ExecutorContext } from './types.js';

function job(url: string): NodeJob {
  return {
    runId: 'run-1',
    nodeId: 'fetch',
    attempt: 1,
    irHash: 'h',
    type: 'http',
    config: { url },
    input: null,
    inputRef: { $cas: 'sha256:00', size: 0 },
    timeoutMs: 10_000,
    priority: 'medium',
    idempotencyKey: 'run-1:fetch',
  };
}

// The production default: private networks are off limits.
const ctx: ExecutorContext = {
  runId: 'run-1',
  nodeId: 'fetch',
  attempt: 1,
  idempotencyKey: 'run-1:fetch',
  signal: new AbortController().signal,
  log: { info() {}, warn() {}, error() {} },
  options: { handlers: {}, allowPrivateNetwork: false },
};

const rejection = (p: Promise<unknown>) =>
  p.then(
    () => expect.fail('expected a rejection'),
    (err: unknown) =>
      err as { code: string; message: string; retryable: boolean; details?: unknown },
  );

describe('http SSRF protection (allowPrivateNetwork: false)', () => {
  it.each([
    ['http://127.0.0.1/', 'loopback'],
    ['http://localhost/', undefined], // resolved by the system resolver to loopback
    ['http://2130706433/', 'loopback'],
    ['http://0x7f.1/', 'loopback'],
    ['http://017700000001/', 'loopback'],
    ['http://127.1/', 'loopback'],
    ['http://[::1]/', 'loopback'],
    ['http://[::ffff:127.0.0.1]/', 'ipv4-mapped:loopback'],
    ['http://[::ffff:7f00:1]/', 'ipv4-mapped:loopback'],
    ['http://169.254.169.254/latest/meta-data', 'metadata'],
    ['http://[fd00:ec2::254]/', 'metadata'],
    ['http://10.0.0.1/', 'private'],
    ['http://user:pass@192.168.1.1/', 'private'],
    ['https://100.64.0.1/', 'cgnat'],
    ['http://0.0.0.0:8080/', 'unspecified'],
    ['http://[64:ff9b::a9fe:a9fe]/', 'nat64:metadata'],
    ['http://[2002:a00:1::]/', '6to4:private'],
  ])('refuses %s', async (url, reason) => {
    const err = await rejection(httpExecutor(job(url), ctx));
    expect(err).toMatchObject({ code: 'SSRF', retryable: false });
    if (reason !== undefined) expect(err.details).toMatchObject({ reason });
    else expect(err.details).toMatchObject({ reason: expect.stringMatching(/loopback/) });
    // Userinfo never appears in the error (it ends up in the event log).
    expect(err.message).not.toContain('pass');
    // It says how to allow such targets where that is intended.
    expect(err.message).toContain('--allow-private-network locally');
  });

  it.each([
    'ftp://example.com/',
    'file:///etc/passwd',
    'gopher://example.com/',
    'data:text/plain,hi',
  ])('refuses the scheme of %s', async (url) => {
    const err = await rejection(httpExecutor(job(url), ctx));
    expect(err).toMatchObject({ code: 'SSRF', retryable: false });
    expect(err.message).toMatch(/only http and https/);
  });

  it('refuses a name if ANY of its addresses is private', async () => {
    const executor = createHttpExecutor({
      resolve: async () => [
        { address: '93.184.216.34', family: 4 },
        { address: '10.1.2.3', family: 4 },
      ],
    });
    const err = await rejection(executor(job('https://mixed.aob-test.invalid/'), ctx));
    expect(err).toMatchObject({
      code: 'SSRF',
      details: { host: 'mixed.aob-test.invalid', address: '10.1.2.3', reason: 'private' },
    });
  });

  it('still refuses other schemes when private networks are allowed', async () => {
    const err = await rejection(
      httpExecutor(job('file:///etc/passwd'), {
        ...ctx,
        options: { ...ctx.options, allowPrivateNetwork: true },
      }),
    );
    expect(err.code).toBe('SSRF');
  });
});

describe('http SSRF protection on redirects', () => {
  // Server A is the only target the injected policy allows; it redirects to server B (private
  // from the policy's point of view) and to literal private addresses.
  let a: Server;
  let b: Server;
  let portA = 0;
  let portB = 0;
  let hitsOnB = 0;

  beforeAll(async () => {
    b = createServer((_req, res) => {
      hitsOnB++;
      res.end('internal secret');
    });
    await new Promise<void>((resolve) => b.listen(0, '127.0.0.1', resolve));
    portB = (b.address() as AddressInfo).port;
    a = createServer((req, res) => {
      const to = new URL(req.url ?? '/', 'http://x').searchParams.get('to');
      if (to) res.writeHead(302, { location: to });
      else res.writeHead(200, { 'content-type': 'application/json' });
      res.end(to ? '' : '{"ok":true}');
    });
    await new Promise<void>((resolve) => a.listen(0, '127.0.0.1', resolve));
    portA = (a.address() as AddressInfo).port;
  });

  afterAll(async () => {
    a.closeAllConnections();
    b.closeAllConnections();
    await Promise.all([
      new Promise((resolve) => a.close(resolve)),
      new Promise((resolve) => b.close(resolve)),
    ]);
  });

  const asked: DialCandidate[] = [];
  const onlyServerA = createHttpExecutor({
    isAllowed: (c) => {
      asked.push(c);
      return c.address === '127.0.0.1' && c.port === portA;
    },
  });

  it('reaches the allowed server', async () => {
    await expect(onlyServerA(job(`http://127.0.0.1:${portA}/`), ctx)).resolves.toMatchObject({
      status: 200,
      body: { ok: true },
    });
  });

  it('re-checks every hop and refuses a redirect to a forbidden target', async () => {
    const targets = [
      `http://127.0.0.1:${portB}/admin`,
      'http://10.0.0.1/',
      'http://169.254.169.254/latest/meta-data',
      'http://[::1]/',
      'http://2130706433/',
    ];
    for (const target of targets) {
      asked.length = 0;
      const start = `http://127.0.0.1:${portA}/?to=${encodeURIComponent(target)}`;
      const err = await rejection(onlyServerA(job(start), ctx));
      expect(err).toMatchObject({ code: 'SSRF', retryable: false });
      expect(asked.map((c) => c.url.href)).toEqual([start, new URL(target).href]);
    }
    expect(hitsOnB).toBe(0);
  });

  it('refuses a redirect to another scheme', async () => {
    const start = `http://127.0.0.1:${portA}/?to=${encodeURIComponent('file:///etc/passwd')}`;
    const err = await rejection(onlyServerA(job(start), ctx));
    expect(err).toMatchObject({ code: 'SSRF' });
  });
});
