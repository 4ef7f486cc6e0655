import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { aob, example, json, start, tempHome, until, untilFrom } from './helpers.js';
import type { Running } from './helpers.js';

interface RunJson {
  runId: string;
  status: string;
  output?: unknown;
  nodes: Record<string, { status: string; attempts: number }>;
}
interface Ticket {
  ticketId: string;
  runId: string;
  nodeId: string;
  status: string;
  approvers: string[];
}

let home: string;
let cleanup: () => void;
let env: Record<string, string>;
beforeEach(() => {
  ({ home, cleanup } = tempHome());
  env = { AOB_HOME: home, AOB_HANDLERS: example('approval/handlers.mjs') };
});
afterEach(() => cleanup());

const openTicket = (driver: Running) =>
  untilFrom(driver, 'an open approval ticket', async () => {
    const r = await aob(['approvals', 'list', '--json'], env);
    return json<Ticket[]>(r)[0];
  });

describe('two aob processes around an approval', () => {
  it('a run started in one terminal continues when another terminal approves it', async () => {
    const driver = start(
      ['run', 'start', example('approval/workflow.json'), '--input', 'amount=40', '--json'],
      env,
    );
    const ticket = await openTicket(driver);
    expect(ticket).toMatchObject({
      nodeId: 'approve',
      status: 'open',
      approvers: ['managers'],
      message: 'Pay an expense of 40 EUR?',
      input: { check: { amount: 40, ok: true } },
    });
    expect(Object.keys(ticket).sort()).toEqual([
      'approvers',
      'input',
      'message',
      'nodeId',
      'runId',
      'status',
      'ticketId',
    ]);

    const approve = await aob(
      ['approve', ticket.ticketId, 'approve', '--reason', 'ok by me', '--by', 'ada', '--json'],
      env,
    );
    expect(approve.code, approve.stderr).toBe(0);

    const result = await driver.done;
    expect(result.code, result.stderr).toBe(0);
    const run = json<RunJson>(result);
    expect(run.status).toBe('completed');
    expect(run.output).toEqual({ decision: 'approved', paid: { paid: true, decidedBy: 'ada' } });

    const again = await aob(['approve', ticket.ticketId, 'reject', '--json'], env);
    expect(again.code).toBe(2);
  });

  it('--detach exits 4 while waiting; the approver then drives the run to its end', async () => {
    const detached = await aob(
      [
        'run',
        'start',
        example('approval/workflow.json'),
        '--input',
        'amount=40',
        '--detach',
        '--json',
      ],
      env,
    );
    expect(detached.code, detached.stderr).toBe(4);
    const run = json<RunJson & { waitingOn?: string[] }>(detached);
    expect(run.status).toBe('waiting');
    const [ticketId] = run.waitingOn!;

    const reject = await aob(
      ['approve', ticketId!, 'reject', '--reason', 'too much', '--json'],
      env,
    );
    expect(reject.code, reject.stderr).toBeLessThanOrEqual(1);
    const after = json<RunJson>(await aob(['run', 'get', run.runId, '--json'], env));
    expect(after.status).toBe('completed');
    expect(after.output).toMatchObject({
      decision: 'rejected',
      notified: { notified: true, reason: 'too much' },
    });
  });

  it('cancel from another terminal ends a waiting run', async () => {
    const driver = start(
      ['run', 'start', example('approval/workflow.json'), '--input', 'amount=40', '--json'],
      env,
    );
    const ticket = await openTicket(driver);
    const cancel = await aob(['run', 'cancel', ticket.runId, '--reason', 'no longer needed'], env);
    expect(cancel.code, cancel.stderr).toBe(0);
    const result = await driver.done;
    expect(result.code).toBe(1);
    expect(json<RunJson>(result).status).toBe('cancelled');
  });
});

describe('kill -9 and aob run resume', () => {
  // Fidelity fast records no node's start: a scheduled node and a running one recover alike.
  it.each(['full', 'fast'] as const)(
    'continues the run with no finished node executed again (fidelity %s)',
    async (fidelity) => {
      const marks = join(home, 'marks.log');
      const handlers = join(home, 'slow-handlers.mjs');
      writeFileSync(
        handlers,
        `import { appendFileSync } from 'node:fs';
       const mark = (name) => appendFileSync(${JSON.stringify(marks)}, name + '\\n');
       export function fast() { mark('fast'); return 1; }
       export async function slow(input, ctx) { mark('slow'); await new Promise((r) => setTimeout(r, 1500)); return 2; }
       export function last() { mark('last'); return 3; }`,
      );
      const wf = join(home, 'slow.json');
      writeFileSync(
        wf,
        JSON.stringify({
          name: 'slow',
          version: '1',
          fidelity,
          nodes: [
            { id: 'fast', type: 'task', with: { handler: 'fast' } },
            { id: 'slow', type: 'task', with: { handler: 'slow' } },
            { id: 'last', type: 'task', with: { handler: 'last' } },
          ],
          edges: [
            { from: 'fast', to: 'slow' },
            { from: 'slow', to: 'last' },
          ],
        }),
      );
      const e = { ...env, AOB_HANDLERS: handlers };
      const victim = start(['run', 'start', wf, '--json'], e);
      await untilFrom(victim, 'the slow node to start', async () =>
        existsSync(marks) && readFileSync(marks, 'utf8').includes('slow') ? true : undefined,
      );
      victim.child.kill('SIGKILL');
      const killed = await victim.done;
      expect(killed.signal).toBe('SIGKILL');

      const [run] = json<{ runId: string; status: string }[]>(
        await aob(['run', 'list', '--json'], e),
      );
      expect(run!.status).toBe('running');
      // The dead process is gone (at once: it ran on this machine), and `run get` says so and how to
      // go on.
      const shown = await until('run get to say nobody drives the run', async () => {
        const g = await aob(['run', 'get', run!.runId], e);
        return g.stdout.includes('no process is driving this run') ? g.stdout : undefined;
      });
      expect(shown).toContain(`continue it with: aob run resume ${run!.runId}`);
      const t0 = Date.now();
      const resumed = await aob(['run', 'resume', run!.runId, '--json'], e);
      expect(resumed.code, resumed.stderr).toBe(0);
      const view = json<RunJson>(resumed);
      expect(view.status).toBe('completed');
      expect(view.output).toBe(3);
      const counts = readFileSync(marks, 'utf8')
        .trim()
        .split('\n')
        .reduce<Record<string, number>>((acc, n) => ({ ...acc, [n]: (acc[n] ?? 0) + 1 }), {});
      // fast finished before the kill: never again. slow was in flight: at most once more.
      expect(counts).toEqual({ fast: 1, slow: 2, last: 1 });
      expect(Date.now() - t0).toBeLessThan(15_000);
      const log = await aob(['logs', 'stream', run!.runId, '--no-follow', '--json'], e);
      const types = log.stdout
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as { type: string }).type);
      expect(types).toContain('NodeSucceeded');
      expect(types.includes('NodeStarted')).toBe(fidelity === 'full');
    },
  );
});

describe('a run remembers its handlers module (issue: resume without --handlers failed the run)', () => {
  const noHandlers = () => ({ AOB_HOME: home });

  function slowWorkflow(): { wf: string; handlers: string; marks: string } {
    const marks = join(home, 'marks.log');
    const handlers = join(home, 'h.mjs');
    writeFileSync(
      handlers,
      `import { appendFileSync } from 'node:fs';
       const mark = (name) => appendFileSync(${JSON.stringify(marks)}, name + '\\n');
       export async function step() { mark('step'); await new Promise((r) => setTimeout(r, 1500)); return 2; }
       export function last() { mark('last'); return 3; }`,
    );
    const wf = join(home, 'slow.json');
    writeFileSync(
      wf,
      JSON.stringify({
        name: 'slow',
        version: '1',
        nodes: [
          { id: 'long', type: 'task', with: { handler: 'step' } },
          { id: 'last', type: 'task', with: { handler: 'last' } },
        ],
        edges: [{ from: 'long', to: 'last' }],
      }),
    );
    return { wf, handlers, marks };
  }

  /** Starts the run, interrupts it with Ctrl-C mid-task, and returns the command it printed. */
  async function interrupted(wf: string, handlers: string, marks: string): Promise<string[]> {
    const victim = start(['run', 'start', wf, '--handlers', handlers], noHandlers());
    await untilFrom(victim, 'the long task to start', async () =>
      existsSync(marks) && readFileSync(marks, 'utf8').includes('step') ? true : undefined,
    );
    victim.child.kill('SIGINT');
    const stopped = await victim.done;
    const hint = /continue it with: (aob run resume \S+)/.exec(stopped.stderr)?.[1];
    expect(hint, stopped.stderr).toBeDefined();
    return hint!.split(' ').slice(1); // the printed command, without `aob`
  }

  it('Ctrl-C, then the printed resume command without --handlers, completes the run', async () => {
    const { wf, handlers, marks } = slowWorkflow();
    const command = await interrupted(wf, handlers, marks);
    const resumed = await aob([...command, '--json'], noHandlers());
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(json<RunJson>(resumed)).toMatchObject({ status: 'completed', output: 3 });
  });

  it('refuses with exit 2 and nothing changed when the handlers changed, and goes on once restored', async () => {
    const { wf, handlers, marks } = slowWorkflow();
    const command = await interrupted(wf, handlers, marks);
    const runId = command.at(-1)!;
    const logLength = async () =>
      (await aob(['logs', 'stream', runId, '--no-follow', '--json'], noHandlers())).stdout
        .trim()
        .split('\n').length;
    const before = await logLength();
    const original = readFileSync(handlers, 'utf8');
    writeFileSync(handlers, `${original}\nexport const extra = () => 0;\n`);
    const refused = await aob([...command, '--json'], noHandlers());
    expect(refused.code).toBe(2);
    const error = json<{ error: { code: string; message: string } }>(refused).error;
    expect(error.code).toBe('RUN_SETTINGS_MISMATCH');
    expect(error.message).toMatch(/has changed since/);
    // Nothing changed: the log is as it was, the run still running.
    expect(await logLength()).toBe(before);
    expect(json<RunJson>(await aob(['run', 'get', runId, '--json'], noHandlers())).status).toBe(
      'running',
    );

    writeFileSync(handlers, original);
    const resumed = await aob([...command, '--json'], noHandlers());
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(json<RunJson>(resumed).status).toBe('completed');
  });

  it('approve without --handlers carries a detached run on with the handlers it started with', async () => {
    const started = await aob(
      [
        'run',
        'start',
        example('approval/workflow.json'),
        '--input',
        'amount=40',
        '--handlers',
        example('approval/handlers.mjs'),
        '--detach',
        '--json',
      ],
      noHandlers(),
    );
    expect(started.code, started.stderr).toBe(4); // detached while waiting on a person
    const { runId } = json<RunJson>(started);
    const ticket = await until(
      'an open approval ticket',
      async () => json<Ticket[]>(await aob(['approvals', 'list', '--json'], noHandlers()))[0],
    );
    const decided = await aob(['approve', ticket.ticketId, 'reject', '--json'], noHandlers());
    expect(decided.code, decided.stderr).toBe(0);
    const view = await until('the run to end', async () => {
      const v = json<RunJson>(await aob(['run', 'get', runId, '--json'], noHandlers()));
      return v.status === 'running' || v.status === 'waiting' ? undefined : v;
    });
    expect(view.status).toBe('completed');
    expect(view.nodes.notifyRejected!.status).toBe('succeeded');
  });
});
