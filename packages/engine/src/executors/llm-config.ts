import { AobError, credentialKeys } from '@aob/core';

export type LlmRole = 'system' | 'developer' | 'user' | 'assistant';

export interface LlmMessage {
  role: LlmRole;
  content: string;
}

/** An `llm` node's `with`, checked. */
export interface LlmConfig {
  model: string;
  messages: LlmMessage[];
  temperature?: number;
  maxTokens?: number;
  schema?: { name: string; schema: Record<string, unknown> };
}

const KNOWN = new Set([
  'model',
  'prompt',
  'messages',
  'system',
  'temperature',
  'maxTokens',
  'schema',
  'schemaName',
]);
const ROLES = new Set<string>(['system', 'developer', 'user', 'assistant']);
const SCHEMA_NAME = /^[A-Za-z0-9_-]{1,64}$/;

const bad = (nodeId: string, message: string, details?: unknown): AobError =>
  new AobError('BAD_CONFIG', `llm node ${nodeId}: ${message}`, { retryable: false, details });

/**
 * Checks `with { model, prompt? | messages?, system?, temperature?, maxTokens?, schema?,
 * schemaName? }`. Every problem is named at once. The endpoint and the key are never read from
 * here: they come from the runner's configuration and secrets (ExecutorOptions.llm).
 */
export function parseLlmConfig(config: Record<string, unknown>, nodeId: string): LlmConfig {
  const credentials = credentialKeys(config);
  if (credentials.length > 0) {
    throw bad(
      nodeId,
      `with.${credentials.join(', with.')} is not allowed: the endpoint and the API key of an ` +
        'llm node come from the runner configuration and its secrets, never from the definition, ' +
        'where they would be stored and shown in clear',
      { keys: credentials },
    );
  }
  const problems: string[] = [];
  const unknown = Object.keys(config).filter((k) => !KNOWN.has(k));
  if (unknown.length) problems.push(`unknown key(s) ${unknown.join(', ')}`);

  const { model, prompt, messages, system, temperature, maxTokens, schema, schemaName } = config;
  if (typeof model !== 'string' || model === '') {
    problems.push('with.model must be a non-empty string');
  }
  const out: LlmMessage[] = [];
  if (system !== undefined) {
    if (typeof system === 'string') out.push({ role: 'system', content: system });
    else problems.push('with.system must be a string');
  }
  if ((prompt === undefined) === (messages === undefined)) {
    problems.push('exactly one of with.prompt and with.messages is required');
  } else if (prompt !== undefined) {
    if (typeof prompt === 'string') out.push({ role: 'user', content: prompt });
    else problems.push('with.prompt must be a string');
  } else if (!Array.isArray(messages) || messages.length === 0) {
    problems.push('with.messages must be a non-empty array');
  } else {
    messages.forEach((m: unknown, i) => {
      const { role, content } = (m ?? {}) as { role?: unknown; content?: unknown };
      if (typeof role !== 'string' || !ROLES.has(role) || typeof content !== 'string') {
        problems.push(
          `with.messages[${i}] must be { role: system|developer|user|assistant, content: string }`,
        );
      } else {
        out.push({ role: role as LlmRole, content });
      }
    });
  }
  if (
    temperature !== undefined &&
    (typeof temperature !== 'number' || !(temperature >= 0 && temperature <= 2))
  ) {
    problems.push('with.temperature must be a number from 0 to 2');
  }
  if (
    maxTokens !== undefined &&
    (typeof maxTokens !== 'number' || !Number.isInteger(maxTokens) || maxTokens < 1)
  ) {
    problems.push('with.maxTokens must be a positive integer');
  }
  if (
    schema !== undefined &&
    (schema === null || typeof schema !== 'object' || Array.isArray(schema))
  ) {
    problems.push('with.schema must be a JSON Schema object');
  }
  if (
    schemaName !== undefined &&
    (typeof schemaName !== 'string' || !SCHEMA_NAME.test(schemaName))
  ) {
    problems.push('with.schemaName must match [A-Za-z0-9_-]{1,64}');
  }
  if (problems.length > 0) throw bad(nodeId, problems.join('; '), { problems });

  const parsed: LlmConfig = { model: model as string, messages: out };
  if (temperature !== undefined) parsed.temperature = temperature as number;
  if (maxTokens !== undefined) parsed.maxTokens = maxTokens as number;
  if (schema !== undefined) {
    parsed.schema = {
      name: (schemaName as string | undefined) ?? 'output',
      schema: schema as Record<string, unknown>,
    };
  }
  return parsed;
}
