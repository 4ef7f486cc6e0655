// Whether a lease's owner is provably gone: only a process of this machine (and pid namespace)
// that no longer exists, or whose pid now belongs to a process started at another time.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { hostname } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { leaseOwnerId, ownerIsGone } from './lease-owner.js';

const children: ChildProcess[] = [];

/** A node process that idles until killed; resolves once it runs. */
async function idleProcess(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  children.push(child);
  await new Promise((resolve, reject) => child.once('spawn', resolve).once('error', reject));
  return child;
}

async function killHard(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

/** The owner id with its `index`th field replaced. */
function withField(owner: string, index: number, value: string): string {
  const fields = owner.split(':');
  fields[index] = value;
  return fields.join(':');
}

describe('lease owners', () => {
  it('name the host, the pid, the tag, and on Linux the start time and pid namespace', () => {
    const owner = leaseOwnerId('t1');
    const [host, pid, tag, start, pidns] = owner.split(':');
    expect([host, pid, tag]).toEqual([hostname(), String(process.pid), 't1']);
    expect(start).toMatch(/^\d+$/);
    expect(pidns).toMatch(/^\d+$/);
  });

  it('a process of this machine killed with SIGKILL is gone', async () => {
    const child = await idleProcess();
    const owner = leaseOwnerId('x', child.pid!);
    expect(ownerIsGone(owner)).toBe(false);
    await killHard(child);
    expect(ownerIsGone(owner)).toBe(true);
  });

  it('a live process is not gone, unless its pid now belongs to a process started at another time', async () => {
    const child = await idleProcess();
    const owner = leaseOwnerId('x', child.pid!);
    expect(ownerIsGone(owner)).toBe(false);
    // The same pid recorded with another start time: the pid was reused after the owner died.
    const start = Number(owner.split(':')[3]);
    expect(ownerIsGone(withField(owner, 3, String(start - 1)))).toBe(true);
  });

  it('this process, another engine of it included, is not gone; an earlier holder of its pid is', () => {
    const mine = leaseOwnerId('another-engine');
    expect(ownerIsGone(mine)).toBe(false);
    expect(ownerIsGone(withField(mine, 3, String(Number(mine.split(':')[3]) - 1)))).toBe(true);
  });

  it('cannot tell for another host, another pid namespace or an owner of another form', async () => {
    const child = await idleProcess();
    const owner = leaseOwnerId('x', child.pid!);
    await killHard(child);
    expect(ownerIsGone(owner)).toBe(true);
    expect(ownerIsGone(withField(owner, 0, `not-${hostname()}`))).toBe(false);
    expect(ownerIsGone(withField(owner, 4, '1'))).toBe(false);
    // The form before start times and namespaces were recorded: host:pid:tag.
    expect(ownerIsGone(owner.split(':').slice(0, 3).join(':'))).toBe(false);
    expect(ownerIsGone('p1')).toBe(false);
  });
});
