import { context } from '@opentelemetry/api';
import { AobError } from '@aob/core';
import type { CasRef } from '@aob/core';
import { abortError, throwIfAborted } from '../abort.js';
import { classify, emit, requireLlm } from '../llm.js';
import type { Executor } from '../types.js';
import type {
  AgentAdapter,
  AgentRunResult,
  AgentUsage,
  ModelCall,
  TranscriptEntry,
} from './adapter.js';
import { parseAgentConfig } from './config.js';
import type { AgentConfig, AgentFramework } from './config.js';
import { buildAgentTools } from './tools.js';
import { withoutNewProcessListeners } from './quiet-tracing.js';
import type { AgentTool, AgentToolSet, PatchRecord, ToolMemory } from './tools.js';
import { NodeSuspension } from '../suspension.js';
import { keepContextAcrossAwaits } from '../../telemetry/context-manager.js';
import type { ExecutorContext, LlmOptions } from '../types.js';
import type { NodeJob } from '@aob/core';

/**
 * What a suspended agent attempt leaves in the content store (the `state` of its `suspended`
 * result and of its QuestionAsked event): the framework's own serialised run — the OpenAI Agents
 * SDK's RunState, LangGraph's checkpoints — and what the aob tools remember. A resumed job
 * restores both and goes on from the ask_user call.
 */
export interface SavedAgentState {
  kind: 'aob.agent-state';
  version: 1;
  framework: AgentFramework;
  /** The adapter's `asked.state`, opaque here. */
  adapter: string;
  tools: ToolMemory;
}

/**
 * The adapters, loaded on first use: the two frameworks take about 0.6 s to import, which every
 * `aob` command and every runner start would pay otherwise.
 */
export const AGENT_ADAPTERS: Readonly<Record<AgentFramework, () => Promise<AgentAdapter>>> = {
  'openai-agents': () =>
    withoutNewProcessListeners(
      async () => (await import('./openai-agents.js')).openAIAgentsAdapter,
    ),
  langgraph: async () => (await import('./langgraph.js')).langGraphAdapter,
};

export interface AgentOutput {
  /** The final answer's text. */
  output: string;
  /** With `with.schema`: the final answer parsed as JSON and valid against the schema. */
  parsed?: unknown;
  /** The transcript in the content store; the entries themselves when the runner has none. */
  transcript: CasRef | TranscriptEntry[];
  usage: AgentUsage | null;
  /** Model calls made. */
  turns: number;
  framework: AgentFramework;
  model: string;
  /** The proposals made in this attempt, in order, as the run decided them. */
  patches: PatchRecord[];
}

/**
 * `agent`: `with { framework: openai-agents | langgraph, model, instructions?, prompt, tools?,
 * mcp?, maxTurns = 10, schema? }` → AgentOutput.
 *
 * The agent reads its run and proposes patches through `ctx.options.agentHost` (get_graph,
 * get_node_output, propose_patch, authored `agent:<nodeId>`); a rejected proposal is an answer
 * the agent sees, not a failure. Granted node-type tools run the real executors. The text of the
 * model's replies streams to `ctx.stream` as it arrives (every turn's, not only the final one's).
 * The client never retries: the engine does, by the node's policy.
 *
 * With `with.ask` the agent also has ask_user: a call stops the attempt — its state saved in the
 * content store (SavedAgentState), a NodeSuspension thrown for the runner to report as
 * `suspended` — and the job sent again with `job.resume` once answered goes on from that state
 * with the answer as the call's result, repeating no model call. `usage` is what this job spent
 * (since it resumed, when it did: the tokens before are on the QuestionAsked events); `turns`
 * and `patches` count the whole attempt.
 *
 * Every model call's tokens go to `ctx.spend` as the call ends; once the attempt has spent more
 * than its run had left (`job.budgetLeft`) the agent is stopped after that call (unless it was
 * the final answer) and the attempt fails with BUDGET_EXCEEDED — the runner reports what it spent.
 *
 * With `with.mcp` the tools of the MCP servers it names (from the runner's settings) are the
 * agent's too, as `<server>__<tool>`: connected as the attempt begins, closed as it ends (mcp.ts).
 *
 * Errors: 'BAD_CONFIG', 'AGENT_NOT_CONFIGURED', 'AGENT_STATE_UNREADABLE', 'LLM_NOT_CONFIGURED', 'AGENT_MAX_TURNS',
 * 'AGENT_BAD_OUTPUT', 'LLM_REQUEST_REJECTED', 'BUDGET_EXCEEDED', 'MCP_NOT_CONFIGURED', 'SSRF' —
 * non-retryable; 'LLM_UNAVAILABLE', 'MCP_UNAVAILABLE' — retryable; 'CANCELLED' / 'TIMEOUT' when
 * `ctx.signal` aborts.
 */
export const agentExecutor: Executor = (job, ctx) => {
  // An agent framework reads the active context deep inside its own code (its model and tool
  // calls nest under the attempt's span that way), so from the first agent on, this process keeps
  // contexts across awaits; the attempt's context is the active one while the agent runs.
  keepContextAcrossAwaits();
  return context.with(ctx.trace ?? context.active(), () => runAgent(job, ctx));
};

const runAgent: Executor = async (job, ctx) => {
  throwIfAborted(ctx.signal);
  const config = parseAgentConfig(job.config, job.nodeId);
  const hostFor = ctx.options.agentHost;
  if (hostFor === undefined) {
    throw new AobError(
      'AGENT_NOT_CONFIGURED',
      `agent node ${job.nodeId}: this runner gives agents no access to their run (a cluster runner needs AOB_API_URL, the API they reach it through)`,
      { retryable: false },
    );
  }
  const llm = requireLlm(ctx.options, job.nodeId, 'agent');
  const saved = job.resume ? await savedState(job, ctx, config) : undefined;
  const toolSet = buildAgentTools(job, ctx, hostFor(job), config.tools, saved?.tools);
  // The MCP servers of `with.mcp`, connected for this attempt only: closed however it ends.
  const mcp = config.mcp.length === 0 ? undefined : await openMcp(job, ctx, config);
  try {
    return await attempt(job, ctx, config, llm, saved, toolSet, mcp?.tools ?? []);
  } finally {
    await mcp?.close();
  }
};

/**
 * The MCP servers' tools (the client loaded on first use, as the frameworks are). Errors:
 * 'MCP_NOT_CONFIGURED', 'SSRF', 'MCP_UNAVAILABLE' (mcp.ts).
 */
async function openMcp(job: NodeJob, ctx: ExecutorContext, config: AgentConfig) {
  const { openMcpTools } = await import('./mcp.js');
  return openMcpTools({
    nodeId: job.nodeId,
    servers: config.mcp,
    options: ctx.options,
    signal: ctx.signal,
    callTimeoutMs: job.timeoutMs,
  });
}

/** The agent's run, from its first model call to its answer (or its question). */
async function attempt(
  job: NodeJob,
  ctx: ExecutorContext,
  config: AgentConfig,
  llm: LlmOptions,
  saved: SavedAgentState | undefined,
  toolSet: AgentToolSet,
  mcpTools: readonly AgentTool[],
): Promise<AgentOutput> {
  // The run's budget: every model call is counted as it ends (ctx.spend); once the attempt has
  // spent more than its run had left, the agent is stopped there — its tools and its next model
  // call aborted — unless that call was its final answer (then it has nothing more to spend).
  const budget = new AbortController();
  const signal = AbortSignal.any([ctx.signal, budget.signal]);
  let calls = 0;
  const onModelCall = (call: ModelCall): void => {
    calls += 1;
    const over = ctx.spend?.({
      promptTokens: call.promptTokens,
      completionTokens: call.completionTokens,
    });
    if (over === true && !call.final && !budget.signal.aborted)
      budget.abort(budgetStop(job, calls));
  };

  let result: AgentRunResult;
  try {
    const adapter = await AGENT_ADAPTERS[config.framework]();
    result = await adapter.run({
      nodeId: job.nodeId,
      config,
      tools: [...toolSet.tools, ...mcpTools],
      llm,
      signal,
      onDelta: (delta) => emit(ctx, delta),
      onModelCall,
      ...(saved && job.resume
        ? { resume: { state: saved.adapter, answer: job.resume.answer } }
        : {}),
    });
  } catch (err) {
    if (signal.aborted) throw abortError(signal);
    throw classify(err, job.nodeId, 'agent');
  }
  if (signal.aborted) throw abortError(signal);

  if (result.asked) {
    // The attempt stops here and waits for the answer; the runner reports it `suspended`.
    if (!ctx.content) throw noContentStore(job.nodeId);
    const state: SavedAgentState = {
      kind: 'aob.agent-state',
      version: 1,
      framework: config.framework,
      adapter: result.asked.state,
      tools: toolSet.snapshot(),
    };
    throw new NodeSuspension({
      question: result.asked.question,
      state: await ctx.content.put(state),
      usage: result.usage,
      model: config.model,
    });
  }

  const output: AgentOutput = {
    output: result.finalOutput,
    transcript: ctx.content ? await ctx.content.put(result.transcript) : result.transcript,
    usage: result.usage,
    turns: result.turns,
    framework: config.framework,
    model: config.model,
    patches: toolSet.patches(),
  };
  if (config.schema) output.parsed = parseFinal(result.finalOutput, config, job.nodeId);
  return output;
}

/**
 * The attempt spent more than its run had left when the job was sent (`job.budgetLeft`): it stops
 * after the model call that crossed it. Not retryable — the same again would cross it again; the
 * run's budget policy decides what follows (with `pause`, another attempt once it is raised).
 */
function budgetStop(job: NodeJob, calls: number): AobError {
  const left = job.budgetLeft ?? {};
  const limits = [
    ...(left.tokens !== undefined ? [`${left.tokens} tokens`] : []),
    ...(left.costUsd !== undefined ? [`$${left.costUsd}`] : []),
  ].join(', ');
  return new AobError(
    'BUDGET_EXCEEDED',
    `agent node ${job.nodeId}: stopped after ${calls} model call(s): the attempt spent more than its run had left (${limits})`,
    { retryable: false, details: { budgetLeft: left, modelCalls: calls } },
  );
}

/** The state a resumed job goes on from, as the job that asked saved it. */
async function savedState(
  job: NodeJob,
  ctx: ExecutorContext,
  config: AgentConfig,
): Promise<SavedAgentState> {
  if (!ctx.content?.get) throw noContentStore(job.nodeId);
  const value = (await ctx.content.get(job.resume!.state)) as Partial<SavedAgentState> | null;
  if (
    value === null ||
    typeof value !== 'object' ||
    value.kind !== 'aob.agent-state' ||
    value.version !== 1 ||
    typeof value.adapter !== 'string' ||
    value.framework !== config.framework
  ) {
    throw new AobError(
      'AGENT_STATE_UNREADABLE',
      `agent node ${job.nodeId}: the state saved when it asked (${job.resume!.state.$cas}) is not the state of a ${config.framework} agent`,
      { retryable: false },
    );
  }
  return value as SavedAgentState;
}

/** An agent that may ask keeps its state in the content store; a runner without one cannot. */
function noContentStore(nodeId: string): AobError {
  return new AobError(
    'AGENT_NOT_CONFIGURED',
    `agent node ${nodeId}: with.ask needs a content store to keep the agent's state in while it waits for an answer`,
    { retryable: false },
  );
}

function parseFinal(text: string, config: AgentConfig, nodeId: string): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new AobError(
      'AGENT_BAD_OUTPUT',
      `agent node ${nodeId}: the final answer is not JSON: ${err instanceof Error ? err.message : String(err)}`,
      { retryable: false },
    );
  }
  const problems = config.schema?.validate(parsed) ?? [];
  if (problems.length > 0) {
    throw new AobError(
      'AGENT_BAD_OUTPUT',
      `agent node ${nodeId}: the final answer does not match with.schema: ${problems.join('; ')}`,
      { retryable: false, details: { problems } },
    );
  }
  return parsed;
}
