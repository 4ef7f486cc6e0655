import type { GraphDiff, PatchView } from '@aob/engine';
import { formatProblem } from './render.js';

/** The human form of a patch: verdict, violations, and what it changed in the graph. */
export function formatPatch(p: PatchView, diff?: GraphDiff): string[] {
  const lines = [
    `patch ${p.patchId}  run ${p.runId}  ${p.status}`,
    `author: ${p.author}${p.rationale ? `  rationale: ${p.rationale}` : ''}`,
    `ops: ${p.ops.length}`,
    ...p.ops.map((op) => `  ${JSON.stringify(op)}`),
  ];
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
