import { AobError } from '@aob/core';
import type { CasRef } from '@aob/core';
import { abortError, throwIfAborted } from '../abort.js';
import { classify, emit, requireLlm } from '../llm.js';
import type { Executor } from '../types.js';
import type { AgentAdapter, AgentRunResult, AgentUsage, TranscriptEntry } from './adapter.js';
import { parseAgentConfig } from './config.js';
import type { AgentConfig, AgentFramework } from './config.js';
import { buildAgentTools } from './tools.js';
import type { PatchRecord } from './tools.js';

/**
 * The adapters, loaded on first use: the two frameworks take about 0.6 s to import, which every
 * `aob` command and every runner start would pay otherwise.
 */
export const AGENT_ADAPTERS: Readonly<Record<AgentFramework, () => Promise<AgentAdapter>>> = {
  'openai-agents': async () => (await import('./openai-agents.js')).openAIAgentsAdapter,
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
 * maxTurns = 10, schema? }` → AgentOutput.
 *
 * The agent reads its run and proposes patches through `ctx.options.agentHost` (get_graph,
 * get_node_output, propose_patch, authored `agent:<nodeId>`); a rejected proposal is an answer
 * the agent sees, not a failure. Granted node-type tools run the real executors. The text of the
 * model's replies streams to `ctx.stream` as it arrives (every turn's, not only the final one's).
 * The client never retries: the engine does, by the node's policy.
 *
 * Errors: 'BAD_CONFIG', 'AGENT_NOT_CONFIGURED', 'LLM_NOT_CONFIGURED', 'AGENT_MAX_TURNS',
 * 'AGENT_BAD_OUTPUT', 'LLM_REQUEST_REJECTED' — non-retryable; 'LLM_UNAVAILABLE' — retryable;
 * 'CANCELLED' / 'TIMEOUT' when `ctx.signal` aborts.
 */
export const agentExecutor: Executor = async (job, ctx) => {
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
  const toolSet = buildAgentTools(job, ctx, hostFor(job), config.tools);

  let result: AgentRunResult;
  try {
    const adapter = await AGENT_ADAPTERS[config.framework]();
    result = await adapter.run({
      nodeId: job.nodeId,
      config,
      tools: toolSet.tools,
      llm,
      signal: ctx.signal,
      onDelta: (delta) => emit(ctx, delta),
    });
  } catch (err) {
    if (ctx.signal.aborted) throw abortError(ctx.signal);
    throw classify(err, job.nodeId, 'agent');
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
};

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
