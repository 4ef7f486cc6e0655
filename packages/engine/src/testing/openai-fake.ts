import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A test double for an OpenAI-compatible chat-completions API: a real HTTP server on 127.0.0.1
 * that speaks the wire format the official `openai` client (and any OpenAI-compatible client)
 * reads — JSON bodies, `text/event-stream` chunks, `data: [DONE]`, error envelopes. Each call
 * takes the next scripted reply; every request is recorded for assertions.
 */

export interface FakeUsage {
  promptTokens: number;
  completionTokens: number;
}

export interface FakeToolCall {
  /**
   * Default `call_<n>`, numbered across all of the fake's replies: ids are unique within a
   * conversation, as a provider's are (agent frameworks match results to calls by id).
   */
  id?: string;
  name: string;
  /** A string is sent as is; anything else is JSON-encoded. */
  arguments: unknown;
}

/** One scripted reply. */
export type FakeReply =
  | {
      content: string;
      /** How a streamed reply is cut into deltas; default: one delta per word (spaces kept). */
      chunks?: readonly string[];
      finishReason?: 'stop' | 'length' | 'content_filter';
      usage?: FakeUsage;
      /** Pause before each streamed delta (lets a test abort mid-stream). */
      chunkDelayMs?: number;
    }
  | {
      toolCalls: readonly FakeToolCall[];
      /** Text sent beside the tool calls; default none. */
      content?: string;
      usage?: FakeUsage;
    }
  | {
      /** An HTTP error in OpenAI's envelope `{ error: { message, type, param, code } }`. */
      status: number;
      message?: string;
      type?: string;
      code?: string | null;
      headers?: Readonly<Record<string, string>>;
    }
  /** Never answers (until the client goes away or the server closes). */
  | { hang: true };

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body (undefined when it was not JSON). */
  body: Record<string, unknown> | undefined;
  model: unknown;
  messages: unknown;
  responseFormat: unknown;
  stream: boolean;
  /** Set when the client closed the connection before the reply was complete. */
  abortedByClient: boolean;
}

export interface OpenAIFake {
  /** The `baseURL` for an OpenAI client: `http://127.0.0.1:<port>/v1`. */
  readonly baseURL: string;
  /** Every request received, in order (chat completions and anything else). */
  readonly requests: readonly RecordedRequest[];
  /** Calls to `POST /v1/chat/completions`. */
  readonly calls: number;
  /** Appends replies to the script. */
  script(...replies: FakeReply[]): void;
  /** Scripted replies not yet used. */
  readonly pending: number;
  close(): Promise<void>;
}

export interface OpenAIFakeOptions {
  replies?: readonly FakeReply[];
  /**
   * Answers a call when the script is empty: the reply as a function of the request (its
   * messages, its tools). Stateless answers make a model whose replies depend on the
   * conversation only, so runs that call it concurrently, in any order, get the same ones.
   */
  respond?: (request: RecordedRequest) => FakeReply;
  /** The `model` reported back; default: the model the request named. */
  model?: string;
}

/** Starts the fake on a random port. Close it in `afterEach`/`afterAll`. */
export async function startOpenAIFake(opts: OpenAIFakeOptions = {}): Promise<OpenAIFake> {
  const queue: FakeReply[] = [...(opts.replies ?? [])];
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  let calls = 0;
  let ids = 0;
  let callIds = 0;

  const server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendError(res, 500, `openai-fake: ${String(err)}`, 'server_error');
      else res.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readAll(req);
    const body = parseJson(raw);
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const recorded: RecordedRequest = {
      method: req.method ?? 'GET',
      path,
      headers: req.headers,
      body,
      model: body?.['model'],
      messages: body?.['messages'],
      responseFormat: body?.['response_format'],
      stream: body?.['stream'] === true,
      abortedByClient: false,
    };
    requests.push(recorded);
    res.on('close', () => {
      if (!res.writableFinished) recorded.abortedByClient = true;
    });

    if (req.method !== 'POST' || path !== '/v1/chat/completions') {
      sendError(res, 404, `openai-fake: no route ${req.method} ${path}`, 'invalid_request_error');
      return;
    }
    calls++;
    if (body === undefined) {
      sendError(res, 400, 'openai-fake: the body is not JSON', 'invalid_request_error');
      return;
    }
    const next = queue.shift() ?? opts.respond?.(recorded);
    const reply =
      next !== undefined && 'toolCalls' in next
        ? {
            ...next,
            toolCalls: next.toolCalls.map((c) => ({ ...c, id: c.id ?? `call_${++callIds}` })),
          }
        : next;
    if (reply === undefined) {
      sendError(
        res,
        400,
        `openai-fake: no scripted reply left for call ${calls}`,
        'invalid_request_error',
        'fake_script_exhausted',
      );
      return;
    }
    const id = `chatcmpl-fake-${++ids}`;
    const model = opts.model ?? (typeof body['model'] === 'string' ? body['model'] : 'fake');
    const includeUsage =
      (body['stream_options'] as { include_usage?: unknown } | undefined)?.include_usage === true;

    if ('hang' in reply) return;
    if ('status' in reply) {
      sendError(
        res,
        reply.status,
        reply.message ?? `openai-fake: scripted ${reply.status}`,
        reply.type ?? (reply.status >= 500 ? 'server_error' : 'invalid_request_error'),
        reply.code ?? null,
        reply.headers,
      );
      return;
    }
    const promptTokens = countWords(body['messages']);
    if (recorded.stream) {
      await streamReply(res, reply, { id, model, includeUsage, promptTokens });
    } else {
      sendJson(res, 200, completion(reply, { id, model, promptTokens }));
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    get calls() {
      return calls;
    },
    get pending() {
      return queue.length;
    },
    script(...replies) {
      queue.push(...replies);
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

type ContentReply = Extract<FakeReply, { content: string; chunks?: unknown }>;
type ToolReply = Extract<FakeReply, { toolCalls: unknown }>;
interface ReplyMeta {
  id: string;
  model: string;
  promptTokens: number;
}
const CREATED = 1_700_000_000;

function completion(reply: ContentReply | ToolReply, meta: ReplyMeta): unknown {
  const tools = 'toolCalls' in reply ? toolCalls(reply.toolCalls) : undefined;
  const content = reply.content ?? null;
  const message: Record<string, unknown> = { role: 'assistant', content, refusal: null };
  if (tools) message['tool_calls'] = tools;
  return {
    id: meta.id,
    object: 'chat.completion',
    created: CREATED,
    model: meta.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason(reply) }],
    usage: usage(reply, meta.promptTokens, deltas(reply).length),
  };
}

async function streamReply(
  res: ServerResponse,
  reply: ContentReply | ToolReply,
  meta: ReplyMeta & { includeUsage: boolean },
): Promise<void> {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}): void => {
    const data = {
      id: meta.id,
      object: 'chat.completion.chunk',
      created: CREATED,
      model: meta.model,
      system_fingerprint: null,
      choices,
      ...extra,
    };
    res.write(`data: ${JSON.stringify(data)}\n\n`);
  };
  const delta = (d: Record<string, unknown>, finish: string | null = null): unknown => ({
    index: 0,
    delta: d,
    logprobs: null,
    finish_reason: finish,
  });

  chunk([delta({ role: 'assistant', content: '', refusal: null })]);
  const pieces = deltas(reply);
  const pause = 'chunkDelayMs' in reply ? (reply.chunkDelayMs ?? 0) : 0;
  for (const piece of pieces) {
    if (pause > 0) await sleep(pause);
    if (res.destroyed) return;
    chunk([delta({ content: piece })]);
  }
  if ('toolCalls' in reply) {
    toolCalls(reply.toolCalls).forEach((call, index) => {
      chunk([
        delta({
          tool_calls: [
            {
              index,
              id: call.id,
              type: 'function',
              function: { name: call.function.name, arguments: '' },
            },
          ],
        }),
      ]);
      chunk([delta({ tool_calls: [{ index, function: { arguments: call.function.arguments } }] })]);
    });
  }
  chunk([delta({}, finishReason(reply))]);
  if (meta.includeUsage) {
    chunk([], { usage: usage(reply, meta.promptTokens, pieces.length) });
  }
  res.end('data: [DONE]\n\n');
}

function deltas(reply: ContentReply | ToolReply): string[] {
  if ('chunks' in reply && reply.chunks !== undefined) return [...reply.chunks];
  const content = reply.content ?? '';
  return content === '' ? [] : (content.match(/\S+\s*|\s+/g) ?? [content]);
}

function finishReason(reply: ContentReply | ToolReply): string {
  if ('toolCalls' in reply) return 'tool_calls';
  return reply.finishReason ?? 'stop';
}

function usage(reply: ContentReply | ToolReply, promptTokens: number, pieces: number): unknown {
  const prompt = reply.usage?.promptTokens ?? promptTokens;
  const completionTokens = reply.usage?.completionTokens ?? Math.max(pieces, 1);
  return {
    prompt_tokens: prompt,
    completion_tokens: completionTokens,
    total_tokens: prompt + completionTokens,
  };
}

function toolCalls(calls: readonly FakeToolCall[]): Array<{
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}> {
  return calls.map((call, i) => ({
    id: call.id ?? `call_${i + 1}`,
    type: 'function' as const,
    function: {
      name: call.name,
      arguments:
        typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments),
    },
  }));
}

/** A deterministic stand-in for a tokenizer: words in the message contents. */
function countWords(messages: unknown): number {
  if (!Array.isArray(messages)) return 0;
  let n = 0;
  for (const m of messages as Array<{ content?: unknown }>) {
    const text = typeof m?.content === 'string' ? m.content : JSON.stringify(m?.content ?? '');
    n += text.split(/\s+/).filter(Boolean).length;
  }
  return n;
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function sendError(
  res: ServerResponse,
  status: number,
  message: string,
  type: string,
  code: string | null = null,
  headers: Readonly<Record<string, string>> = {},
): void {
  sendJson(res, status, { error: { message, type, param: null, code } }, headers);
}

function readAll(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

function parseJson(raw: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(raw);
    return v !== null && typeof v === 'object' && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
