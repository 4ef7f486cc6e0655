// Text rendering for people: event lines, run summaries, problem lists, tables. Pure functions.
import type { AnyRunEvent, ErrorData, Problem } from '@aob/core';
import type { ApprovalView, NamespaceBudgetView, RunView } from '@aob/engine';

/** One problem per line: `path: message [CODE]`. */
export function formatProblem(p: Problem): string {
  return `${p.path || '/'}: ${p.message} [${p.code}]`;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)}s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return `${m}m${String(s).padStart(2, '0')}s`;
}

export function formatOffset(ms: number): string {
  return `+${(Math.max(0, ms) / 1000).toFixed(3)}s`;
}

export function formatError(e: ErrorData): string {
  return `${e.code}: ${e.message}`;
}

/** The node an event is about, if any (`id[iteration]` for map iterations). */
export function eventNodeId(e: AnyRunEvent): string | undefined {
  const data = e.data as { nodeId?: unknown; iteration?: unknown };
  if (typeof data.nodeId !== 'string') return undefined;
  return typeof data.iteration === 'number' ? `${data.nodeId}[${data.iteration}]` : data.nodeId;
}

export function eventDetail(e: AnyRunEvent): string {
  switch (e.type) {
    case 'RunStarted': {
      const d = e.data;
      let s = `workflow ${d.workflow.name}@${d.workflow.version}`;
      if (d.replay) s += ` (replay of ${d.replay.of} from ${d.replay.fromNode}, ${d.replay.mode})`;
      if (d.parent) s += ` (child of ${d.parent.runId}/${d.parent.nodeId})`;
      return s;
    }
    case 'NodeScheduled':
      return `#${e.data.attempt}${e.data.items !== undefined ? ` over ${e.data.items} items` : ''}`;
    case 'NodeStarted':
      return `#${e.data.attempt}`;
    case 'NodeSucceeded':
      return `#${e.data.attempt}${e.data.reused ? ` (${e.data.reused})` : ''}${e.data.usage ? ` ${e.data.usage.promptTokens}+${e.data.usage.completionTokens} tokens` : ''}`;
    case 'NodeFailed': {
      const tags = [e.data.final ? 'final' : 'will retry'];
      if (e.data.handled) tags.push('handled');
      // What the attempt spent before it failed (a subworkflow node's: its child run's).
      const spent = e.data.usage
        ? ` · ${e.data.usage.promptTokens}+${e.data.usage.completionTokens} tokens`
        : '';
      return `#${e.data.attempt} ${formatError(e.data.error)}${spent} (${tags.join(', ')})`;
    }
    case 'NodeRetryScheduled':
      return `#${e.data.attempt} in ${formatDuration(e.data.delayMs)}`;
    case 'NodeRedispatched':
      return `#${e.data.attempt} sent again, ${formatDuration(e.data.overdueMs)} past its deadline`;
    case 'NodeSkipped':
      return e.data.reason;
    case 'NodeLog':
      return `[${e.data.level}] ${e.data.message}`;
    case 'TimerScheduled':
      return `${e.data.purpose} ${e.data.timerId} due ${new Date(e.data.dueAt).toISOString()}`;
    case 'TimerFired':
      return e.data.timerId;
    case 'ApprovalRequested':
      return `ticket ${e.data.ticketId} for ${e.data.approvers.join(', ') || 'anyone'}${e.data.message !== undefined ? `: ${JSON.stringify(e.data.message)}` : ''}`;
    case 'ApprovalEscalated':
      return `ticket ${e.data.ticketId} to ${e.data.approvers.join(', ')}`;
    case 'ApprovalDecided':
      return `ticket ${e.data.ticketId} ${e.data.decision} by ${e.data.by}${e.data.timedOut ? ' (timed out)' : ''}${e.data.reason ? `: ${e.data.reason}` : ''}`;
    case 'ApprovalReassigned':
      return `ticket ${e.data.ticketId} to ${e.data.approvers.join(', ')} by ${e.data.by}${e.data.reason ? `: ${e.data.reason}` : ''}`;
    case 'QuestionAsked': {
      const d = e.data;
      const choices = d.choices ? ` [${d.choices.map((c) => JSON.stringify(c)).join(' | ')}]` : '';
      const who = d.askees.join(', ') || 'anyone';
      return `${d.questionId} for ${who}${d.resume ? ' (agent suspended)' : ''}: ${JSON.stringify(d.question)}${choices}`;
    }
    case 'QuestionAnswered':
      return `${e.data.questionId} by ${e.data.by}${e.data.timedOut ? ' (timed out)' : ''}: ${formatGlimpse(e.data.answer, 80)}`;
    case 'PatchProposed':
      return e.data.patchId;
    case 'PatchHeld':
      return `${e.data.patchId} waits for a reviewer: ${e.data.reasons.map(formatProblem).join('; ')}`;
    case 'PatchRejected':
      return e.data.reviewedBy !== undefined && e.data.violations.length === 0
        ? `${e.data.patchId} by ${e.data.reviewedBy}${e.data.reason ? `: ${e.data.reason}` : ''}`
        : `${e.data.patchId}: ${e.data.violations.map(formatProblem).join('; ')}`;
    case 'PatchApplied':
      return `${e.data.patchId} -> ${e.data.irHash}${e.data.reviewedBy !== undefined ? ` (approved by ${e.data.reviewedBy})` : ''}`;
    case 'PatchReverted':
      return `${e.data.patchId} -> ${e.data.irHash}`;
    case 'ChildRunStarted':
      return `${e.data.childRunId} (${e.data.workflow})`;
    case 'RunWaiting': {
      const on = [...e.data.tickets, ...(e.data.questions ?? [])];
      if (e.data.budget) on.push('a raise of its budget (aob budget raise)');
      return `on ${on.join(', ')}`;
    }
    case 'BudgetExceeded':
      return `${e.data.limit} ${e.data.used} over ${e.data.budget} (${e.data.onExceeded})`;
    case 'BudgetRaised': {
      const limits = Object.entries(e.data.budget).map(([k, v]) => `${k}=${String(v)}`);
      return `to ${limits.join(', ')} by ${e.data.by}${e.data.reason ? `: ${e.data.reason}` : ''}`;
    }
    case 'RunCompleted':
      return '';
    case 'RunFailed':
      return `${formatError(e.data.error)}${e.data.nodeId ? ` (node ${e.data.nodeId})` : ''}`;
    case 'RunCancelled':
      return [e.data.by ? `by ${e.data.by}` : '', e.data.reason ?? ''].filter(Boolean).join(': ');
  }
}

/** `+0.012s  fetch  NodeSucceeded  #1` — the timeline line for one event. */
export function formatEventLine(e: AnyRunEvent, t0: number, prefix = ''): string {
  const node = eventNodeId(e) ?? '-';
  const detail = eventDetail(e);
  return `${prefix}${formatOffset(e.at - t0).padStart(9)}  ${node.padEnd(16)} ${e.type.padEnd(19)}${detail ? ` ${detail}` : ''}`.trimEnd();
}

/** Compact JSON cut to `max` characters, for a value shown inside a line. */
export function formatGlimpse(v: unknown, max: number): string {
  const one = JSON.stringify(v) ?? 'undefined';
  return one.length <= max ? one : `${one.slice(0, max - 1)}…`;
}

/** Compact JSON for one line, or pretty JSON when it is long. */
export function formatValue(v: unknown, pretty = false): string {
  const one = JSON.stringify(v) ?? 'undefined';
  if (!pretty || one.length <= 100) return one;
  return JSON.stringify(v, null, 2);
}

/** What a script reading plain text needs: run id, status, output (or error, or what it waits on). */
export function formatRunSummary(view: RunView): string[] {
  const lines = [`run:    ${view.runId}`, `status: ${view.status}`];
  if (view.replayOf) lines.push(`replay: of ${view.replayOf} from ${view.fromNode ?? '?'}`);
  if (view.output !== undefined) lines.push(`output: ${formatValue(view.output)}`);
  if (view.error) lines.push(`error:  ${formatError(view.error)}`);
  const waiting = [...(view.waitingOn ?? []), ...(view.questions ?? [])];
  if (waiting.length > 0) lines.push(`waiting on: ${waiting.join(', ')}`);
  return lines;
}

/** The closing line of a live timeline. */
export function formatFinalLine(view: RunView, now: number): string {
  const took = formatDuration((view.endedAt ?? now) - view.startedAt);
  switch (view.status) {
    case 'completed':
      return `✔ run ${view.runId} completed in ${took}`;
    case 'failed':
      return `✖ run ${view.runId} failed after ${took}${view.error ? `: ${formatError(view.error)}` : ''}`;
    case 'cancelled':
      return `✖ run ${view.runId} cancelled after ${took}`;
    case 'waiting':
      return `… run ${view.runId} waiting on ${[...(view.waitingOn ?? []), ...(view.questions ?? [])].join(', ') || 'a person'} (${took} so far)`;
    case 'running':
      return `… run ${view.runId} still running (${took} so far)`;
  }
}

/** Hints printed to stderr, on a TTY, when a command returns before the run is over. */
export function nextStepHints(view: RunView): string[] {
  const tickets = view.waitingOn ?? [];
  const questions = view.questions ?? [];
  if (view.status === 'waiting' && tickets.length + questions.length > 0) {
    return [
      ...tickets.map((t) => `  decide with: aob approve ${t} approve|reject`),
      ...questions.map(
        (q) => `  answer with: aob answer ${q} <answer> (see it: aob questions list)`,
      ),
    ];
  }
  if (view.status === 'running' || view.status === 'waiting') {
    return [`  follow with: aob logs stream ${view.runId}`];
  }
  return [];
}

/** The detailed text of `aob run get`. */
export function formatRunDetails(view: RunView, now: number): string[] {
  const lines = [
    `run:      ${view.runId}`,
    `workflow: ${view.workflow}`,
    `status:   ${view.status}`,
    `started:  ${new Date(view.startedAt).toISOString()}`,
  ];
  if (view.endedAt !== undefined) {
    lines.push(
      `ended:    ${new Date(view.endedAt).toISOString()} (${formatDuration(view.endedAt - view.startedAt)})`,
    );
  } else {
    lines.push(`elapsed:  ${formatDuration(now - view.startedAt)}`);
  }
  if (view.parentRunId) lines.push(`parent:   ${view.parentRunId}`);
  if (view.replayOf) lines.push(`replay:   of ${view.replayOf} from ${view.fromNode ?? '?'}`);
  const waiting = [...(view.waitingOn ?? []), ...(view.questions ?? [])];
  if (waiting.length > 0) lines.push(`waiting:  ${waiting.join(', ')}`);
  if (view.output !== undefined) lines.push(`output:   ${formatValue(view.output)}`);
  if (view.error) lines.push(`error:    ${formatError(view.error)}`);
  lines.push(...formatBudgetUsage(view, now));
  const nodes = Object.entries(view.nodes);
  if (nodes.length > 0) {
    lines.push('nodes:');
    for (const row of table(
      nodes.map(([id, n]) => [id, n.status, `${n.attempts} attempt${n.attempts === 1 ? '' : 's'}`]),
    )) {
      lines.push(`  ${row}`);
    }
  }
  return lines;
}

/**
 * `usage:    tokens 120/100 · cost $0.0123/$0.50 · nodes 3/40 · wall 2.10s/10m00s`: each measure
 * against its limit when the run has one (spending with no limit shows alone; a measure with
 * neither limit nor spending is left out), then the limit the run crossed, if it did.
 */
export function formatBudgetUsage(
  view: Pick<RunView, 'usage' | 'budget' | 'budgetExceeded' | 'startedAt' | 'endedAt'>,
  now: number,
): string[] {
  const { usage, budget = {} } = view;
  const wall = (view.endedAt ?? now) - view.startedAt;
  const dollars = (v: number) => `$${v < 0.01 && v > 0 ? v.toPrecision(2) : v.toFixed(2)}`;
  const parts: string[] = [];
  const part = (
    name: string,
    used: number,
    limit: number | undefined,
    fmt: (v: number) => string,
  ) => {
    if (limit === undefined && used === 0) return;
    parts.push(`${name} ${fmt(used)}${limit !== undefined ? `/${fmt(limit)}` : ''}`);
  };
  part('tokens', usage.tokens, budget.tokens, String);
  part('cost', usage.costUsd, budget.costUsd, dollars);
  part('nodes', usage.nodes, budget.nodes, String);
  if (budget.wallMs !== undefined) part('wall', wall, budget.wallMs, formatDuration);
  const lines = parts.length > 0 ? [`usage:    ${parts.join(' · ')}`] : [];
  if (usage.unpriced > 0)
    lines.push(
      `unpriced: ${usage.unpriced} attempt${usage.unpriced === 1 ? '' : 's'} (no price for the model in AOB_LLM_PRICES)`,
    );
  const x = view.budgetExceeded;
  if (x)
    lines.push(`exceeded: ${x.limit} (${x.used} over ${x.budget}; ${budget.onExceeded ?? 'fail'})`);
  return lines;
}

/** `namespace: acme` / `budget: tokens=1000 · nodes=40 · onExceeded=cancel` / `set: by at`. */
export function formatNamespaceBudget(v: NamespaceBudgetView): string[] {
  const b = v.budget;
  const limits = [
    b.tokens !== undefined ? `tokens=${b.tokens}` : '',
    b.costUsd !== undefined ? `cost=$${b.costUsd}` : '',
    b.wallMs !== undefined ? `wall=${formatDuration(b.wallMs)}` : '',
    b.nodes !== undefined ? `nodes=${b.nodes}` : '',
    `onExceeded=${b.onExceeded ?? 'fail'}`,
  ].filter(Boolean);
  return [
    `namespace: ${v.namespace}`,
    `budget:    ${limits.join(' · ')}`,
    `set:       by ${v.setBy} at ${new Date(v.setAt).toISOString()}`,
  ];
}

export function formatApprovers(t: Pick<ApprovalView, 'approvers' | 'quorum'>): string {
  const who = t.approvers.length > 0 ? t.approvers.join(',') : 'anyone';
  return t.quorum > 1 ? `${who} (quorum ${t.quorum})` : who;
}

/** Left-aligned columns, two spaces apart; the last column is not padded. */
export function table(rows: readonly (readonly string[])[], header?: readonly string[]): string[] {
  const all = header ? [header, ...rows] : [...rows];
  const widths: number[] = [];
  for (const row of all) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return all.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}
