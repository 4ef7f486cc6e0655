// aob's MCP server: one per session, over the control plane, acting as one principal. The same
// server is served on stdio by `aob mcp` (the local engine, acting as the local user) and on
// Streamable HTTP at `/mcp` by the api service and `aob dev` (acting as the bearer token's
// subject, re-authenticated on every request). It is the SDK's low-level Server, not McpServer:
// tools are described by the JSON Schemas of the REST API's own document (McpServer wants zod),
// arguments are checked by ajv with every problem named, and resource subscriptions — which
// McpServer does not keep — are kept here.
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  ErrorCode,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  McpError,
  ReadResourceRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { ControlPlane } from '../control-plane.js';
import type { Principal } from '../auth/index.js';
import { checkArguments } from './arguments.js';
import { errorCodeOf, failure, success } from './results.js';
import { getPrompt, PROMPTS } from './prompts.js';
import { listResources, readResource, RESOURCE_TEMPLATES } from './resources.js';
import { Subscriptions } from './subscriptions.js';
import type { ToolContext, ToolSpec } from './tool-spec.js';
import { MCP_TOOLS } from './tools.js';

const tracer = trace.getTracer('aob');

export interface McpSessionOptions {
  plane: ControlPlane;
  /** Who acts: fixed on stdio; on HTTP the principal of the session's token, checked per request. */
  principal: () => Principal;
  /** The version the server reports. */
  version: string;
  /** Told of each run a tool starts or moves on (`aob mcp` locally carries them on). */
  touched?: (runId: string) => void;
  /** Checked before each subscription poll; false ends them (a revoked or expired token). */
  stillValid?: () => Promise<boolean>;
  /** How often subscriptions poll (ms); default 500. */
  pollMs?: number;
}

const INSTRUCTIONS = `aob runs workflows (graphs of nodes: tasks, HTTP calls, LLM and agent steps, approvals, questions to people) durably, as event logs.
- Workflows: workflow_list, workflow_show, workflow_validate, workflow_register.
- Runs: run_start answers at once with the run id; run_wait waits (with progress) until it is over or waits on a person; run_events follows its log with a cursor (after); run_get, node_output (a node's input, output, error and attempts), run_cancel, run_replay. The debug_run prompt gathers a failed run.
- People: approval_list/approval_decide and question_list/question_show/question_answer (agents may read, never decide or answer).
- Changing graphs: patch_check, then patch_propose (validated; applied or held per policy), patch_list/show, patch_review (people), patch_revert.
- Drawing: canvas_open a draft a person watches in the canvas; canvas_add_node, canvas_update_node, canvas_remove_node, canvas_connect, canvas_disconnect, canvas_focus, canvas_undo, canvas_validate, canvas_commit.
Refusals are tool results with isError, the API's error code and every problem named.
Resources aob://runs/{runId}, aob://runs/{runId}/events, aob://workflows/{name}/{version} and aob://drafts/{draftId} can be read and subscribed to.`;

export interface AobMcpSession {
  readonly server: Server;
  /** Resolves when the session ends (its transport closed). */
  readonly closed: Promise<void>;
  /** Ends the session's subscriptions (the transport's close does too). */
  close(): Promise<void>;
}

export function createMcpSession(opts: McpSessionOptions): AobMcpSession {
  const server = new Server(
    { name: 'aob', title: 'aob workflow engine', version: opts.version },
    {
      capabilities: {
        tools: { listChanged: false },
        resources: { subscribe: true, listChanged: false },
        prompts: { listChanged: false },
      },
      instructions: INSTRUCTIONS,
    },
  );
  const tools = new Map<string, ToolSpec>(MCP_TOOLS.map((t) => [t.name, t]));
  const subscriptions = new Subscriptions({
    plane: opts.plane,
    principal: opts.principal,
    notify: (uri) => server.sendResourceUpdated({ uri }),
    ...(opts.stillValid ? { stillValid: opts.stillValid } : {}),
    ...(opts.pollMs !== undefined ? { pollMs: opts.pollMs } : {}),
  });
  const closed = new Promise<void>((resolve) => {
    server.onclose = () => {
      subscriptions.stop();
      resolve();
    };
  });

  server.setRequestHandler(ListToolsRequestSchema, () => ({
    tools: MCP_TOOLS.map((t) => ({
      name: t.name,
      title: t.title,
      description: t.description,
      inputSchema: t.inputSchema as { type: 'object' },
      outputSchema: t.outputSchema as { type: 'object' },
      annotations: t.annotations,
    })),
  }));

  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const tool = tools.get(request.params.name);
    if (!tool) {
      throw new McpError(
        ErrorCode.InvalidParams,
        `no tool ${request.params.name.slice(0, 100)}; aob's tools: ${[...tools.keys()].join(', ')}`,
      );
    }
    const progressToken = request.params._meta?.progressToken;
    const ctx: ToolContext = {
      plane: opts.plane,
      principal: opts.principal(),
      ...clientName(server),
      signal: extra.signal,
      touched: (runId) => opts.touched?.(runId),
      progress: async (progress, message, total) => {
        if (progressToken === undefined) return;
        await extra
          .sendNotification({
            method: 'notifications/progress',
            params: {
              progressToken,
              progress,
              ...(total !== undefined ? { total } : {}),
              ...(message !== undefined ? { message } : {}),
            },
          })
          .catch(() => undefined);
      },
    };
    // A caller's trace goes on into aob: `_meta.traceparent` (and `tracestate`) is the parent of
    // the call's span, and of the run a call starts.
    const meta = request.params._meta as Record<string, unknown> | undefined;
    const parent = propagation.extract(context.active(), {
      ...(typeof meta?.traceparent === 'string' ? { traceparent: meta.traceparent } : {}),
      ...(typeof meta?.tracestate === 'string' ? { tracestate: meta.tracestate } : {}),
    });
    return tracer.startActiveSpan(
      `tools/call ${tool.name}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'mcp.method.name': 'tools/call',
          'gen_ai.tool.name': tool.name,
          'gen_ai.operation.name': 'execute_tool',
          ...(extra.sessionId ? { 'mcp.session.id': extra.sessionId } : {}),
        },
      },
      parent,
      async (span) => {
        try {
          // Who may call it first, as REST checks the role before the request's shape.
          opts.plane.authorize(ctx.principal, tool.operation);
          const args = checkArguments(tool.name, tool.inputSchema, request.params.arguments);
          return success(await tool.run(ctx, args));
        } catch (e) {
          const result = failure(e);
          span.setStatus({ code: SpanStatusCode.ERROR, message: errorCodeOf(result) });
          return result;
        } finally {
          span.end();
        }
      },
    );
  });

  server.setRequestHandler(ListResourceTemplatesRequestSchema, () => ({
    resourceTemplates: RESOURCE_TEMPLATES,
  }));
  server.setRequestHandler(ListResourcesRequestSchema, async () => ({
    resources: await listResources(opts.plane, opts.principal()),
  }));
  server.setRequestHandler(ReadResourceRequestSchema, (request) =>
    readResource(opts.plane, opts.principal(), request.params.uri),
  );
  server.setRequestHandler(SubscribeRequestSchema, async (request) => {
    await subscriptions.subscribe(request.params.uri);
    return {};
  });
  server.setRequestHandler(UnsubscribeRequestSchema, (request) => {
    subscriptions.unsubscribe(request.params.uri);
    return {};
  });

  server.setRequestHandler(ListPromptsRequestSchema, () => ({ prompts: PROMPTS }));
  server.setRequestHandler(GetPromptRequestSchema, (request) =>
    getPrompt(opts.plane, opts.principal(), request.params.name, request.params.arguments ?? {}),
  );

  return {
    server,
    closed,
    async close() {
      subscriptions.stop();
      await server.close();
    },
  };
}

function clientName(server: Server): { clientName?: string } {
  const name = server.getClientVersion()?.name;
  return name ? { clientName: name.slice(0, 100) } : {};
}
