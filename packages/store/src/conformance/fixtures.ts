// Fixtures the store conformance suites share: events, patch records, a store opener that
// closes what each test opened.
import { afterEach } from 'vitest';
import type { AnyNewEvent, CasRef } from '@aob/core';
import type { WorkflowPatchRecord } from '../port.js';

export const IR = 'ir-1';
export const ref = (n: number): CasRef => ({
  $cas: `sha256:${n.toString(16).padStart(64, '0')}`,
  size: n,
});

export const started = (
  at: number,
  opts: { name?: string; parent?: string; namespace?: string } = {},
): AnyNewEvent => ({
  type: 'RunStarted',
  at,
  data: {
    workflow: { name: opts.name ?? 'demo', version: '1.0.0' },
    inputs: ref(1),
    ...(opts.parent === undefined ? {} : { parent: { runId: opts.parent, nodeId: 'call' } }),
    ...(opts.namespace === undefined ? {} : { namespace: opts.namespace }),
  },
});

export const log = (at: number, message = 'hello'): AnyNewEvent => ({
  type: 'NodeLog',
  at,
  data: { nodeId: 'a', attempt: 1, level: 'info', message },
});

/** A held patch with only the required fields. */
export const patch = (patchId: string, workflow = 'flow'): WorkflowPatchRecord => ({
  patchId,
  workflow,
  baseVersion: '3',
  status: 'held',
  author: 'agent:planner',
  ops: [{ op: 'add', path: '/nodes/-', value: { id: 'x', 'dup-ish': '42' } }],
  violations: [],
  baseIrHash: 'sha256:base',
  proposedAt: 100,
});

/** A patch with every optional field set. */
export const fullPatch = (patchId: string, workflow = 'flow'): WorkflowPatchRecord => ({
  ...patch(patchId, workflow),
  version: '3.p1',
  status: 'applied',
  rationale: 'retry the flaky step — ünï ☃',
  violations: [{ code: 'W1', path: '/nodes/2', message: 'loose "edge"' }],
  reasons: [{ code: 'R1', path: '/nodes/-', message: 'adds a tool call' }],
  irHash: 'sha256:patched',
  decidedAt: 200,
  decidedBy: 'user:ada',
  reason: 'looks right',
});

export const codeOf = async (p: Promise<unknown>): Promise<string | undefined> => {
  try {
    await p;
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code;
  }
};

/** Returns `open()`: a fresh store from `make` for one test, closed after it. */
export function opener<S extends { close(): Promise<void> }>(
  make: () => Promise<S>,
): () => Promise<S> {
  const opened: S[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
  });
  return async () => {
    const store = await make();
    opened.push(store);
    return store;
  };
}
