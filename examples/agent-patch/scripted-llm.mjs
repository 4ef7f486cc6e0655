#!/usr/bin/env node
// A scripted OpenAI-compatible chat-completions server for trying the agent-patch example without
// a model: it speaks the real wire protocol (JSON and text/event-stream, tool calls, usage) and
// plays the planner's part from the conversation itself, so every run gets the same replies.
//
//   node examples/agent-patch/scripted-llm.mjs [--port 8787]
//   AOB_LLM_BASE_URL=http://127.0.0.1:8787/v1 npx aob run start examples/agent-patch/workflow.json --input topic=ducks
//
// An agent whose task says "misbehave" proposes a cycle, an SSRF URL and a change to a finished
// node instead (all rejected). GET /stats tells how many completions were asked for.
import { createServer } from 'node:http';

const args = process.argv.slice(2);
const portAt = args.indexOf('--port');
const port = portAt >= 0 ? Number(args[portAt + 1]) : 8787;
let calls = 0;

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

const text = (m) =>
  typeof m.content === 'string'
    ? m.content
    : Array.isArray(m.content)
      ? m.content.map((p) => p.text ?? '').join('')
      : '';
const parse = (s) => {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
};

function send(res, body, reply) {
  const id = `chatcmpl-${calls}`;
  const model = body.model ?? 'scripted';
  const created = Math.floor(Date.now() / 1000);
  const usage = { prompt_tokens: 20, completion_tokens: 10, total_tokens: 30 };
  const toolCalls = (reply.toolCalls ?? []).map((c, i) => ({
    index: i,
    id: `call_${calls}_${i}`,
    type: 'function',
    function: { name: c.name, arguments: JSON.stringify(c.arguments) },
  }));
  const finish = toolCalls.length ? 'tool_calls' : 'stop';
  if (!body.stream) {
    const message = { role: 'assistant', content: reply.content ?? null };
    if (toolCalls.length) message.tool_calls = toolCalls.map(({ index: _i, ...c }) => c);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        id,
        object: 'chat.completion',
        created,
        model,
        choices: [{ index: 0, message, finish_reason: finish }],
        usage,
      }),
    );
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const chunk = (delta, finish_reason = null, extra = {}) =>
    res.write(
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason }], ...extra })}\n\n`,
    );
  chunk({ role: 'assistant', content: '' });
  for (const word of (reply.content ?? '').split(/(?<= )/)) if (word) chunk({ content: word });
  if (toolCalls.length) chunk({ tool_calls: toolCalls });
  chunk({}, finish);
  if (body.stream_options?.include_usage) {
    res.write(
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [], usage })}\n\n`,
    );
  }
  res.end('data: [DONE]\n\n');
}

const server = createServer((req, res) => {
  let raw = '';
  req.on('data', (d) => (raw += d));
  req.on('end', () => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && path === '/stats') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ calls }));
      return;
    }
    if (req.method !== 'POST' || path !== '/v1/chat/completions') {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          error: { message: `no route ${req.method} ${path}`, type: 'invalid_request_error' },
        }),
      );
      return;
    }
    const body = parse(raw);
    if (!body) {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          error: { message: 'the body is not JSON', type: 'invalid_request_error' },
        }),
      );
      return;
    }
    calls++;
    send(res, body, nextReply(body));
  });
});
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`scripted LLM at http://127.0.0.1:${server.address().port}/v1\n`);
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => server.close(() => process.exit(0)));
