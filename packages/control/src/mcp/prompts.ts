// Prompts: ready-made first messages for the two things people most ask an agent to do with aob.
// design_workflow explains how to draw a workflow on a draft with the canvas tools; debug_run
// gathers what a person would look at first when a run failed — its error, its inputs, the
// failed nodes' inputs, errors and attempts, and its timeline — into one message.
import type { GetPromptResult, Prompt } from '@modelcontextprotocol/sdk/types.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import type { AnyRunEvent } from '@aob/core';
import type { ControlPlane } from '../control-plane.js';
import type { Principal } from '../auth/index.js';
import { asMcpError } from './resources.js';

const NODE_TYPES =
  'task (a handler of yours), http, transform (a JSONata expression), llm, agent (an LLM with tools; with.ask lets it ask people), map (a body per item), join, subworkflow, approval (a person decides), ask (a question to people), timer, code, fs, search';
/** The most timeline lines and failed nodes debug_run puts in its message. */
const MAX_TIMELINE = 200;
const MAX_FAILED_NODES = 10;

export const PROMPTS: Prompt[] = [
  {
    name: 'design_workflow',
    title: 'Design a workflow on the canvas',
    description:
      'Draw a workflow for a goal on a new draft that a person watches in the canvas, validate it and commit it as a version.',
    arguments: [
      { name: 'goal', description: 'what the workflow should do', required: true },
      { name: 'name', description: 'the workflow’s name (a DNS-label-like id)', required: false },
    ],
  },
  {
    name: 'debug_run',
    title: 'Debug a run',
    description:
      'Gathers a run’s status and error, its inputs, each failed node’s input, error and attempts, and its timeline, and asks what went wrong and how to fix it.',
    arguments: [{ name: 'runId', description: 'the run (run_…)', required: true }],
  },
];

export async function getPrompt(
  plane: ControlPlane,
  principal: Principal,
  name: string,
  args: Record<string, string>,
): Promise<GetPromptResult> {
  if (name === 'design_workflow') return designWorkflow(args);
  if (name === 'debug_run') return debugRun(plane, principal, args);
  throw new McpError(
    ErrorCode.InvalidParams,
    `no prompt ${name.slice(0, 100)}: aob's prompts are ${PROMPTS.map((p) => p.name).join(', ')}`,
  );
}

function required(args: Record<string, string>, name: string, prompt: string): string {
  const v = args[name];
  if (typeof v !== 'string' || v.trim() === '') {
    throw new McpError(ErrorCode.InvalidParams, `${prompt} needs the argument ${name}`);
  }
  return v.trim();
}

function designWorkflow(args: Record<string, string>): GetPromptResult {
  const goal = required(args, 'goal', 'design_workflow');
  const name = args.name?.trim() || undefined;
  const text = [
    `Design an aob workflow for this goal: ${goal}`,
    '',
    'Draw it on a draft, which a person can watch and edit live in the aob canvas:',
    `1. canvas_open starts a draft: blank, from a registered workflow (from), or from a definition you give${name ? ` (name it "${name}": definition {"name": "${name}", "version": "1", "nodes": []})` : ''}. canvas_get reads it, with the person's edits, at any time.`,
    '2. canvas_add_node for each step, canvas_connect for each edge (from → to; on: success by default, failure, or an approval’s approved/rejected; when: a JSONata guard). A change that breaks the graph (a cycle, an unknown node) is refused and changes nothing.',
    '3. canvas_validate lists what is still missing; fix it with canvas_update_node. canvas_focus shows the person the nodes you are talking about; canvas_undo takes your last change back.',
    '4. canvas_commit registers the draft as a version; then run_start runs it and run_wait waits for it.',
    '',
    `Node types: ${NODE_TYPES}. Inputs and outputs flow through JSONata expressions written {% … %}: inputs.x, nodes.<id>.output. Endpoints, keys and model names of llm and agent nodes come from settings by alias, never from the definition.`,
    'Prefer few nodes with clear ids (lowercase, dash-separated), put independent steps side by side (they run in parallel), and add an approval before anything irreversible.',
  ].join('\n');
  return {
    description: `Design a workflow: ${goal.slice(0, 100)}`,
    messages: [{ role: 'user', content: { type: 'text', text } }],
  };
}

async function debugRun(
  plane: ControlPlane,
  principal: Principal,
  args: Record<string, string>,
): Promise<GetPromptResult> {
  const runId = required(args, 'runId', 'debug_run');
  const uri = `aob://runs/${runId}`;
  return asMcpError(uri, async () => {
    const run = await plane.getRun(principal, runId);
    const events = (await plane.runEvents(principal, runId, { fromSeq: 1, limit: 5_000 })).items;
    const started = events.find((e) => e.type === 'RunStarted') as
      (AnyRunEvent & { data: { inputs: { $cas: string } } }) | undefined;
    const inputs = started
      ? await plane.getRunContent(principal, runId, started.data.inputs.$cas).catch(() => undefined)
      : undefined;
    const failed = Object.entries(run.nodes)
      .filter(([, n]) => n.status === 'failed')
      .map(([id]) => id)
      .slice(0, MAX_FAILED_NODES);
    const details = await Promise.all(failed.map((id) => plane.getRunNode(principal, runId, id)));
    const t0 = events[0]?.at ?? 0;
    const timeline = events.slice(0, MAX_TIMELINE).map((e) => {
      const data = e.data as { nodeId?: string; attempt?: number; error?: { code?: string } };
      const node = data.nodeId ? ` ${data.nodeId}${data.attempt ? `#${data.attempt}` : ''}` : '';
      const code = data.error?.code ? ` ${data.error.code}` : '';
      return `  +${e.at - t0} ms  #${e.seq} ${e.type}${node}${code}`;
    });
    const text = [
      `Run ${runId} of ${run.workflow} is ${run.status}.${run.error ? ` Its error: ${JSON.stringify(run.error)}` : ''}`,
      '',
      `Inputs: ${JSON.stringify(inputs ?? null)}`,
      '',
      details.length === 0
        ? 'No node failed.'
        : `Failed nodes (${details.length}):\n${details
            .map(
              (d) =>
                `- ${d.nodeId} (${d.type}, ${d.attempts} attempt${d.attempts === 1 ? '' : 's'}): error ${JSON.stringify(d.error)}; input ${JSON.stringify(d.input ?? null)}`,
            )
            .join('\n')}`,
      '',
      `Timeline (${Math.min(events.length, MAX_TIMELINE)} of ${events.length} events):`,
      ...timeline,
      '',
      'What went wrong, and how should it be fixed? If the fix is a change to the graph, check it with patch_check and propose it with patch_propose (to the workflow, or to the run while it is live); if the run should go again from a node, say which (run_replay).',
    ].join('\n');
    return {
      description: `Debug run ${runId} (${run.status})`,
      messages: [
        { role: 'user', content: { type: 'text', text } },
        {
          role: 'user',
          content: {
            type: 'resource',
            resource: { uri, mimeType: 'application/json', text: JSON.stringify(run) },
          },
        },
      ],
    };
  });
}
