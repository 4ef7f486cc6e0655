// Settings every aob process reads from its environment the same way (the CLI's local engine and
// the services): a problem is `{ code: 'BAD_CONFIG', path: '/env/<NAME>', message }`.
import type { Problem } from '@aob/core';
import type { LlmOptions } from './executors/types.js';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The LLM endpoint of llm and agent nodes: AOB_LLM_BASE_URL, AOB_LLM_API_KEY (a secret: only ever
 * from the environment), AOB_LLM_MODELS (aliases as JSON). Problems are pushed onto `problems`.
 */
export function llmFromEnv(env: Env, problems: Problem[]): LlmOptions | undefined {
  const baseUrl = env.AOB_LLM_BASE_URL;
  if (!baseUrl) {
    if (env.AOB_LLM_API_KEY || env.AOB_LLM_MODELS) {
      problems.push(
        envProblem('AOB_LLM_BASE_URL', 'is required when AOB_LLM_API_KEY or AOB_LLM_MODELS is set'),
      );
    }
    return undefined;
  }
  if (!isHttpUrl(baseUrl)) problems.push(envProblem('AOB_LLM_BASE_URL', 'must be an http(s) URL'));
  const llm: LlmOptions = { baseUrl };
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
  return llm;
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
