// The real `aob` binary in server mode (AOB_SERVER + AOB_TOKEN): first what it says without a
// usable server, then everything against `aob dev` (the API on an embedded store, in process).
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aob, example, json, tempHome } from './helpers.js';

interface ErrorJson {
  error: {
    code: string;
    message: string;
    problems?: { code: string; path: string; message: string }[];
  };
}

/** A port nothing listens on: bound, then closed. */
async function deadPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

describe('server mode without a usable server', () => {
  let home: string;
  let cleanup: () => void;
  let dead: string;
  beforeAll(async () => {
    ({ home, cleanup } = tempHome());
    dead = `http://127.0.0.1:${await deadPort()}`;
  });
  afterAll(() => cleanup());

  it('exits 3 naming the server when nothing answers, and touches no local store', async () => {
    const r = await aob(['run', 'list', '--json'], {
      AOB_HOME: home,
      AOB_SERVER: dead,
      AOB_TOKEN: 'aob_x',
    });
    expect(r.code, r.stderr).toBe(3);
    const e = json<ErrorJson>(r).error;
    expect(e.code).toBe('SERVER_UNREACHABLE');
    expect(e.message).toContain('connection refused');
    expect(e.message).toContain(`AOB_SERVER=${dead}`);
    expect(existsSync(join(home, 'aob.db'))).toBe(false);
  });

  it('exits 2 when AOB_TOKEN is missing or AOB_SERVER is no URL, naming both', async () => {
    const r = await aob(['run', 'list', '--json'], {
      AOB_HOME: home,
      AOB_SERVER: 'ftp://x',
      AOB_TOKEN: '',
    });
    expect(r.code, r.stderr).toBe(2);
    const e = json<ErrorJson>(r).error;
    expect(e.code).toBe('BAD_CONFIG');
    expect(e.problems?.map((p) => p.path)).toEqual(['AOB_SERVER', 'AOB_TOKEN']);
  });

  it('refuses identity and local-engine flags, listing each (exit 2)', async () => {
    const r = await aob(
      [
        'approve',
        'tkt_1',
        'approve',
        '--by',
        'bob',
        '--handlers',
        example('approval/handlers.mjs'),
        '--json',
      ],
      { AOB_HOME: home, AOB_SERVER: dead, AOB_TOKEN: 'aob_x' },
    );
    expect(r.code, r.stderr).toBe(2);
    const e = json<ErrorJson>(r).error;
    expect(e.code).toBe('LOCAL_ONLY_FLAG');
    expect(e.problems?.map((p) => p.path)).toEqual(['--by', '--handlers']);
    expect(e.problems?.[0]?.message).toMatch(/from the token/);
  });

  it('says run resume is local only (exit 2), without asking the server', async () => {
    const r = await aob(['run', 'resume', 'run_x'], {
      AOB_HOME: home,
      AOB_SERVER: dead,
      AOB_TOKEN: 'aob_x',
    });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/cluster resumes runs itself/);
  });

  it('still honours AOB_HANDLERS in the environment (it is not a flag given)', async () => {
    const r = await aob(['approvals', 'list', '--json'], {
      AOB_HOME: home,
      AOB_SERVER: dead,
      AOB_TOKEN: 'aob_x',
      AOB_HANDLERS: example('approval/handlers.mjs'),
    });
    expect(r.code, r.stderr).toBe(3);
  });
});
