import { context } from '@opentelemetry/api';
import { AobError, NodeType, toErrorData } from '@aob/core';
import type { NodeJob } from '@aob/core';
import { codeExecutor } from '../code.js';
import { fsExecutor } from '../fs.js';
import { httpExecutor } from '../http.js';
import { searchExecutor } from '../search.js';
import { addPatchEvent } from '../../telemetry/genai.js';
import type { AgentHost, Executor, ExecutorContext, PatchOutcome } from '../types.js';
import type { AgentToolGrant } from './config.js';

/** A JSON Schema object describing a tool's arguments. */
export type ToolParameters = {
  type: 'object';
  properties: Record<string, unknown>;
  required?: string[];
  additionalProperties?: boolean;
};

/** One tool, framework-neutral: the adapters wrap it in their framework's tool type. */
export interface AgentTool {
  name: string;
  description: string;
  parameters: ToolParameters;
  /**
   * Never rejects for a failure the model can react to: it resolves `{ error: { code, message } }`
   * instead. Rejects only when `signal` has aborted (the run is over).
   */
  run(args: unknown, signal: AbortSignal): Promise<unknown>;
}

export interface PatchRecord {
  patchId: string;
  status: PatchOutcome['status'];
}

export interface AgentToolSet {
  tools: AgentTool[];
  /** The proposals of this attempt, in order, with how the run decided them. */
  patches(): PatchRecord[];
  /** What the tools remember between calls, for an agent that suspends (and `restored` later). */
  snapshot(): ToolMemory;
}

/** The tools' memory of an attempt: the graph the agent last read, its proposals, tool calls made. */
export interface ToolMemory {
  irHash?: string;
  patches: PatchRecord[];
  calls: number;
}

/** The author of an agent's proposals: `agent:<nodeId>`. */
export const agentAuthor = (nodeId: string): string => `agent:${nodeId}`;

const isRecord = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

const badArguments = (message: string): AobError =>
  new AobError('BAD_ARGUMENTS', message, { retryable: false });

/** Keeps only `keys` of the model's arguments: the model configures no more than they allow. */
function pick(args: unknown, keys: readonly string[]): Record<string, unknown> {
  if (!isRecord(args)) throw badArguments('the arguments must be a JSON object');
  const out: Record<string, unknown> = {};
  for (const k of keys) if (args[k] !== undefined) out[k] = args[k];
  return out;
}

/**
 * The tools of one attempt of an agent node: the graph tools (get_graph, get_node_output,
 * propose_patch) always, and the node-type tools `grants` names, each running the real executor
 * of that type on a derived job with the same options and signal — so an agent's `http` call goes
 * through the same SSRF gate as an `http` node's.
 */
export function buildAgentTools(
  job: NodeJob,
  ctx: ExecutorContext,
  host: AgentHost,
  grants: readonly AgentToolGrant[],
  /** The memory of the same attempt before it suspended, when it resumes. */
  restored?: ToolMemory,
): AgentToolSet {
  let irHash: string | undefined = restored?.irHash;
  const patches: PatchRecord[] = [...(restored?.patches ?? [])];
  let calls = restored?.calls ?? 0;

  const graphTools: AgentTool[] = [
    {
      name: 'get_graph',
      description:
        'The run this agent belongs to: its current definition (base plus applied patches), ' +
        'irHash and the status of every node.',
      parameters: { type: 'object', properties: {} },
      run: async () => {
        const view = await host.graph();
        irHash = view.irHash;
        return view;
      },
    },
    {
      name: 'get_node_output',
      description: "A finished node's output.",
      parameters: {
        type: 'object',
        properties: { nodeId: { type: 'string', description: 'The id of the node.' } },
        required: ['nodeId'],
      },
      run: async (args) => {
        const { nodeId } = pick(args, ['nodeId']);
        if (typeof nodeId !== 'string') throw badArguments('nodeId must be a string');
        return host.nodeOutput(nodeId);
      },
    },
    {
      name: 'propose_patch',
      description:
        'Proposes a change to the running graph as RFC 6902 operations on its definition ' +
        '(paths under /nodes, /edges, /output). The run validates it and answers applied, held ' +
        '(awaiting human approval) or rejected with every violation; a rejected proposal may be ' +
        'corrected and proposed again. Call get_graph first: the proposal is made against the ' +
        'graph it returned.',
      parameters: {
        type: 'object',
        properties: {
          ops: {
            type: 'array',
            description: 'RFC 6902 operations, applied in order.',
            items: { type: 'object' },
          },
          rationale: { type: 'string', description: 'Why the change is proposed.' },
        },
        required: ['ops'],
      },
      run: async (args) => {
        const { ops, rationale } = pick(args, ['ops', 'rationale']);
        if (!Array.isArray(ops)) throw badArguments('ops must be an array of RFC 6902 operations');
        if (rationale !== undefined && typeof rationale !== 'string') {
          throw badArguments('rationale must be a string');
        }
        const proposedAt = Date.now();
        const author = agentAuthor(job.nodeId);
        const outcome = await host.proposePatch({
          ops,
          author,
          ...(rationale === undefined ? {} : { rationale }),
          ...(irHash === undefined ? {} : { baseIrHash: irHash }),
        });
        patches.push({ patchId: outcome.patchId, status: outcome.status });
        // On the active span (the call's `execute_tool`): the proposal, then the run's verdict.
        const { patchId } = outcome;
        addPatchEvent('proposed', { patchId, author }, undefined, proposedAt);
        addPatchEvent(outcome.status, {
          patchId,
          author,
          ...(outcome.status === 'rejected' ? { violations: outcome.violations.length } : {}),
          ...(outcome.status === 'applied' ? { irHash: outcome.irHash } : {}),
        });
        if (outcome.status === 'applied' && outcome.irHash !== undefined) irHash = outcome.irHash;
        return outcome;
      },
    },
  ];

  /** Runs the executor of `type` as if a node of that type had `config`. */
  const delegate = (
    type: NodeType,
    executor: Executor,
    keys: readonly string[],
    /** The argument that becomes the job's input (default: none, input null). */
    inputKey?: string,
  ): AgentTool['run'] => {
    return async (args, signal) => {
      const config = pick(args, keys);
      const n = ++calls;
      // The agent's job token is for its graph tools: a tool's executor never sees it.
      const { jobToken: _token, ...own } = job;
      const derived: NodeJob = {
        ...own,
        nodeId: `${job.nodeId}.${type}#${n}`,
        type,
        config,
        input: (inputKey === undefined ? undefined : pick(args, [inputKey])[inputKey]) ?? null,
        idempotencyKey: `${job.idempotencyKey}:tool:${n}`,
      };
      // Under the tool call's span, active while the agent framework runs it.
      return executor(derived, { ...ctx, nodeId: derived.nodeId, signal, trace: context.active() });
    };
  };

  const granted: Record<AgentToolGrant, AgentTool> = {
    http: {
      name: 'http',
      description:
        'An HTTP request to a public address. Returns { status, headers, body }. Private, ' +
        'loopback, link-local and metadata addresses are refused.',
      parameters: {
        type: 'object',
        properties: {
          url: { type: 'string' },
          method: { type: 'string', description: 'Default GET.' },
          headers: { type: 'object', additionalProperties: { type: 'string' } },
          body: { description: 'A string, or JSON to send as application/json.' },
        },
        required: ['url'],
      },
      run: delegate(NodeType.http, httpExecutor, ['url', 'method', 'headers', 'body']),
    },
    search: {
      name: 'search',
      description: 'A web search. Returns { query, results: [{ title, url, snippet }] }.',
      parameters: {
        type: 'object',
        properties: {
          query: { type: 'string' },
          limit: { type: 'integer', minimum: 1, maximum: 50, description: 'Default 10.' },
        },
        required: ['query'],
      },
      run: delegate(NodeType.search, searchExecutor, ['query', 'limit']),
    },
    fs: {
      name: 'fs',
      description:
        "Files in the runner's workspace (paths relative to its root): read, write, list, " +
        'move, delete, stat, mkdir.',
      parameters: {
        type: 'object',
        properties: {
          op: { enum: ['read', 'write', 'list', 'move', 'delete', 'stat', 'mkdir'] },
          path: { type: 'string' },
          to: { type: 'string', description: 'The destination of move.' },
          content: { type: 'string', description: 'What write writes.' },
          encoding: { enum: ['utf8', 'base64'] },
          recursive: { type: 'boolean' },
        },
        required: ['op', 'path'],
      },
      run: delegate(NodeType.fs, fsExecutor, [
        'op',
        'path',
        'to',
        'content',
        'encoding',
        'recursive',
      ]),
    },
    code: {
      name: 'code',
      description:
        'Runs a JavaScript or Python snippet in a sandbox without network access; `input` is ' +
        'its input. Returns { result, logs }.',
      parameters: {
        type: 'object',
        properties: {
          language: { enum: ['javascript', 'python'] },
          source: { type: 'string' },
          input: { description: 'The JSON value the snippet receives as its input.' },
          timeoutMs: { type: 'integer', minimum: 1 },
        },
        required: ['language', 'source'],
      },
      // `network` is not offered: a grant of `code` is not a grant of the network.
      run: delegate(NodeType.code, codeExecutor, ['language', 'source', 'timeoutMs'], 'input'),
    },
  };

  const tools = [...graphTools, ...grants.map((g) => granted[g])].map(reportingErrors);
  return {
    tools,
    patches: () => [...patches],
    snapshot: () => ({ ...(irHash === undefined ? {} : { irHash }), patches: [...patches], calls }),
  };
}

/** A failed tool call is an answer the model can act on, not the node's failure. */
function reportingErrors(tool: AgentTool): AgentTool {
  return {
    ...tool,
    run: async (args, signal) => {
      try {
        return await tool.run(args, signal);
      } catch (err) {
        if (signal.aborted) throw err;
        const { code, message } = toErrorData(err, 'TOOL_FAILED');
        return { error: { code, message } };
      }
    },
  };
}
