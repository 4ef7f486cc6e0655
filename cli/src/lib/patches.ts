import type { GraphDiff, PatchView } from '@aob/engine';
import { ExitCode } from './exit-codes.js';
import { formatProblem } from './render.js';

/** 0 applied (or reverted), 4 held for a reviewer, 1 rejected. */
export function verdictExit(status: PatchView['status']): number {
  if (status === 'applied' || status === 'reverted') return ExitCode.Ok;
  if (status === 'held' || status === 'proposed') return ExitCode.StillWaiting;
  return ExitCode.Failed;
}

/** The human form of a patch: verdict, violations, and what it changed in the graph. */
export function formatPatch(p: PatchView, diff?: GraphDiff): string[] {
  const lines = [
    `patch ${p.patchId}  ${p.scope} ${p.target}  ${p.status}${p.version ? `  → ${p.version}` : ''}`,
    `author: ${p.author}${p.rationale ? `  rationale: ${p.rationale}` : ''}`,
    ...(p.reviewedBy !== undefined
      ? [`reviewed by: ${p.reviewedBy}${p.reason ? `  reason: ${p.reason}` : ''}`]
      : []),
    `ops: ${p.ops.length}`,
    ...p.ops.map((op) => `  ${JSON.stringify(op)}`),
  ];
  if (p.status === 'held' && p.reasons) {
    lines.push(
      `held for a reviewer${p.reviewers?.length ? ` (${p.reviewers.join(', ')})` : ''}: aob patch approve|reject ${p.patchId}`,
      ...p.reasons.map((r) => `  ${formatProblem(r)}`),
    );
  }
  if (p.violations.length > 0) {
    lines.push(
      `violations: ${p.violations.length}`,
      ...p.violations.map((v) => `  ${formatProblem(v)}`),
    );
  }
  if (diff) {
    lines.push('graph diff:');
    for (const id of diff.nodesAdded) lines.push(`  + node ${id}`);
    for (const id of diff.nodesRemoved) lines.push(`  - node ${id}`);
    for (const id of diff.nodesChanged) lines.push(`  ~ node ${id}`);
    for (const e of diff.edgesAdded) lines.push(`  + edge ${e}`);
    for (const e of diff.edgesRemoved) lines.push(`  - edge ${e}`);
    if (diff.outputChanged) lines.push('  ~ output');
  }
  return lines;
}
