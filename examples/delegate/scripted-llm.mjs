#!/usr/bin/env node
// A scripted OpenAI-compatible model for the delegate example: it plays an agent that has an aob
// server's MCP tools. Asked to double n, it calls aob__run_start on the workflow doubler, then
// aob__run_wait on the run it started, then says what the run returned.
//
//   node examples/delegate/scripted-llm.mjs [--port 8789]
import { parse, portArg, serveScripted, text } from '../scripted-llm/server.mjs';

function nextReply(body) {
  const messages = Array.isArray(body.messages) ? body.messages : [];
  const task = messages
    .filter((m) => m.role === 'user')
    .map(text)
    .join('\n');
  const n = Number(/Double (-?\d+(?:\.\d+)?)/.exec(task)?.[1] ?? 0);
  const results = messages.filter((m) => m.role === 'tool').map((m) => parse(text(m)) ?? text(m));
  if (results.length === 0) {
    return {
      toolCalls: [{ name: 'aob__run_start', arguments: { workflow: 'doubler', inputs: { n } } }],
    };
  }
  if (results.length === 1) {
    const runId = results[0]?.runId;
    return { toolCalls: [{ name: 'aob__run_wait', arguments: { runId, timeoutMs: 30000 } }] };
  }
  const run = results[results.length - 1]?.run ?? {};
  return {
    content: `Run ${run.runId} of doubler is ${run.status}: ${JSON.stringify(run.output)}.`,
  };
}

serveScripted({ port: portArg(8789), nextReply });
