// The bounds on what patches may do to one run or workflow (ARCHITECTURE §1 `limits`, §4): how many
// patches, how many nodes an author may add, and how large one patch may be.
import type { Limits } from '../definition/types.js';
import type { Problem } from '../errors.js';
import { DEFINITION_DEFAULTS } from '../ir/compile.js';
import { utf8Length } from '../content/utf8.js';

export const DEFAULT_MAX_OPS_BYTES = 64 * 1024;

export type EffectiveLimits = Required<Limits>;

/** The definition's limits with the defaults filled in. */
export function effectiveLimits(limits: Limits | undefined): EffectiveLimits {
  return { ...DEFINITION_DEFAULTS.limits, ...limits };
}

export function tooLarge(ops: unknown, maxBytes: number): Problem | undefined {
  const size = utf8Length(JSON.stringify(ops) ?? '');
  return size > maxBytes
    ? {
        code: 'TOO_LARGE',
        path: '/ops',
        message: `the operations take ${size} bytes as JSON, more than the limit of ${maxBytes}`,
      }
    : undefined;
}

export function patchLimit(applied: number, limits: EffectiveLimits): Problem | undefined {
  return applied >= limits.maxPatchesPerRun
    ? {
        code: 'PATCH_LIMIT',
        path: '',
        message: `${applied} patch${applied === 1 ? ' is' : 'es are'} already applied; the limit is ${limits.maxPatchesPerRun} (limits.maxPatchesPerRun)`,
      }
    : undefined;
}

/**
 * SPAWN_LIMIT when the author's earlier spawns plus the nodes this patch adds exceed
 * limits.maxAgentSpawns; `added` lists where each added node came from, in definition order.
 */
export function spawnLimit(
  added: readonly { id: string; path: string }[],
  spawnedBefore: number,
  limits: EffectiveLimits,
): Problem | undefined {
  const allowed = Math.max(0, limits.maxAgentSpawns - spawnedBefore);
  if (added.length <= allowed) return undefined;
  const first = added[allowed]!;
  return {
    code: 'SPAWN_LIMIT',
    path: first.path,
    message: `the patch adds ${added.length} node${added.length === 1 ? '' : 's'} (from '${first.id}' on, over the limit); the author has added ${spawnedBefore} before and may add ${limits.maxAgentSpawns} in all (limits.maxAgentSpawns)`,
  };
}
