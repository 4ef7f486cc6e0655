// The tools that are one REST operation each: workflows, runs, nodes, approvals, questions and
// patches. Names are snake_case `<resource>_<verb>`; descriptions say what the tool does, what it
// answers and how it is refused, for the model that picks it.
import { apiTool, glimpse } from './api-tool.js';
import type { ToolSpec } from './tool-spec.js';
import { DESTROYS, READS, WRITES, WRITES_IDEMPOTENT } from './tool-spec.js';

type Answer = Record<string, unknown>;
const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
/** The most items a list's summary names, one a line (all are in the structured content). */
const SUMMARY_ITEMS = 20;

/** A page's summary: how many, one line per item (the first few), and the next cursor. */
function listed(noun: string, line: (item: Record<string, unknown>) => string) {
  return (a: Answer): string => {
    const items = (Array.isArray(a.items) ? a.items : []) as Record<string, unknown>[];
    const next = typeof a.nextCursor === 'string' ? `\nmore: pass cursor ${a.nextCursor}` : '';
    if (items.length === 0) return `no ${noun}${next}`;
    const lines = items.slice(0, SUMMARY_ITEMS).map((i) => `- ${line(i)}`);
    if (items.length > SUMMARY_ITEMS) lines.push(`- … ${items.length - SUMMARY_ITEMS} more`);
    return `${items.length} ${noun}:\n${lines.join('\n')}${next}`;
  };
}

export const API_TOOLS: readonly ToolSpec[] = [
  apiTool({
    name: 'workflow_validate',
    operationId: 'validateWorkflow',
    title: 'Validate a workflow definition',
    description:
      'Checks a workflow definition (JSON: {name, version, inputs?, nodes: [{id, type, with…}], edges?: [{from, to, on?, when?}], output?}) without registering or running it. Answers {valid, errors}: every problem with its JSON Pointer, code and message.',
    annotations: READS,
    summary: (a) =>
      a.valid
        ? 'valid'
        : `invalid: ${(a.errors as { path: string; message: string }[]).map((e) => `${e.path || '/'}: ${e.message}`).join('; ')}`,
  }),
  apiTool({
    name: 'workflow_register',
    operationId: 'registerWorkflow',
    title: 'Register a workflow version',
    description:
      'Registers a definition as name@version so runs can start it by name. The same definition again is a no-op; another definition under a registered version is refused with WORKFLOW_EXISTS (register a new version). An invalid one is refused with VALIDATION and every problem.',
    annotations: WRITES_IDEMPOTENT,
    summary: (a) => `registered ${str(a.name)}@${str(a.version)} (${str(a.irHash)})`,
  }),
  apiTool({
    name: 'workflow_list',
    operationId: 'listWorkflows',
    title: 'List registered workflows',
    description:
      'The registered workflow versions: name, version, content hash, when registered. Paged: pass nextCursor back as cursor.',
    annotations: READS,
    summary: listed('workflow versions', (w) => `${str(w.name)}@${str(w.version)}`),
  }),
  apiTool({
    name: 'workflow_show',
    operationId: 'showWorkflow',
    title: 'Show a workflow',
    description:
      'A registered workflow’s definition by ref (name, or name@version; without a version the newest). With patches (comma-separated workflow patch ids) the definition as those patches would make it.',
    annotations: READS,
    summary: (a) => {
      const d = a.definition as { name?: string; version?: unknown; nodes?: unknown[] };
      return `${d.name}@${String(d.version)}: ${d.nodes?.length ?? 0} nodes`;
    },
  }),
  apiTool({
    name: 'run_start',
    operationId: 'startRun',
    title: 'Start a run',
    description:
      'Starts a run of a registered workflow (workflow: name or name@version) or of a definition given whole, with inputs (valid against the workflow’s input schema) and an optional budget. Answers at once with the run id (pending: the cluster has it but no orchestrator has started it yet); follow it with run_wait or run_events. Refusals: VALIDATION (bad inputs or definition, every problem named), WORKFLOW_NOT_FOUND, FORBIDDEN.',
    annotations: WRITES,
    summary: (a) =>
      `started run ${str(a.runId)}${a.pending ? ' (pending: an orchestrator starts it shortly)' : ''}`,
    touches: (a) => str(a.runId),
  }),
  apiTool({
    name: 'run_get',
    operationId: 'getRun',
    title: 'Get a run',
    description:
      'A run: its status (running, waiting, completed, failed, cancelled), output or error, every node’s status and attempts, the approval tickets and questions it waits on, its usage and budget.',
    annotations: READS,
    summary: (a) => describeRun(a),
  }),
  apiTool({
    name: 'run_list',
    operationId: 'listRuns',
    title: 'List runs',
    description:
      'The runs of the caller’s namespace, newest first, optionally of some statuses (status: comma-separated, e.g. "failed,waiting"). Paged: pass nextCursor back as cursor.',
    annotations: READS,
    summary: listed('runs', (r) => `${str(r.runId)} ${str(r.workflow)} ${str(r.status)}`),
  }),
  apiTool({
    name: 'run_cancel',
    operationId: 'cancelRun',
    title: 'Cancel a run',
    description:
      'Cancels a run that is not over, with an optional reason: nodes in flight are stopped and compensations run. Answers the run after the cancel. A run already over is refused with RUN_TERMINAL.',
    annotations: DESTROYS,
    summary: (a) => describeRun(a),
    touches: (_a, args) => str(args.runId),
  }),
  apiTool({
    name: 'run_replay',
    operationId: 'replayRun',
    title: 'Replay a run from a node',
    description:
      'Starts a new run of the same workflow and inputs from fromNode: in mode "freeze" (default) the nodes before it keep their recorded outputs and are not run again; "live" runs everything again. Answers the new run’s id.',
    annotations: WRITES,
    summary: (a, args) =>
      `replay of ${str(args.runId)} from ${str(args.fromNode)}: run ${str(a.runId)}`,
    touches: (a) => str(a.runId),
  }),
  apiTool({
    name: 'node_output',
    operationId: 'getRunNode',
    title: 'Read a node of a run',
    description:
      'One node of a run: its status, resolved input and output, its error (code, message) and every attempt — what to read when a node failed or to take its output.',
    annotations: READS,
    summary: (a) => {
      const error = a.error as { code?: string; message?: string } | undefined;
      return `node ${str(a.nodeId)} ${str(a.status)}${error ? `: ${error.code ?? ''} ${error.message ?? ''}` : ''}${'output' in a ? `; output ${glimpse(a.output)}` : ''}`;
    },
  }),
  apiTool({
    name: 'approval_list',
    operationId: 'listApprovals',
    title: 'List approvals',
    description:
      'Approval tickets of the caller’s namespace (status "open", default, or "all"): the run and node waiting, what is asked, who may decide, when it times out.',
    annotations: READS,
    summary: listed(
      'approval tickets',
      (t) => `${str(t.ticketId)} (${str(t.status)}) run ${str(t.runId)}, node ${str(t.nodeId)}`,
    ),
  }),
  apiTool({
    name: 'approval_decide',
    operationId: 'decideApproval',
    title: 'Decide an approval',
    description:
      'Approves or rejects an open approval ticket (decision "approve" or "reject", optional reason); the run waiting on it goes on along the approved or rejected edge. Only approvers named on the ticket (or the namespace’s approvers) may decide; an agent never may (FORBIDDEN). A decided ticket is refused with TICKET_CLOSED.',
    annotations: WRITES,
    summary: (a) => `ticket ${str(a.ticketId)}: ${str(a.status)}`,
    touches: (a) => str(a.runId),
  }),
  apiTool({
    name: 'question_list',
    operationId: 'listQuestions',
    title: 'List questions',
    description:
      'Questions runs put to people (ask nodes, agents’ ask_user): open ones by default (status "all" for every one), of one run (run), or only those the caller may answer (mine). Each with its choices or JSON Schema and its askees.',
    annotations: READS,
    summary: listed(
      'questions',
      (q) =>
        `${str(q.questionId)} (${str(q.status)}) run ${str(q.runId)}, node ${str(q.nodeId)}: ${str(q.question)}`,
    ),
  }),
  apiTool({
    name: 'question_show',
    operationId: 'getQuestion',
    title: 'Show a question',
    description:
      'One question, open or not: its run and node, the question, its choices or schema, its askees, and once answered the answer and who gave it.',
    annotations: READS,
    summary: (a) => `question ${str(a.questionId)} (${str(a.status)}): ${str(a.question)}`,
  }),
  apiTool({
    name: 'question_answer',
    operationId: 'answerQuestion',
    title: 'Answer a question',
    description:
      'Answers an open question with any JSON value: one of its choices when it has some, valid against its JSON Schema when it has one. The run waiting on it goes on. Refusals, with nothing recorded: QUESTION_NOT_FOUND, QUESTION_CLOSED, BAD_ANSWER (every problem named under /answer), FORBIDDEN (not an askee; agents never answer).',
    annotations: WRITES,
    summary: (a) => `question ${str(a.questionId)} ${str(a.status)}; run ${str(a.runId)} goes on`,
    touches: (a) => str(a.runId),
  }),
  apiTool({
    name: 'patch_propose',
    operationId: 'proposePatch',
    title: 'Propose a patch',
    description:
      'Proposes a JSON Patch overlay to a running run (target: its run id) or to a registered workflow (target: name@version): ops (RFC 6902) and a rationale. The validator checks it and the patch policy decides: applied at once, held for a person’s review, or rejected with every problem named. Agents may propose, never decide.',
    annotations: WRITES,
    summary: (a) => `patch ${str(a.patchId)}: ${str(a.status)}`,
  }),
  apiTool({
    name: 'patch_check',
    operationId: 'checkPatch',
    title: 'Check a patch',
    description:
      'Checks a patch exactly as patch_propose would (validator and policy) without proposing it: what it would do to the graph, every problem, and whether it would be applied or held. Nothing is recorded.',
    annotations: READS,
  }),
  apiTool({
    name: 'patch_list',
    operationId: 'listPatches',
    title: 'List patches',
    description:
      'Patches proposed to a run (run) or a workflow (workflow), optionally by status (held, applied, rejected, reverted). Paged.',
    annotations: READS,
    summary: listed('patches', (p) => `${str(p.patchId)} ${str(p.status)} by ${str(p.author)}`),
  }),
  apiTool({
    name: 'patch_show',
    operationId: 'getPatch',
    title: 'Show a patch',
    description:
      'One patch: its ops, rationale, author, status and verdict, and the graph diff it makes (nodes and edges added, removed, changed).',
    annotations: READS,
    summary: (a) => {
      const p = a.patch as { patchId?: string; status?: string };
      return `patch ${p.patchId} ${p.status}`;
    },
  }),
  apiTool({
    name: 'patch_review',
    operationId: 'reviewPatch',
    title: 'Review a held patch',
    description:
      'Approves or rejects a patch held for review (decision "approved" or "rejected", optional reason): approved, it is applied to its run or workflow. Approvers only; an agent never may (FORBIDDEN).',
    annotations: WRITES,
    summary: (a) => `patch ${str(a.patchId)}: ${str(a.status)}`,
  }),
  apiTool({
    name: 'patch_revert',
    operationId: 'revertPatch',
    title: 'Revert a patch',
    description:
      'Reverts an applied patch: its run or workflow goes back to the graph without it (later patches stay). Operators and above.',
    annotations: DESTROYS,
  }),
  apiTool({
    name: 'schedule_create',
    operationId: 'createSchedule',
    title: 'Create a schedule',
    description:
      'Starts runs of a registered workflow (name, or pinned name@version) with fixed inputs at ticks: cron (5-7 fields, croner) in a timezone, every (a duration such as 5m), or at (a list of ISO 8601 times); optional jitter, start, end, overlap (skip | buffer_one | allow | cancel_previous; default skip) and catchupWindow (default 1h). Each tick starts exactly one run (its id is derived from the schedule and the tick). Refused with VALIDATION naming every problem (bad cron, unknown time zone, unknown workflow, conflicting options, bad inputs); nothing is stored then.',
    annotations: WRITES,
    summary: (a) =>
      `created schedule ${str(a.scheduleId)} of ${str(a.workflow)}${typeof a.nextTickAt === 'number' ? `; next tick ${new Date(a.nextTickAt).toISOString()}` : ''}`,
  }),
  apiTool({
    name: 'schedule_list',
    operationId: 'listSchedules',
    title: 'List schedules',
    description:
      'The namespace’s schedules, newest first: workflow, timing, overlap policy, paused or not, next tick, last started run, counts of ticks started, skipped, missed and failed. Paged: pass nextCursor back as cursor.',
    annotations: READS,
    summary: listed('schedules', (s) => {
      const next = typeof s.nextTickAt === 'number' ? new Date(s.nextTickAt).toISOString() : 'none';
      return `${str(s.scheduleId)} ${str(s.workflow)}${s.paused ? ' (paused)' : ''}; next tick ${next}`;
    }),
  }),
  apiTool({
    name: 'schedule_show',
    operationId: 'getSchedule',
    title: 'Show a schedule',
    description:
      'One schedule: its timing, inputs, overlap policy, catch-up window, paused state and note, next tick, buffered tick, last started tick and run, counts and the last tick that failed to start.',
    annotations: READS,
    summary: (a) =>
      `schedule ${str(a.scheduleId)} of ${str(a.workflow)}${a.paused ? ' (paused)' : ''}; ${JSON.stringify(a.counts)}`,
  }),
  apiTool({
    name: 'schedule_pause',
    operationId: 'pauseSchedule',
    title: 'Pause a schedule',
    description:
      'Stops a schedule’s ticks until it is resumed, with an optional note saying why. Ticks that come while it is paused are never started (not caught up on resume).',
    annotations: WRITES_IDEMPOTENT,
    summary: (a) => `schedule ${str(a.scheduleId)} paused`,
  }),
  apiTool({
    name: 'schedule_resume',
    operationId: 'resumeSchedule',
    title: 'Resume a schedule',
    description:
      'Resumes a paused schedule from now on, with an optional note; answers it with its next tick.',
    annotations: WRITES_IDEMPOTENT,
    summary: (a) => `schedule ${str(a.scheduleId)} resumed`,
  }),
  apiTool({
    name: 'schedule_trigger',
    operationId: 'triggerSchedule',
    title: 'Trigger a schedule now',
    description:
      'Starts one run of the schedule’s workflow and inputs now, whatever its overlap policy; the run records the schedule with reason trigger. Answers {runId, tick, started}.',
    annotations: WRITES,
    summary: (a) => `started run ${str(a.runId)}`,
    touches: (a) => str(a.runId),
  }),
  apiTool({
    name: 'schedule_backfill',
    operationId: 'backfillSchedule',
    title: 'Backfill a schedule',
    description:
      'Starts the schedule’s ticks in a past range [from, to) (ISO 8601 times; at most 1000 ticks), each under its tick’s own run id: a tick whose run was started already is not started again (started: false). The overlap policy does not apply.',
    annotations: WRITES_IDEMPOTENT,
    summary: (a) => {
      const runs = (Array.isArray(a.runs) ? a.runs : []) as { started?: boolean }[];
      return `${runs.filter((r) => r.started).length} runs started, ${runs.filter((r) => !r.started).length} started before`;
    },
  }),
  apiTool({
    name: 'schedule_delete',
    operationId: 'deleteSchedule',
    title: 'Delete a schedule',
    description: 'Deletes a schedule: no tick of it starts again. The runs it started stay.',
    annotations: DESTROYS,
    summary: (a) => `deleted schedule ${str(a.scheduleId)}`,
  }),
];

export function describeRun(a: Answer): string {
  const parts = [`run ${str(a.runId)} ${str(a.status)}`];
  if (Array.isArray(a.questions) && a.questions.length > 0) {
    parts.push(`waiting on questions ${a.questions.join(', ')}`);
  }
  if (Array.isArray(a.waitingOn) && a.waitingOn.length > 0) {
    parts.push(`waiting on approval tickets ${a.waitingOn.join(', ')}`);
  }
  if (a.output !== undefined) parts.push(`output ${glimpse(a.output)}`);
  if (a.error !== undefined) parts.push(`error ${glimpse(a.error)}`);
  return parts.join('; ');
}
