// Resuming a run whose lease another process holds: at once when that process is provably gone
// (this machine, no such process), else only once the lease lapses — a live process on this
// machine, or any process of another machine, keeps the run until then.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalEngine } from './local-engine.js';
import { leaseOwnerId } from './lease-owner.js';

const examples = fileURLToPath(new URL('../../../../examples/', import.meta.url));
const approval = JSON.parse(
  readFileSync(join(examples, 'approval', 'workflow.json'), 'utf8'),
) as unknown;
const handlersFile = join(examples, 'approval', 'handlers.mjs');

let home: string;
const engines: LocalEngine[] = [];
const children: ChildProcess[] = [];

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'aob-takeover-'));
});
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  await Promise.all(engines.splice(0).map((e) => e.close()));
  rmSync(home, { recursive: true, force: true });
});

async function open(): Promise<LocalEngine> {
  const engine = await LocalEngine.open({ home, handlersFile });
  engines.push(engine);
  return engine;
}

/** A run waiting on its approval, that no process drives (its starter closed). */
async function waitingRun(): Promise<string> {
  const starter = await LocalEngine.open({ home, handlersFile });
  try {
    const runId = await starter.control.start(approval, { amount: 7 });
    await starter.control.wait(runId, { untilSettled: true });
    return runId;
  } finally {
    await starter.close();
  }
}

async function idleProcess(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  children.push(child);
  await new Promise((resolve, reject) => child.once('spawn', resolve).once('error', reject));
  return child;
}

/** Resumes the run and answers how long that took, in ms. */
async function timedResume(engine: LocalEngine, runId: string): Promise<number> {
  const started = performance.now();
  await engine.resume(runId);
  return performance.now() - started;
}

describe('resuming a run leased by another process', () => {
  it('takes the run over at once when that process was killed (SIGKILL) on this machine', async () => {
    const runId = await waitingRun();
    const child = await idleProcess();
    const dead = leaseOwnerId('engine', child.pid!);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    const engine = await open();
    // A lease that would hold the run for another 30 s.
    expect(await engine.store.acquireLease(runId, dead, 30_000, Date.now())).toBe(true);

    expect(await timedResume(engine, runId)).toBeLessThan(2_000);
    const lease = await engine.store.getLease(runId);
    expect(lease?.owner).not.toBe(dead);
    expect(lease?.owner.split(':')[1]).toBe(String(process.pid));
    // And drives it: the approval decided here finishes the run.
    const [ticket] = await engine.control.approvals();
    await engine.control.approve(ticket!.ticketId, 'approved', 'ada');
    expect((await engine.control.wait(runId, { timeoutMs: 10_000 })).status).toBe('completed');
  });

  it('waits for the lease of a live process of this machine to lapse', async () => {
    const runId = await waitingRun();
    const child = await idleProcess();
    const live = leaseOwnerId('engine', child.pid!);
    const engine = await open();
    expect(await engine.store.acquireLease(runId, live, 1_500, Date.now())).toBe(true);

    expect(await timedResume(engine, runId)).toBeGreaterThanOrEqual(1_300);
    expect((await engine.store.getLease(runId))?.owner).not.toBe(live);
  });

  it('waits for the lease of a process of another machine to lapse, whatever its pid', async () => {
    const runId = await waitingRun();
    const child = await idleProcess();
    const elsewhere = leaseOwnerId('engine', child.pid!).replace(/^[^:]*/, 'another-machine');
    child.kill('SIGKILL');
    const engine = await open();
    expect(await engine.store.acquireLease(runId, elsewhere, 1_500, Date.now())).toBe(true);

    expect(await timedResume(engine, runId)).toBeGreaterThanOrEqual(1_300);
    expect((await engine.store.getLease(runId))?.owner).not.toBe(elsewhere);
  });
});
