// AOB_DURABILITY, read by the processes that open a local store (the CLI, aob dev, aob mcp,
// aob scheduler): how far the file store's commits survive. Not a setting of the cluster's
// services, whose stores are PostgreSQL and S3, so not in env-settings.ts (the services' readers).
import type { Problem } from '@aob/core';
import { DURABILITIES } from '@aob/store';
import type { Durability } from '@aob/store';
import { envProblem } from '../env-settings.js';

type Env = Readonly<Record<string, string | undefined>>;

/** AOB_DURABILITY: `normal` (the default) or `full` (the local file store fsyncs every commit). */
export function durabilityFromEnv(env: Env, problems: Problem[]): Durability {
  const raw = env.AOB_DURABILITY?.trim();
  if (!raw) return 'normal';
  if ((DURABILITIES as readonly string[]).includes(raw)) return raw as Durability;
  problems.push(envProblem('AOB_DURABILITY', `must be normal or full, not "${raw}"`));
  return 'normal';
}
