// `aob run get <run> --node <id>`: one node as a person inspects it. Large values are cut to a
// screenful with a note saying how much was left out; `--full` prints them whole.
import type { NodeDetail } from '@aob/engine';
import { formatDuration, formatError, table } from './render.js';

/** What a value may take on screen before it is cut (unless --full). */
export const VALUE_LIMIT = { lines: 40, chars: 4_000 } as const;

export function formatNodeDetails(d: NodeDetail, opts: { full: boolean }): string[] {
  const lines = [
    `node:     ${d.nodeId} (${d.type}) of ${d.runId}`,
    `status:   ${d.status}${d.reused ? ` (reused: ${d.reused})` : ''}`,
    `attempts: ${d.attempts}`,
  ];
  if (d.map) {
    lines.push(`items:    ${d.map.done}/${d.map.total} done, ${d.map.failed} failed`);
  }
  if (d.childRunId) lines.push(`child:    ${d.childRunId} (aob run get ${d.childRunId})`);
  if (d.ticketId) lines.push(`ticket:   ${d.ticketId}`);
  if (d.error) lines.push(`error:    ${formatError(d.error)}`);
  if (d.history.length > 0) {
    lines.push('history:');
    const rows = d.history.map((a) => [
      a.iteration === undefined ? `#${a.attempt}` : `[${a.iteration}] #${a.attempt}`,
      a.outcome,
      a.startedAt !== undefined && a.endedAt !== undefined
        ? formatDuration(a.endedAt - a.startedAt)
        : '',
      a.error ? formatError(a.error) : '',
    ]);
    for (const row of table(rows)) lines.push(`  ${row}`);
  }
  lines.push(...valueBlock('input', d.input, d.inputRef, opts.full));
  lines.push(...valueBlock('output', d.output, d.outputRef, opts.full));
  return lines;
}

function valueBlock(
  label: string,
  value: unknown,
  ref: string | undefined,
  full: boolean,
): string[] {
  if (ref === undefined) return [`${label}:`.padEnd(10) + '(none yet)'];
  const text = JSON.stringify(value, null, 2) ?? 'undefined';
  if (full) return [`${label}:`, ...indent(text.split('\n'))];
  const { shown, omitted } = truncate(text);
  const out = [`${label}:`, ...indent(shown)];
  if (omitted > 0) {
    out.push(
      `  … ${omitted.toLocaleString('en-US')} more characters (${ref}); --full prints it whole`,
    );
  }
  return out;
}

/** The first lines of `text` within VALUE_LIMIT, and how many characters were left out. */
export function truncate(text: string): { shown: string[]; omitted: number } {
  const lines = text.split('\n');
  const shown: string[] = [];
  let used = 0;
  for (const line of lines) {
    if (shown.length >= VALUE_LIMIT.lines || used + line.length > VALUE_LIMIT.chars) {
      if (shown.length === 0) shown.push(line.slice(0, VALUE_LIMIT.chars));
      break;
    }
    shown.push(line);
    used += line.length + 1;
  }
  const kept = shown.reduce((n, l) => n + l.length + 1, 0);
  return { shown, omitted: Math.max(0, text.length - kept + 1) };
}

const indent = (ls: readonly string[]) => ls.map((l) => `  ${l}`);
