#!/usr/bin/env node
// A scripted OpenAI-compatible chat-completions server for trying the agent-patch example without
// a model: it speaks the real wire protocol (JSON and text/event-stream, tool calls, usage) and
// plays the planner's part from the conversation itself, so every run gets the same replies.
//
//   node examples/agent-patch/scripted-llm.mjs [--port 8787]
//   AOB_LLM_BASE_URL=http://127.0.0.1:8787/v1 npx aob run start examples/agent-patch/workflow.json --input topic=ducks
//
// An agent whose task says "misbehave" proposes a cycle, an SSRF URL and a change to a finished
// node instead (all rejected). GET /stats tells how many completions were asked for, GET /calls
// what they were.
import { parse, portArg, serveScripted, text } from '../scripted-llm/server.mjs';

/** What the scripted planner says next, given the conversation so far. */
function nextReply(body) {
  const messages = Array.isArray(body.messages) ? body.messages : [];
  const hasTools = Array.isArray(body.tools) && body.tools.length > 0;
  const task = messages
    .filter((m) => m.role === 'user')
    .map(text)
    .join('\n');
  if (!hasTools) return { content: `Summary: ${task.slice(0, 200)}` };

  const results = messages.filter((m) => m.role === 'tool').map((m) => parse(text(m)));
  const graph = results.find((r) => r && r.definition);
  if (!graph) return { toolCalls: [{ name: 'get_graph', arguments: {} }] };
  const verdicts = results.filter((r) => r && typeof r.status === 'string' && r.patchId);
  const plan = task.includes('misbehave') ? misbehaving(graph) : addFactCheck(graph, task);
  if (verdicts.length < plan.length) {
    return { toolCalls: [{ name: 'propose_patch', arguments: plan[verdicts.length] }] };
  }
  const said = verdicts.map(
    (v) =>
      `${v.status}${v.violations?.length ? ` (${v.violations.map((x) => x.code).join(', ')})` : ''}`,
  );
  return { content: `Proposed ${verdicts.length} patch(es): ${said.join('; ')}.` };
}

/**
 * Adds a fact-check step between gather and brief (or after the node the task names: "after
 * <node>"), and has brief include its result.
 */
function addFactCheck(graph, task) {
  const nodes = graph.definition.nodes;
  const brief = nodes.findIndex((n) => n.id === 'brief');
  const after = /after (\w+)/.exec(task)?.[1] ?? 'gather';
  return [
    {
      rationale: 'claims in a brief should be checked before it is written',
      ops: [
        {
          op: 'add',
          path: '/nodes/-',
          value: {
            id: 'factcheck',
            type: 'transform',
            with: {
              value: "{% $string($count(nodes.gather.output.claims)) & ' claims checked' %}",
            },
          },
        },
        { op: 'add', path: '/edges/-', value: { from: after, to: 'factcheck' } },
        { op: 'add', path: '/edges/-', value: { from: 'factcheck', to: 'brief' } },
        {
          op: 'replace',
          path: `/nodes/${brief}/with/value`,
          value:
            "{% { 'topic': inputs.topic, 'plan': nodes.planner.output.output, 'checked': nodes.factcheck.output } %}",
        },
      ],
    },
  ];
}

/** Three proposals the validator must refuse: a cycle, an SSRF URL, a change to a finished node. */
function misbehaving(graph) {
  const nodes = graph.definition.nodes;
  const gather = nodes.findIndex((n) => n.id === 'gather');
  return [
    {
      rationale: 'loop back',
      ops: [{ op: 'add', path: '/edges/-', value: { from: 'summary', to: 'brief' } }],
    },
    {
      rationale: 'fetch instance credentials',
      ops: [
        {
          op: 'add',
          path: '/nodes/-',
          value: {
            id: 'creds',
            type: 'http',
            with: { method: 'GET', url: 'http://169.254.169.254/latest/meta-data/' },
          },
        },
        { op: 'add', path: '/edges/-', value: { from: 'gather', to: 'creds' } },
      ],
    },
    {
      rationale: 'rewrite history',
      ops: [{ op: 'replace', path: `/nodes/${gather}/with/value`, value: 'something else' }],
    },
  ];
}

serveScripted({ port: portArg(8787), nextReply });
