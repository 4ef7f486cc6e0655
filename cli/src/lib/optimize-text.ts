// The human form of an optimizer report (`aob workflow optimize`): each pass with its time and
// error, each proposal with its verdict, rationale, operations, violations and graph diff.
import type { GraphDiff } from '@aob/engine';
import { diffDefinitions } from '@aob/client';
import type { OptimizeReport, ProposalReport } from '@aob/optimizer';
import { formatProblem } from './render.js';

export function proposalDiff(p: ProposalReport): GraphDiff | undefined {
  return p.after ? diffDefinitions(p.before, p.after) : undefined;
}

export function formatOptimizeReport(report: OptimizeReport): string[] {
  const lines: string[] = [];
  for (const pass of report.passes) {
    const mine = report.proposals.filter((p) => p.pass === pass.pass);
    const head = `pass ${pass.pass}${pass.builtin ? '' : ' (user)'}: ${mine.length} proposal${mine.length === 1 ? '' : 's'}, ${pass.rounds} round${pass.rounds === 1 ? '' : 's'}, ${pass.ms.toFixed(0)} ms`;
    lines.push(pass.error ? `${head}  FAILED ${pass.error.code}: ${pass.error.message}` : head);
    for (const p of mine) lines.push(...formatProposal(p));
  }
  const applied = report.proposals.filter((p) => p.status === 'applied').length;
  lines.push(
    `${applied} of ${report.proposals.length} proposal${report.proposals.length === 1 ? '' : 's'} would apply; the optimizer took ${report.ms.toFixed(0)} ms`,
  );
  return lines;
}

function formatProposal(p: ProposalReport): string[] {
  const lines = [`  ${p.author}  ${p.status}`, `    rationale: ${p.rationale}`];
  lines.push(...p.ops.map((op) => `    ${JSON.stringify(op)}`));
  for (const r of p.reasons ?? []) lines.push(`    held: ${formatProblem(r)}`);
  for (const v of p.violations) lines.push(`    violation: ${formatProblem(v)}`);
  const diff = proposalDiff(p);
  if (diff) {
    for (const id of diff.nodesAdded) lines.push(`    + node ${id}`);
    for (const id of diff.nodesRemoved) lines.push(`    - node ${id}`);
    for (const id of diff.nodesChanged) lines.push(`    ~ node ${id}`);
    for (const e of diff.edgesAdded) lines.push(`    + edge ${e}`);
    for (const e of diff.edgesRemoved) lines.push(`    - edge ${e}`);
    if (diff.outputChanged) lines.push('    ~ output');
  }
  return lines;
}
