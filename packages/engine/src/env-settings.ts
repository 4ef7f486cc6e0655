// Settings every aob process reads from its environment the same way (the CLI's local engine and
// the services): a problem is `{ code: 'BAD_CONFIG', path: '/env/<NAME>', message }`.
import type { Problem, ServerLimits } from '@aob/core';
import { SERVER_LIMIT_VARIABLES } from '@aob/core';
import { resolve } from 'node:path';
import type { LlmOptions, McpServerSettings, ModelPrice, SearchConfig } from './executors/types.js';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The LLM endpoint of llm and agent nodes: AOB_LLM_BASE_URL, AOB_LLM_API_KEY (a secret: only ever
 * from the environment), AOB_LLM_MODELS (aliases as JSON); and whether their spans carry the
 * messages, OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT (`true` or `false`, default
 * false). Problems are pushed onto `problems`.
 */
export function llmFromEnv(env: Env, problems: Problem[]): LlmOptions | undefined {
  const capture = captureContentOf(env.OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT);
  if (capture === undefined) {
    problems.push(
      envProblem(
        'OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT',
        `must be true or false, not "${env.OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT}"`,
      ),
    );
  }
  const baseUrl = env.AOB_LLM_BASE_URL;
  if (!baseUrl) {
    if (env.AOB_LLM_API_KEY || env.AOB_LLM_MODELS || env.AOB_LLM_PRICES) {
      problems.push(
        envProblem(
          'AOB_LLM_BASE_URL',
          'is required when AOB_LLM_API_KEY, AOB_LLM_MODELS or AOB_LLM_PRICES is set',
        ),
      );
    }
    return undefined;
  }
  if (!isHttpUrl(baseUrl)) problems.push(envProblem('AOB_LLM_BASE_URL', 'must be an http(s) URL'));
  const llm: LlmOptions = { baseUrl };
  if (capture === true) llm.captureContent = true;
  if (env.AOB_LLM_API_KEY) llm.apiKey = env.AOB_LLM_API_KEY;
  if (env.AOB_LLM_MODELS) {
    let models: unknown;
    try {
      models = JSON.parse(env.AOB_LLM_MODELS);
    } catch {
      models = undefined;
    }
    const valid =
      models !== null &&
      typeof models === 'object' &&
      !Array.isArray(models) &&
      Object.values(models).every((v) => typeof v === 'string' && v !== '');
    if (valid) llm.models = models as Record<string, string>;
    else {
      problems.push(
        envProblem(
          'AOB_LLM_MODELS',
          'must be a JSON object mapping model names to provider model ids, e.g. {"fast":"gpt-4o-mini"}',
        ),
      );
    }
  }
  if (env.AOB_LLM_PRICES) {
    const prices = pricesOf(env.AOB_LLM_PRICES);
    if (prices) llm.prices = prices;
    else {
      problems.push(
        envProblem(
          'AOB_LLM_PRICES',
          'must be a JSON object mapping models to US dollars per million tokens, e.g. {"fast":{"input":0.15,"output":0.6}}',
        ),
      );
    }
  }
  return llm;
}

/** `true` / `false` (any case; unset or empty: false); undefined for anything else. */
function captureContentOf(raw: string | undefined): boolean | undefined {
  const v = (raw ?? '').trim().toLowerCase();
  return v === '' || v === 'false' ? false : v === 'true' ? true : undefined;
}

/** AOB_LLM_PRICES: `{model: {input, output}}`, dollars per million tokens, each ≥ 0. */
function pricesOf(text: string): Record<string, ModelPrice> | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
  const dollars = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0;
  const ok = Object.values(parsed).every((p: unknown) => {
    const keys = p !== null && typeof p === 'object' ? Object.keys(p) : [];
    const { input, output } = (p ?? {}) as { input?: unknown; output?: unknown };
    return keys.length === 2 && dollars(input) && dollars(output);
  });
  return ok ? (parsed as Record<string, ModelPrice>) : undefined;
}

/**
 * What an MCP server is called in `with.mcp` and in AOB_MCP_SERVERS: lower-case letters, digits
 * and `-`, starting with a letter, at most 32. Its tools are offered as `<name>__<tool>`.
 */
export const MCP_SERVER_NAME = /^[a-z][a-z0-9-]{0,31}$/;

/**
 * AOB_MCP_SERVERS: the MCP servers agent nodes may name, as JSON
 * `{"<name>": {"url": "https://…/mcp", "token"?: "…", "headers"?: {"<header>": "…"}}}`. A secret
 * (the tokens): only ever from the environment. Problems are pushed onto `problems`.
 */
export function mcpFromEnv(
  env: Env,
  problems: Problem[],
): Record<string, McpServerSettings> | undefined {
  const text = env.AOB_MCP_SERVERS;
  if (text === undefined || text.trim() === '') return undefined;
  const shape =
    'must be a JSON object mapping server names to {"url": "http(s)://…", "token"?: "…", "headers"?: {…}}, e.g. {"search":{"url":"https://tools.example.org/mcp"}}';
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    problems.push(envProblem('AOB_MCP_SERVERS', shape));
    return undefined;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    problems.push(envProblem('AOB_MCP_SERVERS', shape));
    return undefined;
  }
  const servers: Record<string, McpServerSettings> = {};
  const wrong: string[] = [];
  for (const [name, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (!MCP_SERVER_NAME.test(name)) {
      wrong.push(
        `"${name}" is not a server name (a-z, 0-9 and -, starting with a letter, at most 32)`,
      );
      continue;
    }
    const v = (value ?? {}) as Record<string, unknown>;
    const extra = Object.keys(v).filter((k) => !['url', 'token', 'headers'].includes(k));
    const headersOk =
      v.headers === undefined ||
      (v.headers !== null &&
        typeof v.headers === 'object' &&
        !Array.isArray(v.headers) &&
        Object.values(v.headers).every((h) => typeof h === 'string'));
    if (
      value === null ||
      typeof value !== 'object' ||
      Array.isArray(value) ||
      typeof v.url !== 'string' ||
      !isHttpUrl(v.url) ||
      (v.token !== undefined && (typeof v.token !== 'string' || v.token === '')) ||
      !headersOk ||
      extra.length > 0
    ) {
      wrong.push(`"${name}" must be {"url": "http(s)://…", "token"?: "…", "headers"?: {…}}`);
      continue;
    }
    servers[name] = {
      url: v.url,
      ...(typeof v.token === 'string' ? { token: v.token } : {}),
      ...(v.headers !== undefined ? { headers: { ...(v.headers as Record<string, string>) } } : {}),
    };
  }
  if (wrong.length > 0) {
    problems.push(envProblem('AOB_MCP_SERVERS', `${shape}: ${wrong.join('; ')}`));
  }
  return servers;
}

/** What executors need from the environment, the same in `aob` and in every service. */
export interface ExecutorSettings {
  llm?: LlmOptions;
  /** AOB_SEARCH_URL: a SearXNG instance with its JSON format enabled. */
  search?: SearchConfig;
  /** AOB_MCP_SERVERS: the MCP servers agent nodes may name in `with.mcp`. */
  mcp?: Record<string, McpServerSettings>;
  /** AOB_WORKSPACE: the one directory fs nodes may touch (resolved against `cwd`). */
  workspaceRoot?: string;
  /** AOB_LIMIT_*: the ceilings on definitions and expressions. */
  limits: Partial<ServerLimits>;
}

/**
 * The one reader of executor settings: the CLI's local engine and the cluster's runners build
 * their executors from it, so a node type runs with the same settings names everywhere.
 */
export function executorSettingsFromEnv(
  env: Env,
  cwd: string,
  problems: Problem[],
): ExecutorSettings {
  const settings: ExecutorSettings = { limits: limitsFromEnv(env, problems) };
  const llm = llmFromEnv(env, problems);
  if (llm) settings.llm = llm;
  if (env.AOB_SEARCH_URL) {
    if (isHttpUrl(env.AOB_SEARCH_URL)) {
      settings.search = { provider: 'searxng', baseUrl: env.AOB_SEARCH_URL };
    } else {
      problems.push(envProblem('AOB_SEARCH_URL', 'must be an http(s) URL'));
    }
  }
  const mcp = mcpFromEnv(env, problems);
  if (mcp) settings.mcp = mcp;
  if (env.AOB_WORKSPACE) settings.workspaceRoot = resolve(cwd, env.AOB_WORKSPACE);
  return settings;
}

export const isHttpUrl = (s: string): boolean => {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
};

export const envProblem = (name: string, message: string): Problem => ({
  code: 'BAD_CONFIG',
  path: `/env/${name}`,
  message: `${name} ${message}`,
});

/**
 * The server's ceilings (AOB_LIMIT_*; the table is in the README's security section): each a
 * positive integer; unset ones keep their defaults. Problems are pushed onto `problems`.
 */
export function limitsFromEnv(env: Env, problems: Problem[]): Partial<ServerLimits> {
  const limits: Partial<ServerLimits> = {};
  for (const [key, name] of Object.entries(SERVER_LIMIT_VARIABLES) as [
    keyof ServerLimits,
    string,
  ][]) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const value = Number(raw);
    if (/^\d+$/.test(raw.trim()) && Number.isSafeInteger(value) && value >= 1) limits[key] = value;
    else problems.push(envProblem(name, `must be a positive integer, not "${raw}"`));
  }
  return limits;
}

/** Who may reach a server's `/mcp` besides its own origin and the loopback names. */
export interface McpHostRules {
  allowedOrigins?: string[];
  allowedHosts?: string[];
}

/**
 * AOB_MCP_ALLOWED_ORIGINS (origins, `scheme://host[:port]`, besides the server's own) and
 * AOB_MCP_ALLOWED_HOSTS (host names a loopback socket answers to besides localhost, 127.0.0.1 and
 * [::1]), each comma-separated. Problems are pushed onto `problems`.
 */
export function mcpHostRulesFromEnv(env: Env, problems: Problem[]): McpHostRules {
  const list = (name: string) =>
    (env[name] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  const origins = list('AOB_MCP_ALLOWED_ORIGINS');
  const badOrigins = origins.filter((o) => !isHttpUrl(o) || new URL(o).origin !== o);
  if (badOrigins.length > 0) {
    problems.push(
      envProblem(
        'AOB_MCP_ALLOWED_ORIGINS',
        `must list origins such as https://app.example.com (no path), not ${badOrigins.join(', ')}`,
      ),
    );
  }
  const hosts = list('AOB_MCP_ALLOWED_HOSTS').map((h) => h.toLowerCase());
  const badHosts = hosts.filter((h) => !/^(\[[0-9a-f:.]+\]|[a-z0-9.-]{1,253})$/.test(h));
  if (badHosts.length > 0) {
    problems.push(
      envProblem(
        'AOB_MCP_ALLOWED_HOSTS',
        `must list host names without ports, not ${badHosts.join(', ')}`,
      ),
    );
  }
  return {
    ...(origins.length > 0 ? { allowedOrigins: origins } : {}),
    ...(hosts.length > 0 ? { allowedHosts: hosts } : {}),
  };
}
