import type { AnyRunEvent } from '@aob/core';

/**
 * What the topology tests compare between two runs of one definition (the local engine and the
 * cluster): per node (and map iteration, `id[i]`), the types of the events about it in log
 * order. Logs are left out (how many lines a handler writes is its own business), and so is
 * every value: ids, times and content references differ between runs, the sequence does not.
 */
export function perNodeEvents(events: readonly AnyRunEvent[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const e of events) {
    if (e.type === 'NodeLog') continue;
    const d = e.data as { nodeId?: unknown; iteration?: unknown };
    if (typeof d.nodeId !== 'string') continue;
    const key = typeof d.iteration === 'number' ? `${d.nodeId}[${d.iteration}]` : d.nodeId;
    (out[key] ??= []).push(e.type);
  }
  return out;
}
