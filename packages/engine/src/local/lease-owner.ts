// Who holds a run's lease in the local topology, and whether that holder is provably gone.
//
// An owner is `host:pid:tag:start:pidns`: the machine's hostname, the process id, a tag telling
// engines of one process apart, and — on Linux — the process's start time (clock ticks since boot,
// /proc/<pid>/stat field 22) and its pid namespace (/proc/self/ns/pid), `-` where unknown.
//
// A lease is the rule: a run another process drives is taken over when its lease lapses. But a
// holder on this machine whose process no longer exists cannot renew, so waiting out its lease
// only delays recovery; `ownerIsGone` tells when that is certain, and the engine then takes the
// lease over at once. Every doubt answers "not gone" (wait for the lease, as before):
// - another host, or a lease whose owner string is not of this form: we cannot look;
// - another pid namespace on the same host name (containers sharing a store): its pids are not
//   ours to probe;
// - a pid that exists (even one we may not signal: EPERM) is alive — unless the start time recorded
//   in the owner differs from the running process's, which means the pid was reused by another
//   process after the owner died. Without /proc (macOS, …) reuse cannot be seen, and a reused pid
//   only means waiting for the lease, as before.
// The residual risk is the opposite mistake, taking a live owner's run: it needs the same host
// name, pid namespace, pid and start tick as a process that died, i.e. a pid reused within the
// same clock tick (10 ms) — or a host name shared by two machines that share one store.
import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';

const UNKNOWN = '-';

/** This process's start time in clock ticks since boot, from /proc; `-` where there is none. */
function startTicksOf(pid: number | 'self'): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count after its end.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? UNKNOWN;
  } catch {
    return UNKNOWN;
  }
}

function pidNamespace(pid: number | 'self' = 'self'): string {
  try {
    return /\[(\d+)\]/.exec(readlinkSync(`/proc/${pid}/ns/pid`))?.[1] ?? UNKNOWN;
  } catch {
    return UNKNOWN;
  }
}

interface ParsedOwner {
  host: string;
  pid: number;
  start: string;
  pidns: string;
}

function parseOwner(owner: string): ParsedOwner | undefined {
  const parts = owner.split(':');
  if (parts.length !== 5) return undefined;
  const [host, pid, , start, pidns] = parts as [string, string, string, string, string];
  if (!/^\d+$/.test(pid)) return undefined;
  return { host, pid: Number(pid), start, pidns };
}

/**
 * The owner id of a lease taken by this process (or, for tests, by the live process `pid` of this
 * machine); `tag` tells one process's engines apart.
 */
export function leaseOwnerId(tag: string, pid: number = process.pid): string {
  const self = pid === process.pid ? 'self' : pid;
  return [hostname(), pid, tag, startTicksOf(self), pidNamespace(self)].join(':');
}

/** True only when the owner ran on this machine and its process certainly no longer exists. */
export function ownerIsGone(owner: string): boolean {
  const o = parseOwner(owner);
  if (!o || o.host !== hostname()) return false;
  // Equal namespaces, or both unknown (no /proc: no namespaces to tell apart).
  if (o.pidns !== pidNamespace()) return false;
  try {
    process.kill(o.pid, 0);
  } catch (err) {
    // ESRCH: no such process. EPERM: it exists, owned by someone we may not signal.
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return true;
  }
  // The pid is in use: by the owner (this very process, for another of its engines), or by a
  // process that got the pid after the owner died — then its start time differs.
  const start = startTicksOf(o.pid);
  return o.start !== UNKNOWN && start !== UNKNOWN && start !== o.start;
}
