// The real `aob` binary in server mode (AOB_SERVER + AOB_TOKEN): first what it says without a
// usable server, then everything against `aob dev` (the API on an embedded store, in process).
import { existsSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Running } from './helpers.js';
import { aob, example, json, start, tempHome, until } from './helpers.js';
import {
  histogramOf,
  parsePrometheusText,
  valueOf,
} from '../../packages/engine/src/testing/prometheus-text.js';

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

interface RunJson {
  runId: string;
  status: string;
  output?: unknown;
  nodes: Record<string, { status: string; attempts: number }>;
}
interface Ticket {
  ticketId: string;
  runId: string;
  status: string;
  approvers: string[];
}
interface Token {
  token: string;
  tokenId: string;
  subject: string;
  role: string;
  namespace: string;
}

describe('server mode against aob dev', () => {
  let home: string;
  let cleanup: () => void;
  let dev: Running;
  let url: string;
  /** The environment of a terminal holding `token`. */
  let as: (token: string) => Record<string, string>;
  let root: string;
  let managers: string;
  let viewer: string;

  beforeAll(async () => {
    ({ home, cleanup } = tempHome());
    dev = start(
      ['dev', '--port', '0', '--json', '--handlers', example('approval/handlers.mjs')],
      // Another server's variables in the shell do not redirect aob dev: it is the server.
      { AOB_HOME: home, AOB_SERVER: 'http://127.0.0.1:9', AOB_TOKEN: 'aob_elsewhere' },
    );
    let stdout = '';
    dev.child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    const first = await until(
      'aob dev to print its URL',
      async () => {
        try {
          return JSON.parse(stdout) as {
            url: string;
            home: string;
            token?: string;
            subject?: string;
          };
        } catch {
          return undefined;
        }
      },
      30_000,
    );
    expect(first.home).toBe(home);
    expect(first.token).toMatch(/^aob_/);
    url = first.url;
    root = first.token!;
    // No AOB_HOME: whatever these commands do happens on the server, not in a local store.
    as = (token) => ({
      AOB_HOME: join(home, 'must-stay-unused'),
      AOB_SERVER: url,
      AOB_TOKEN: token,
    });
  });

  afterAll(async () => {
    if (dev && dev.child.exitCode === null) {
      dev.child.kill('SIGKILL');
      await dev.done;
    }
    cleanup();
  });

  it('whoami names the admin aob dev created; tokens are made on the server and printed once', async () => {
    const me = await aob(['whoami', '--json'], as(root));
    expect(me.code, me.stderr).toBe(0);
    expect(json(me)).toMatchObject({ role: 'admin', namespace: 'default' });

    const mgr = await aob(
      ['token', 'create', '--role', 'approver', '--subject', 'managers', '--json'],
      as(root),
    );
    expect(mgr.code, mgr.stderr).toBe(0);
    managers = json<Token>(mgr).token;
    expect(json<Token>(mgr)).toMatchObject({
      subject: 'managers',
      role: 'approver',
      namespace: 'default',
    });
    const vic = await aob(['token', 'create', '--role', 'viewer', '--subject', 'vic'], as(root));
    expect(vic.code, vic.stderr).toBe(0);
    viewer = vic.stdout.trim();
    expect(viewer).toMatch(/^aob_/);
    expect(vic.stderr).toMatch(/shown this once/);

    const list = json<Token[]>(await aob(['token', 'list', '--json'], as(root)));
    expect(list.map((t) => t.subject)).toEqual(expect.arrayContaining(['managers', 'vic']));
    expect(JSON.stringify(list)).not.toContain(managers);

    // A viewer may not make tokens: 403 → exit 2, with the server's code.
    const refused = await aob(
      ['token', 'create', '--role', 'admin', '--subject', 'x', '--json'],
      as(viewer),
    );
    expect(refused.code).toBe(2);
    expect(json<ErrorJson>(refused).error.code).toBe('FORBIDDEN');

    const unknown = await aob(['run', 'list', '--json'], as('aob_not-a-token'));
    expect(unknown.code).toBe(2);
    expect(json<ErrorJson>(unknown).error).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(json<ErrorJson>(unknown).error.message).toMatch(/AOB_TOKEN/);
  });

  it('registers a workflow, starts it by name and by file, follows it, and an approver from another token decides', async () => {
    const reg = await aob(
      ['workflow', 'register', example('approval/workflow.json'), '--json'],
      as(root),
    );
    expect(reg.code, reg.stderr).toBe(0);
    expect(json(reg)).toMatchObject({ name: 'expense-approval', version: '1' });
    const wfs = json<{ name: string }[]>(await aob(['workflow', 'list', '--json'], as(viewer)));
    expect(wfs.map((w) => w.name)).toEqual(['expense-approval']);

    // By name, detached: exit 4 while it waits on a person.
    const byName = await aob(
      ['run', 'start', 'expense-approval@1', '--input', 'amount=5', '--detach', '--json'],
      as(root),
    );
    expect(byName.code, byName.stderr).toBe(4);
    expect(json<RunJson>(byName).status).toBe('waiting');

    // By file, attached: the command waits through the approval, as locally.
    const driver = start(
      ['run', 'start', example('approval/workflow.json'), '--input', 'amount=40', '--json'],
      as(root),
    );
    const ticket = await until('the second run to wait on a ticket', async () => {
      const open = json<Ticket[]>(await aob(['approvals', 'list', '--json'], as(viewer)));
      return open.find((t) => t.runId !== json<RunJson>(byName).runId);
    });
    expect(ticket).toMatchObject({ status: 'open', approvers: ['managers'] });
    const follower = start(['logs', 'stream', ticket.runId, '--json'], as(viewer));

    // A viewer may not decide (403), nor may an admin the ticket does not name.
    const byViewer = await aob(['approve', ticket.ticketId, 'approve', '--json'], as(viewer));
    expect(byViewer.code).toBe(2);
    expect(json<ErrorJson>(byViewer).error.code).toBe('FORBIDDEN');
    const byRoot = await aob(['approve', ticket.ticketId, 'approve', '--json'], as(root));
    expect(byRoot.code).toBe(2);
    // The desk's refusal (NOT_AN_APPROVER) is a 403; either code, the message names who may.
    expect(json<ErrorJson>(byRoot).error.code).toMatch(/^(FORBIDDEN|NOT_AN_APPROVER)$/);
    expect(json<ErrorJson>(byRoot).error.message).toMatch(/managers/);

    const ok = await aob(
      ['approve', ticket.ticketId, 'approve', '--reason', 'fine', '--json'],
      as(managers),
    );
    expect(ok.code, ok.stderr).toBe(0);
    expect(json(ok)).toEqual({
      ticketId: ticket.ticketId,
      decision: 'approved',
      by: 'managers',
      reason: 'fine',
      runId: ticket.runId,
      drivenHere: false,
    });

    const run = await driver.done;
    expect(run.code, run.stderr).toBe(0);
    expect(json<RunJson>(run)).toMatchObject({
      runId: ticket.runId,
      status: 'completed',
      output: { decision: 'approved', paid: { decidedBy: 'managers', paid: true } },
    });

    const streamed = await follower.done;
    expect(streamed.code, streamed.stderr).toBe(0);
    const events = streamed.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { seq: number; type: string; runId: string });
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events[0]!.type).toBe('RunStarted');
    expect(events.at(-1)!.type).toBe('RunCompleted');
    expect(events.find((e) => e.type === 'ApprovalDecided')).toMatchObject({
      data: { by: 'managers', reason: 'fine' },
    });

    // The ticket is decided now: a second decision is a conflict (409 → exit 2, explained).
    const again = await aob(['approve', ticket.ticketId, 'reject', '--json'], as(managers));
    expect(again.code).toBe(2);
    expect(json<ErrorJson>(again).error.code).toBe('TICKET_DECIDED');
    expect(json<ErrorJson>(again).error.message).toMatch(/changed meanwhile/);

    // The history of a finished run, without following.
    const history = await aob(
      ['logs', 'stream', ticket.runId, '--no-follow', '--json'],
      as(viewer),
    );
    expect(history.code).toBe(0);
    expect(history.stdout.trim().split('\n')).toHaveLength(events.length);
  });

  it('proposes a patch with --json as the token subject, and refuses --author', async () => {
    const started = json<RunJson>(
      await aob(
        ['run', 'start', 'expense-approval', '--input', 'amount=9', '--detach', '--json'],
        as(root),
      ),
    );
    expect(started.status).toBe('waiting');
    const ops = join(home, 'audit.json');
    writeFileSync(
      ops,
      JSON.stringify([
        {
          op: 'add',
          path: '/nodes/-',
          value: { id: 'audit', type: 'transform', with: { value: 'seen' } },
        },
        { op: 'add', path: '/edges/-', value: { from: 'check', to: 'audit' } },
      ]),
    );
    const withAuthor = await aob(
      ['patch', 'propose', started.runId, ops, '--author', 'mallory', '--json'],
      as(root),
    );
    expect(withAuthor.code).toBe(2);
    expect(json<ErrorJson>(withAuthor).error.problems?.[0]?.path).toBe('--author');

    const applied = await aob(
      ['patch', 'propose', started.runId, ops, '--rationale', 'audit trail', '--json'],
      as(root),
    );
    expect(applied.code, applied.stderr).toBe(0);
    expect(json(applied)).toMatchObject({
      scope: 'run',
      target: started.runId,
      status: 'applied',
      author: json<{ subject: string }>(await aob(['whoami', '--json'], as(root))).subject,
      rationale: 'audit trail',
      violations: [],
      diff: { nodesAdded: ['audit'], edgesAdded: ['check → audit'] },
    });
    const listed = json<{ patchId: string; status: string }[]>(
      await aob(['patch', 'list', '--run', started.runId, '--json'], as(viewer)),
    );
    expect(listed.map((p) => p.status)).toEqual(['applied']);

    // A viewer may read but not propose.
    const byViewer = await aob(['patch', 'propose', started.runId, ops, '--json'], as(viewer));
    expect(byViewer.code).toBe(2);
    expect(json<ErrorJson>(byViewer).error.code).toBe('FORBIDDEN');
  });

  it('an admin reassigns a ticket; the new approver decides it, the old one no longer may', async () => {
    const started = json<RunJson>(
      await aob(
        ['run', 'start', 'expense-approval@1', '--input', 'amount=3', '--detach', '--json'],
        as(root),
      ),
    );
    const ticket = json<Ticket[]>(await aob(['approvals', 'list', '--json'], as(root))).find(
      (t) => t.runId === started.runId,
    )!;
    const byViewer = await aob(
      ['approvals', 'reassign', ticket.ticketId, '--to', 'vic'],
      as(viewer),
    );
    expect(byViewer.code).toBe(2);
    const moved = await aob(
      [
        'approvals',
        'reassign',
        ticket.ticketId,
        '--to',
        'root,group:finance',
        '--reason',
        'away',
        '--json',
      ],
      as(root),
    );
    expect(moved.code, moved.stderr).toBe(0);
    expect(json(moved)).toMatchObject({
      ticketId: ticket.ticketId,
      approvers: ['root', 'group:finance'],
    });
    const old = await aob(['approve', ticket.ticketId, 'approve', '--json'], as(managers));
    expect(old.code).toBe(2);
    const now = await aob(
      ['approve', ticket.ticketId, 'reject', '--reason', 'no', '--json'],
      as(root),
    );
    expect(now.code, now.stderr).toBe(0);
    // The decision is recorded; the cluster (here aob dev) then carries the run to its end.
    const run = await until('the rejected run to complete', async () => {
      const r = json<RunJson>(await aob(['run', 'get', started.runId, '--json'], as(root)));
      return r.status === 'completed' ? r : undefined;
    });
    expect(run.nodes.notifyRejected?.status).toBe('succeeded');
    const log = (await aob(['logs', 'stream', started.runId, '--no-follow'], as(viewer))).stdout;
    expect(log).toMatch(/ApprovalReassigned +ticket \S+ to root, group:finance by \S+: away/);
  });

  it('logs stream picks the feed up after the connection drops, losing and repeating nothing', async () => {
    // A proxy between aob and aob dev that cuts the first timeline connection once events flowed.
    const upstream = new URL(url);
    const timelineRequests: string[] = [];
    const sockets = new Set<Socket>();
    let cut = false;
    const proxy: Server = createServer((client) => {
      const server = connect(Number(upstream.port), upstream.hostname);
      sockets.add(client).add(server);
      let timeline = false;
      client.on('data', (d: Buffer) => {
        const head = d.toString('latin1');
        if (/^GET \S*\/timeline/.test(head)) {
          timeline = true;
          timelineRequests.push(head);
        }
      });
      server.on('data', () => {
        if (timeline && !cut) {
          cut = true;
          setTimeout(() => {
            client.destroy();
            server.destroy();
          }, 300);
        }
      });
      client.pipe(server).on('error', () => undefined);
      server.pipe(client).on('error', () => undefined);
      client.on('error', () => undefined);
      server.on('error', () => undefined);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const via = (token: string) => ({
      ...as(token),
      AOB_SERVER: `http://127.0.0.1:${(proxy.address() as { port: number }).port}`,
    });
    try {
      const started = json<RunJson>(
        await aob(
          ['run', 'start', 'expense-approval', '--input', 'amount=11', '--detach', '--json'],
          as(root),
        ),
      );
      const follower = start(['logs', 'stream', started.runId, '--json'], via(viewer));
      await until('the first timeline connection to be cut', async () => (cut ? true : undefined));
      await until('the follower to reconnect', async () =>
        timelineRequests.length >= 2 ? true : undefined,
      );
      const ticket = json<Ticket[]>(await aob(['approvals', 'list', '--json'], as(root))).find(
        (t) => t.runId === started.runId,
      )!;
      expect(
        (await aob(['approve', ticket.ticketId, 'approve', '--json'], as(managers))).code,
      ).toBe(0);
      const r = await follower.done;
      expect(r.code, r.stderr).toBe(0);
      const seqs = r.stdout
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { seq: number }).seq);
      expect(seqs).toEqual(seqs.map((_, i) => i + 1));
      expect(r.stdout).toContain('"RunCompleted"');
      // The second request resumed after the last event the first one delivered.
      const resumedAfter = /last-event-id: (\d+)/i.exec(timelineRequests[1]!)?.[1];
      expect(Number(resumedAfter)).toBeGreaterThan(0);
      expect(seqs).toContain(Number(resumedAfter) + 1);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => proxy.close(r));
    }
  });

  it('bad input is exit 2 with every problem the server named; unknown ids are exit 2', async () => {
    const bad = await aob(
      [
        'run',
        'start',
        'expense-approval',
        '--input',
        'amount="lots"',
        '--input',
        'timeoutMs=1.5',
        '--json',
      ],
      as(root),
    );
    expect(bad.code, bad.stderr).toBe(2);
    const problems = json<ErrorJson>(bad).error.problems ?? [];
    expect(problems.length).toBeGreaterThanOrEqual(2);

    const missing = await aob(['run', 'get', 'run_nope', '--json'], as(viewer));
    expect(missing.code).toBe(2);
    expect(json<ErrorJson>(missing).error.code).toBe('RUN_NOT_FOUND');

    const noWorkflow = await aob(['run', 'start', 'no-such-workflow', '--json'], as(root));
    expect(noWorkflow.code).toBe(2);
  });

  it('serves /metrics without a token to a loopback client: the runs and attempts of this process', async () => {
    const file = join(home, 'metered.json');
    writeFileSync(
      file,
      JSON.stringify({
        name: 'metered-dev',
        version: '1',
        nodes: [{ id: 'double', type: 'transform', with: { value: '{% inputs.n * 2 %}' } }],
        output: '{% nodes.double.output %}',
      }),
    );
    const run = await aob(['run', 'start', file, '--input', 'n=21', '--json'], as(root));
    expect(run.code, run.stderr).toBe(0);
    expect(json<RunJson>(run)).toMatchObject({ status: 'completed', output: 42 });
    const res = await fetch(`${url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const m = parsePrometheusText(await res.text());
    expect(m.get('target_info')?.samples[0]?.labels.service_name).toBe('aob-dev');
    expect(valueOf(m, 'aob_runs_started_total', { workflow: 'metered-dev' })).toBe(1);
    expect(
      valueOf(m, 'aob_runs_ended_total', { workflow: 'metered-dev', status: 'completed' }),
    ).toBe(1);
    expect(
      histogramOf(m, 'aob_node_attempt_duration_seconds', {
        type: 'transform',
        outcome: 'succeeded',
      })?.count,
    ).toBeGreaterThanOrEqual(1);
    expect(histogramOf(m, 'aob_queue_lag_seconds', { priority: 'medium' })?.count).toBeGreaterThan(
      0,
    );
    // The local topology has no outbox or durable timers: those gauges are the cluster's.
    expect(m.has('aob_outbox_backlog')).toBe(false);
  });

  it('stops on SIGINT with exit 0; the CLI then says the server is unreachable (exit 3)', async () => {
    dev.child.kill('SIGINT');
    const r = await dev.done;
    expect(r.code, r.stderr).toBe(0);
    const after = await aob(['run', 'list', '--json'], as(root));
    expect(after.code).toBe(3);
    expect(existsSync(join(home, 'must-stay-unused'))).toBe(false);
  });
});
