// One rule, for every place a node can sit (a workflow's nodes, a map's body, a patch's added or
// replaced node): the node types whose endpoint and secrets come from the runner's settings
// (`llm`, `agent`, `search`) must not carry an endpoint or a credential in their `with`, where
// it would be stored in the log and the content store and shown to every reader of the run.
import type { Problem } from '../errors.js';
import { escapePointer } from '../expr/template.js';

/** Node types configured by the runner's settings, not by the definition. */
export const SETTINGS_CONFIGURED_TYPES: ReadonlySet<string> = new Set(['llm', 'agent', 'search']);

/** Keys that would put an endpoint or a credential in a definition (any case, `-`/`_` ignored). */
export const CREDENTIAL_KEY =
  /^(api[-_]?key|base[-_]?url|endpoint|authorization|headers?|token|secret|password|organization)$/i;

/** The credential keys of one `with` block. */
export function credentialKeys(config: unknown): string[] {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) return [];
  return Object.keys(config).filter((k) => CREDENTIAL_KEY.test(k));
}

/**
 * CREDENTIAL_FIELD problems for a node (and its map body) at `pointer`; `raw` is the node as
 * written.
 */
export function credentialProblems(raw: Record<string, unknown>, pointer: string): Problem[] {
  const out: Problem[] = [];
  const type = raw['type'];
  const config = raw['with'];
  if (typeof type === 'string' && SETTINGS_CONFIGURED_TYPES.has(type)) {
    for (const key of credentialKeys(config)) {
      out.push({
        code: 'CREDENTIAL_FIELD',
        path: `${pointer}/with/${escapePointer(key)}`,
        message: `with.${key} is not allowed in ${type === 'search' ? 'a' : 'an'} ${type} node: its endpoint and credentials come from the runner's settings (AOB_LLM_BASE_URL, AOB_LLM_API_KEY, AOB_SEARCH_URL), never from a definition, where they would be stored and shown in clear`,
      });
    }
  }
  if (type === 'map' && config !== null && typeof config === 'object' && !Array.isArray(config)) {
    const body = (config as Record<string, unknown>)['body'];
    if (body !== null && typeof body === 'object' && !Array.isArray(body)) {
      out.push(...credentialProblems(body as Record<string, unknown>, `${pointer}/with/body`));
    }
  }
  return out;
}
