// Where the engine lives and how it runs, from flags and the environment. Pure.
import path from 'node:path';
import type { LlmOptions, McpHostRules, McpServerSettings, SearchConfig } from '@aob/engine';
import { durabilityFromEnv, executorSettingsFromEnv, mcpHostRulesFromEnv } from '@aob/engine';
import type { Problem, ServerLimits } from '@aob/core';
import { badInput } from './errors.js';

export interface EngineSettings {
  home: string;
  store: 'file' | 'memory';
  /** AOB_DURABILITY: `normal` (the default) or `full` (every local commit fsynced). */
  durability: 'normal' | 'full';
  handlersFile?: string;
  allowPrivateNetwork: boolean;
  /** AOB_LLM_BASE_URL, AOB_LLM_API_KEY (a secret: only ever from the environment), AOB_LLM_MODELS. */
  llm?: LlmOptions;
  /** AOB_SEARCH_URL: a SearXNG instance with its JSON format enabled. */
  search?: SearchConfig;
  /** AOB_MCP_SERVERS: the MCP servers agent nodes may name in `with.mcp`. */
  mcp?: Record<string, McpServerSettings>;
  /** AOB_WORKSPACE: the one directory fs nodes may touch. */
  workspaceRoot?: string;
  /** AOB_LIMIT_*: the ceilings on definitions and expressions (the README's security section). */
  limits: Partial<ServerLimits>;
  /** AOB_MCP_ALLOWED_ORIGINS, AOB_MCP_ALLOWED_HOSTS: who may reach `aob dev`'s /mcp. */
  mcpHostRules: McpHostRules;
}

export interface SettingsFlags {
  store?: 'file' | 'memory';
  /** --handlers, or AOB_HANDLERS (oclif reads the env var into the flag). */
  handlers?: string;
  allowPrivateNetwork?: boolean;
}

export function engineSettings(
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
  flags: SettingsFlags = {},
): EngineSettings {
  const settings: EngineSettings = {
    home: path.resolve(cwd, env.AOB_HOME || '.aob'),
    store: flags.store ?? 'file',
    durability: 'normal',
    allowPrivateNetwork: flags.allowPrivateNetwork ?? false,
    limits: {},
    mcpHostRules: {},
  };
  const handlers = flags.handlers || env.AOB_HANDLERS;
  if (handlers) settings.handlersFile = path.resolve(cwd, handlers);
  const problems: Problem[] = [];
  settings.durability = durabilityFromEnv(env, problems);
  Object.assign(settings, executorSettingsFromEnv(env, cwd, problems));
  settings.mcpHostRules = mcpHostRulesFromEnv(env, problems);
  if (problems.length > 0) {
    throw badInput(
      'BAD_CONFIG',
      `bad configuration in the environment: ${problems.map((p) => p.message).join('; ')}`,
      problems,
    );
  }
  return settings;
}

/** Who decides an approval when --by is not given: $USER, else the OS account. */
export function defaultActor(
  env: Readonly<Record<string, string | undefined>>,
  osUser: () => string,
): string {
  if (env.USER) return env.USER;
  try {
    return osUser() || 'unknown';
  } catch {
    return 'unknown';
  }
}
