// MCP servers as an agent's tools (ARCHITECTURE §9): the servers an agent node names in
// `with.mcp` are looked up in the runner's settings (AOB_MCP_SERVERS), connected to over
// Streamable HTTP with the official SDK's client — every request through the SSRF gate of `http`
// nodes — and their tools offered to the model as `<server>__<tool>`. Connections live for one
// attempt: opened before the agent's first model call, closed when the attempt ends however it
// ends (answer, failure, suspension, abort).
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  StreamableHTTPClientTransport,
  StreamableHTTPError,
} from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import { AobError, toErrorData } from '@aob/core';
import { abortError } from '../abort.js';
import { guardedFetch } from '../net/fetch.js';
import { allowAll, publicOnly, systemResolver } from '../net/guard.js';
import type { Resolver } from '../net/guard.js';
import type { ExecutorOptions, McpServerSettings } from '../types.js';
import { fromJsonText } from './adapter.js';
import type { AgentTool, ToolParameters } from './tools.js';

/** How long connecting to one server (initialize and the tool list) may take. */
export const MCP_CONNECT_TIMEOUT_MS = 30_000;
/** Between a server's name and its tool's in the name the model sees. */
export const MCP_TOOL_SEPARATOR = '__';
/** What chat-completions APIs accept as a function's name. */
const TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/;
/** Pages of tools/list read at most from one server (a server that never stops paging). */
const MAX_PAGES = 20;
/** How long closing waits for a server to acknowledge the end of its session. */
const CLOSE_WAIT_MS = 1_000;

const CLIENT_INFO = { name: 'aob-agent', version: '0.1.0' };

/** The MCP tools of one attempt and the connections behind them. */
export interface McpToolSet {
  tools: AgentTool[];
  /** Ends every session and closes every connection; never rejects. */
  close(): Promise<void>;
}

export interface McpOpenOptions {
  /** The agent node, for messages. */
  nodeId: string;
  /** The servers `with.mcp` names, in order. */
  servers: readonly string[];
  options: ExecutorOptions;
  /** The attempt's signal: aborting it stops connecting and every call in flight. */
  signal: AbortSignal;
  /** How long one tool call may take; default the SDK's (60 s). */
  callTimeoutMs?: number;
  /** Default: the system resolver. A test seam, as for `http` nodes. */
  resolve?: Resolver;
}

interface Connection {
  name: string;
  client: Client;
  transport: StreamableHTTPClientTransport;
}

/**
 * Connects to every server `servers` names and lists its tools. A name the runner's settings lack
 * is 'MCP_NOT_CONFIGURED'; a server that refuses the gate is 'SSRF'; one that cannot be reached or
 * does not speak MCP is 'MCP_UNAVAILABLE' (retryable, except for a 4xx answer other than 408 and
 * 429: a wrong URL or token stays wrong). On any failure the connections already open are closed.
 */
export async function openMcpTools(opts: McpOpenOptions): Promise<McpToolSet> {
  const { nodeId, servers, options, signal } = opts;
  const configured = options.mcp ?? {};
  const missing = servers.filter((s) => !Object.hasOwn(configured, s));
  if (missing.length > 0) {
    throw new AobError(
      'MCP_NOT_CONFIGURED',
      `agent node ${nodeId}: with.mcp names MCP server(s) ${missing.join(', ')}, which this runner's settings (AOB_MCP_SERVERS) do not configure`,
      { retryable: false, details: { servers: missing } },
    );
  }
  const fetch = guardedFetch(
    options.allowPrivateNetwork ? allowAll : publicOnly,
    opts.resolve ?? systemResolver,
  );
  const opened = await Promise.allSettled(
    servers.map((name) => connect(name, configured[name]!, fetch, nodeId, signal)),
  );
  const connections = opened.flatMap((r) => (r.status === 'fulfilled' ? [r.value.connection] : []));
  const close = () => closeAll(connections);
  const failed = opened.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await close();
    if (signal.aborted) throw abortError(signal);
    throw failed.reason;
  }

  const tools: AgentTool[] = [];
  const taken = new Set<string>();
  for (const r of opened) {
    if (r.status !== 'fulfilled') continue;
    const { connection, listed } = r.value;
    for (const t of listed) {
      const name = toolName(connection.name, t.name, taken);
      taken.add(name);
      tools.push(mcpTool(connection, t, name, opts.callTimeoutMs));
    }
  }
  return { tools, close };
}

/** One server: connected (initialize), its tools listed. */
async function connect(
  name: string,
  server: McpServerSettings,
  fetch: ReturnType<typeof guardedFetch>,
  nodeId: string,
  signal: AbortSignal,
): Promise<{ connection: Connection; listed: Tool[] }> {
  const headers: Record<string, string> = { ...server.headers };
  if (server.token !== undefined) headers['authorization'] = `Bearer ${server.token}`;
  let transport: StreamableHTTPClientTransport;
  try {
    transport = new StreamableHTTPClientTransport(new URL(server.url), {
      fetch,
      requestInit: { headers },
    });
  } catch (err) {
    throw unavailable(name, server, nodeId, err);
  }
  const client = new Client(CLIENT_INFO, { capabilities: {} });
  // The standalone event stream's failures (a server without one answers 405) are not the
  // attempt's: a call's own failure is answered to the model.
  client.onerror = () => undefined;
  const connection = { name, client, transport };
  const request = { signal, timeout: MCP_CONNECT_TIMEOUT_MS };
  try {
    await client.connect(transport, request);
    const listed: Tool[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const result = await client.listTools(cursor === undefined ? {} : { cursor }, request);
      listed.push(...result.tools);
      cursor = result.nextCursor;
      if (cursor === undefined) break;
    }
    return { connection, listed };
  } catch (err) {
    await closeAll([connection]);
    if (signal.aborted) throw abortError(signal);
    if (codeOf(err) === 'SSRF') {
      const e = err as AobError;
      throw new AobError('SSRF', `agent node ${nodeId}: MCP server "${name}": ${e.message}`, {
        retryable: false,
        details: { server: name, ...(e.details as object | undefined) },
      });
    }
    throw unavailable(name, server, nodeId, err);
  }
}

function unavailable(
  name: string,
  server: McpServerSettings,
  nodeId: string,
  err: unknown,
): AobError {
  const status = err instanceof StreamableHTTPError ? err.code : undefined;
  const retryable =
    status === undefined || status < 400 || status >= 500 || status === 408 || status === 429;
  const message = err instanceof Error ? err.message : String(err);
  return new AobError(
    'MCP_UNAVAILABLE',
    `agent node ${nodeId}: MCP server "${name}" (${where(server.url)}) cannot be reached: ${message}`,
    {
      retryable,
      details: {
        server: name,
        ...(status !== undefined && status > 0 ? { status } : {}),
        ...(codeOf(err) !== undefined ? { cause: codeOf(err) } : {}),
      },
    },
  );
}

/** The URL without credentials, query or fragment: what a message may show. */
function where(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return 'an invalid URL';
  }
}

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * `<server>__<tool>`, cut to what a model API takes: characters other than letters, digits, `_`
 * and `-` become `_`, at most 64, and a name already taken gets a number.
 */
function toolName(server: string, tool: string, taken: ReadonlySet<string>): string {
  const base = `${server}${MCP_TOOL_SEPARATOR}${tool.replace(/[^A-Za-z0-9_-]/g, '_')}`.slice(0, 64);
  let name = base;
  for (let n = 2; taken.has(name) || !TOOL_NAME.test(name); n++) {
    const suffix = `_${n}`;
    name = `${base.slice(0, 64 - suffix.length)}${suffix}`;
  }
  return name;
}

/** One MCP tool as an agent tool: its JSON Schema the parameters, each call a tools/call. */
function mcpTool(
  connection: Connection,
  tool: Tool,
  name: string,
  callTimeoutMs: number | undefined,
): AgentTool {
  const { $schema: _dialect, ...schema } = tool.inputSchema as Record<string, unknown>;
  const parameters = {
    ...schema,
    type: 'object',
    properties: (schema['properties'] as Record<string, unknown> | undefined) ?? {},
  } as ToolParameters;
  const about = tool.description ?? tool.title ?? tool.annotations?.title;
  return {
    name,
    description:
      about !== undefined && about !== ''
        ? about
        : `The tool ${tool.name} of the MCP server ${connection.name}.`,
    parameters,
    // As for the other tools, a failed call is an answer the model can act on, not the node's
    // failure: `{ error: { code, message } }` (an `isError` result is TOOL_FAILED with its text).
    run: async (args, signal) => {
      try {
        return await call(args, signal);
      } catch (err) {
        if (signal.aborted) throw err;
        const { code, message } = toErrorData(err, 'TOOL_FAILED');
        return { error: { code, message } };
      }
    },
  };

  async function call(args: unknown, signal: AbortSignal): Promise<unknown> {
    if (args === null || typeof args !== 'object' || Array.isArray(args)) {
      throw new AobError('BAD_ARGUMENTS', 'the arguments must be a JSON object', {
        retryable: false,
      });
    }
    let result: CallToolResult;
    try {
      result = (await connection.client.callTool(
        { name: tool.name, arguments: args as Record<string, unknown> },
        undefined,
        { signal, ...(callTimeoutMs !== undefined ? { timeout: callTimeoutMs } : {}) },
      )) as CallToolResult;
    } catch (err) {
      if (signal.aborted) throw err;
      // The SDK's own errors carry numbers (JSON-RPC codes): those are TOOL_FAILED.
      const data = toErrorData(err, 'TOOL_FAILED');
      throw AobError.fromData({
        code: data.code,
        message: `MCP server "${connection.name}": ${data.message}`,
        retryable: false,
      });
    }
    if (result.isError === true) {
      throw new AobError('TOOL_FAILED', resultText(result) || `${tool.name} failed`, {
        retryable: false,
      });
    }
    return resultValue(result);
  }
}

/**
 * What the model reads of a tool's result: its structured content when it has some, else its
 * text content joined (parsed when it is JSON, so it is not sent as a quoted string).
 */
function resultValue(result: CallToolResult): unknown {
  if (result.structuredContent !== undefined) return result.structuredContent;
  return fromJsonText(resultText(result));
}

function resultText(result: CallToolResult): string {
  return (result.content ?? [])
    .map((part) => {
      if (part.type === 'text') return part.text;
      if (part.type === 'resource' && 'text' in part.resource) return part.resource.text;
      if (part.type === 'resource_link') return `[resource ${part.uri}]`;
      const mime =
        'mimeType' in part && typeof part.mimeType === 'string' ? ` ${part.mimeType}` : '';
      return `[${part.type}${mime} content not shown]`;
    })
    .join('\n');
}

/** Ends each session (a DELETE the server may refuse) and closes each connection. */
async function closeAll(connections: readonly Connection[]): Promise<void> {
  await Promise.all(
    connections.map(async ({ client, transport }) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          transport.terminateSession().catch(() => undefined),
          new Promise((resolve) => {
            timer = setTimeout(resolve, CLOSE_WAIT_MS);
          }),
        ]);
      } catch {
        // The server may be gone already; closing is all that is left.
      } finally {
        clearTimeout(timer);
      }
      await client.close().catch(() => undefined);
    }),
  );
}
