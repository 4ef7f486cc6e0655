import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

/**
 * A test double for an MCP server: the official SDK's McpServer behind its Streamable HTTP
 * transport (sessions, server-sent events, DELETE to end a session) on 127.0.0.1, at `/mcp`. It
 * records every HTTP request and every tool call with its arguments, and can insist on a bearer
 * token (as aob's own `/mcp` does).
 */

export interface McpFixtureTool {
  name: string;
  description?: string;
  /** The arguments, as zod shapes (the SDK turns them into the tool's JSON Schema). */
  inputSchema: Record<string, z.ZodType>;
  outputSchema?: Record<string, z.ZodType>;
  run(args: Record<string, unknown>): CallToolResult | Promise<CallToolResult>;
}

export interface McpFixtureOptions {
  /** Requests without `Authorization: Bearer <token>` are answered 401. */
  token?: string;
  /** Default: WEATHER_TOOLS. */
  tools?: readonly McpFixtureTool[];
}

export interface McpRecordedRequest {
  method: string;
  headers: IncomingHttpHeaders;
}

export interface McpFixture {
  /** `http://127.0.0.1:<port>/mcp` */
  readonly url: string;
  /** Every HTTP request, in order. */
  readonly requests: readonly McpRecordedRequest[];
  /** Every tool call, in order. */
  readonly calls: readonly { tool: string; args: Record<string, unknown> }[];
  /** Sessions initialised so far. */
  readonly sessionsOpened: number;
  /** Sessions open now (a client that ended its session with DELETE is no longer counted). */
  readonly openSessions: number;
  close(): Promise<void>;
}

/** Temperatures the weather tools know. */
export const TEMPERATURES: Readonly<Record<string, number>> = { Paris: 21, Oslo: 4 };

/**
 * `lookup({ city }) → { temperature }` (structured content, and the same JSON as text);
 * `forecast({ city })` → text only; `alert({})` → an `isError` result.
 */
export const WEATHER_TOOLS: readonly McpFixtureTool[] = [
  {
    name: 'lookup',
    description: 'The temperature in a city now, in degrees Celsius.',
    inputSchema: { city: z.string().describe('The city.') },
    outputSchema: { temperature: z.number() },
    run: ({ city }) => {
      const temperature = TEMPERATURES[String(city)];
      if (temperature === undefined) {
        return { isError: true, content: [{ type: 'text', text: `unknown city ${String(city)}` }] };
      }
      return {
        content: [{ type: 'text', text: JSON.stringify({ temperature }) }],
        structuredContent: { temperature },
      };
    },
  },
  {
    name: 'forecast',
    description: 'Tomorrow’s weather in a city, in words.',
    inputSchema: { city: z.string() },
    run: ({ city }) => ({
      content: [
        { type: 'text', text: `Sunny in ${String(city)}.` },
        { type: 'text', text: 'Light wind.' },
      ],
    }),
  },
  {
    name: 'alert',
    description: 'Always fails.',
    inputSchema: {},
    run: () => ({ isError: true, content: [{ type: 'text', text: 'the alert service is down' }] }),
  },
];

export async function startMcpFixture(opts: McpFixtureOptions = {}): Promise<McpFixture> {
  const tools = opts.tools ?? WEATHER_TOOLS;
  const requests: McpRecordedRequest[] = [];
  const calls: { tool: string; args: Record<string, unknown> }[] = [];
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  let opened = 0;

  const mcpServer = (): McpServer => {
    const server = new McpServer({ name: 'aob-test-mcp', version: '1.0.0' });
    for (const t of tools) {
      server.registerTool(
        t.name,
        {
          ...(t.description !== undefined ? { description: t.description } : {}),
          inputSchema: t.inputSchema,
          ...(t.outputSchema !== undefined ? { outputSchema: t.outputSchema } : {}),
        },
        async (args: Record<string, unknown>) => {
          calls.push({ tool: t.name, args });
          return t.run(args);
        },
      );
    }
    return server;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    requests.push({ method: req.method ?? '', headers: req.headers });
    if (!req.url?.startsWith('/mcp')) {
      res.writeHead(404).end();
      return;
    }
    if (opts.token !== undefined && req.headers.authorization !== `Bearer ${opts.token}`) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'unauthenticated' }));
      return;
    }
    const id = req.headers['mcp-session-id'];
    const known = typeof id === 'string' ? sessions.get(id) : undefined;
    if (known) {
      await known.handleRequest(req, res);
      return;
    }
    if (req.method !== 'POST' || id !== undefined) {
      res.writeHead(id === undefined ? 400 : 404, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          jsonrpc: '2.0',
          error: { code: -32000, message: 'no session' },
          id: null,
        }),
      );
      return;
    }
    // A new session: its first request is `initialize` (the transport refuses anything else).
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (sessionId) => {
        opened += 1;
        sessions.set(sessionId, transport);
      },
      onsessionclosed: (sessionId) => {
        sessions.delete(sessionId);
      },
    });
    await mcpServer().connect(transport);
    await transport.handleRequest(req, res);
  };

  const sockets = new Set<Socket>();
  const http = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(err));
    });
  });
  http.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/mcp`,
    requests,
    calls,
    get sessionsOpened() {
      return opened;
    },
    get openSessions() {
      return sessions.size;
    },
    async close() {
      await Promise.all([...sessions.values()].map((t) => t.close().catch(() => undefined)));
      sessions.clear();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
