import { AobError, credentialKeys } from '@aob/core';
import { MCP_SERVER_NAME } from '../../env-settings.js';
import { compileOutputSchema } from '../llm-schema.js';
import type { OutputValidator } from '../llm-schema.js';

export const AGENT_FRAMEWORKS = ['openai-agents', 'langgraph'] as const;
export type AgentFramework = (typeof AGENT_FRAMEWORKS)[number];

/** Node types a definition may grant an agent as tools (beside the graph tools it always has). */
export const AGENT_TOOL_GRANTS = ['http', 'search', 'fs', 'code'] as const;
export type AgentToolGrant = (typeof AGENT_TOOL_GRANTS)[number];

export const AGENT_DEFAULT_MAX_TURNS = 10;
export const AGENT_MAX_TURNS_LIMIT = 50;

/** An `agent` node's `with`, checked. */
export interface AgentConfig {
  framework: AgentFramework;
  model: string;
  instructions?: string;
  /** The task, sent as the user message. */
  prompt: string;
  tools: AgentToolGrant[];
  /**
   * MCP servers whose tools the agent has, by their names in the runner's settings
   * (AOB_MCP_SERVERS); each tool offered as `<server>__<tool>`.
   */
  mcp: string[];
  /** Model calls at most; one more is 'AGENT_MAX_TURNS'. */
  maxTurns: number;
  /** With `with.schema`: the final output must be JSON valid against it. */
  schema?: { schema: Record<string, unknown>; validate: OutputValidator };
  /**
   * With `with.ask`: the agent has the ask_user tool, whose call suspends the attempt until a
   * person answers (who may answer and for how long is the core's business, not the agent's).
   */
  ask: boolean;
}

const KNOWN = new Set([
  'framework',
  'model',
  'instructions',
  'prompt',
  'tools',
  'mcp',
  'maxTurns',
  'schema',
  'ask',
  // Where the job runs (a runner outside the cluster with this label): the orchestrator's
  // concern, not the agent's (orchestrator/job-route.ts).
  'runsOn',
]);
const isRecord = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);
const oneOf = <T extends string>(list: readonly T[], v: unknown): v is T =>
  typeof v === 'string' && (list as readonly string[]).includes(v);

const bad = (nodeId: string, message: string, details?: unknown): AobError =>
  new AobError('BAD_CONFIG', `agent node ${nodeId}: ${message}`, { retryable: false, details });

/**
 * Checks `with { framework, model, instructions?, prompt, tools?, mcp?, maxTurns?, schema?, ask? }`.
 * Every problem is named at once. As for `llm`, the endpoint and key never come from here, nor
 * an MCP server's address: `with.mcp` names servers of the runner's settings.
 */
export function parseAgentConfig(config: Record<string, unknown>, nodeId: string): AgentConfig {
  const credentials = credentialKeys(config);
  if (credentials.length > 0) {
    throw bad(
      nodeId,
      `with.${credentials.join(', with.')} is not allowed: the endpoint and the API key of an ` +
        'agent node come from the runner configuration and its secrets, never from the ' +
        'definition, where they would be stored and shown in clear',
      { keys: credentials },
    );
  }
  const problems: string[] = [];
  const unknown = Object.keys(config).filter((k) => !KNOWN.has(k));
  if (unknown.length) problems.push(`unknown key(s) ${unknown.join(', ')}`);

  const { framework, model, instructions, prompt, tools, mcp, maxTurns, schema, ask } = config;
  if (!oneOf(AGENT_FRAMEWORKS, framework)) {
    problems.push(`with.framework must be one of ${AGENT_FRAMEWORKS.join(', ')}`);
  }
  if (typeof model !== 'string' || model === '') {
    problems.push('with.model must be a non-empty string');
  }
  if (instructions !== undefined && typeof instructions !== 'string') {
    problems.push('with.instructions must be a string');
  }
  if (typeof prompt !== 'string' || prompt === '') {
    problems.push('with.prompt must be a non-empty string');
  }
  const grants: AgentToolGrant[] = [];
  if (tools !== undefined && !Array.isArray(tools)) {
    problems.push(`with.tools must be an array of ${AGENT_TOOL_GRANTS.join(', ')}`);
  } else {
    (tools ?? []).forEach((t: unknown, i) => {
      if (!oneOf(AGENT_TOOL_GRANTS, t)) {
        problems.push(`with.tools[${i}] must be one of ${AGENT_TOOL_GRANTS.join(', ')}`);
      } else if (grants.includes(t)) {
        problems.push(`with.tools[${i}] repeats ${t}`);
      } else {
        grants.push(t);
      }
    });
  }
  const servers: string[] = [];
  if (mcp !== undefined && !Array.isArray(mcp)) {
    problems.push('with.mcp must be an array of MCP server names');
  } else {
    (mcp ?? []).forEach((name: unknown, i) => {
      if (typeof name !== 'string' || !MCP_SERVER_NAME.test(name)) {
        problems.push(
          `with.mcp[${i}] must be an MCP server name (a-z, 0-9 and -, starting with a letter, at most 32)`,
        );
      } else if (servers.includes(name)) {
        problems.push(`with.mcp[${i}] repeats ${name}`);
      } else {
        servers.push(name);
      }
    });
  }
  if (
    maxTurns !== undefined &&
    (typeof maxTurns !== 'number' ||
      !Number.isInteger(maxTurns) ||
      maxTurns < 1 ||
      maxTurns > AGENT_MAX_TURNS_LIMIT)
  ) {
    problems.push(`with.maxTurns must be an integer from 1 to ${AGENT_MAX_TURNS_LIMIT}`);
  }
  let validate: OutputValidator | undefined;
  if (schema !== undefined) {
    if (!isRecord(schema)) {
      problems.push('with.schema must be a JSON Schema object');
    } else {
      try {
        validate = compileOutputSchema(schema, nodeId);
      } catch (err) {
        problems.push(`with.schema is not a valid JSON Schema: ${messageOf(err)}`);
      }
    }
  }
  if (ask !== undefined && !isRecord(ask)) {
    problems.push('with.ask must be an object ({ askees?, timeoutMs? })');
  }
  if (problems.length > 0) throw bad(nodeId, problems.join('; '), { problems });

  const parsed: AgentConfig = {
    framework: framework as AgentFramework,
    model: model as string,
    prompt: prompt as string,
    tools: grants,
    mcp: servers,
    maxTurns: (maxTurns as number | undefined) ?? AGENT_DEFAULT_MAX_TURNS,
    ask: ask !== undefined,
  };
  if (instructions !== undefined) parsed.instructions = instructions as string;
  if (validate) parsed.schema = { schema: schema as Record<string, unknown>, validate };
  return parsed;
}

function messageOf(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  // compileOutputSchema speaks for llm nodes; keep only the schema's own complaint.
  return message.replace(/^.*?with\.schema is not a valid JSON Schema: /, '');
}
