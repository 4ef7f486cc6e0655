// The wire side of the examples' scripted models: an OpenAI-compatible chat-completions server
// (JSON and text/event-stream, tool calls, usage) whose replies come from a script — a function of
// the request body. `GET /stats` tells how many completions were asked for; `GET /calls` lists the
// requests themselves (their messages), so a test can see which model calls were made.
import { createServer } from 'node:http';

/** The text of a chat message, whatever the shape of its content. */
export const text = (m) =>
  typeof m.content === 'string'
    ? m.content
    : Array.isArray(m.content)
      ? m.content.map((p) => p.text ?? '').join('')
      : '';

/** JSON text to a value; undefined when it is not JSON. */
export const parse = (s) => {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
};

/**
 * Serves `nextReply(body)` → `{ content?, toolCalls?: [{ name, arguments }] }` on
 * `127.0.0.1:<port>` (0: any free port) and prints its base URL on stdout. A streamed reply is
 * sent word by word, `chunkDelayMs` apart.
 */
export function serveScripted({ port, nextReply, chunkDelayMs = 0 }) {
  let calls = 0;
  const log = [];

  async function send(res, body, reply) {
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
    for (const word of (reply.content ?? '').split(/(?<= )/)) {
      if (!word) continue;
      chunk({ content: word });
      if (chunkDelayMs > 0) await new Promise((r) => setTimeout(r, chunkDelayMs));
    }
    if (toolCalls.length) chunk({ tool_calls: toolCalls });
    chunk({}, finish);
    if (body.stream_options?.include_usage) {
      res.write(
        `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [], usage })}\n\n`,
      );
    }
    res.end('data: [DONE]\n\n');
  }

  const json = (res, status, value) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(value));
  };

  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (d) => (raw += d));
    req.on('end', () => {
      const path = (req.url ?? '').split('?')[0];
      if (req.method === 'GET' && path === '/stats') return json(res, 200, { calls });
      if (req.method === 'GET' && path === '/calls') return json(res, 200, log);
      if (req.method !== 'POST' || path !== '/v1/chat/completions') {
        return json(res, 404, {
          error: { message: `no route ${req.method} ${path}`, type: 'invalid_request_error' },
        });
      }
      const body = parse(raw);
      if (!body) {
        return json(res, 400, {
          error: { message: 'the body is not JSON', type: 'invalid_request_error' },
        });
      }
      calls++;
      log.push({ messages: body.messages ?? [] });
      send(res, body, nextReply(body)).catch(() => res.destroy());
    });
  });
  server.listen(port, '127.0.0.1', () => {
    process.stdout.write(`scripted LLM at http://127.0.0.1:${server.address().port}/v1\n`);
  });
  for (const sig of ['SIGINT', 'SIGTERM'])
    process.on(sig, () => server.close(() => process.exit(0)));
  return server;
}

/** `--port N` from the command line (default `fallback`). */
export function portArg(fallback) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--port');
  return at >= 0 ? Number(args[at + 1]) : fallback;
}
