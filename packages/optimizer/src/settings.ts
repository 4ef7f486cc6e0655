// The optimizer's settings, read from the environment the same way by every aob process (the CLI
// and the services): a problem is `{ code: 'BAD_CONFIG', path: '/env/<NAME>', message }`, and a
// malformed setting is refused before anything runs.
//
//   AOB_OPTIMIZER_PASSES      a user's passes: .wasm files, comma-separated (named after the file)
//   AOB_OPTIMIZE_ON           when the engine runs passes by itself: `register` (each newly
//                             registered workflow version) or `run` (each run as it starts); unset:
//                             never (`aob workflow optimize` still runs them on request)
//   AOB_OPTIMIZE_PASSES       which passes AOB_OPTIMIZE_ON runs, comma-separated, in order
//                             (default: every built-in and user pass)
//   AOB_OPTIMIZER_TIMEOUT_MS  one pass call's time limit (default 2000)
//   AOB_OPTIMIZER_MEMORY_MB   one pass's memory limit (default 16; whole 64 KiB pages)
import type { Problem } from '@aob/core';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { DEFAULT_LIMITS, PAGE_BYTES, type PassLimits } from './abi.js';
import { BUILTIN_PASSES, availablePasses, passName, type PassSource } from './passes.js';

type Env = Readonly<Record<string, string | undefined>>;

export const OPTIMIZER_ENV = [
  'AOB_OPTIMIZER_PASSES',
  'AOB_OPTIMIZE_ON',
  'AOB_OPTIMIZE_PASSES',
  'AOB_OPTIMIZER_TIMEOUT_MS',
  'AOB_OPTIMIZER_MEMORY_MB',
] as const;

export interface OptimizerSettings {
  /** Every pass there is: built in, then the user's files. */
  passes: PassSource[];
  limits: PassLimits;
  /** When the engine runs passes by itself, and which (in order). */
  auto?: { on: 'register' | 'run'; passes: PassSource[] };
}

const problem = (name: string, message: string): Problem => ({
  code: 'BAD_CONFIG',
  path: `/env/${name}`,
  message: `${name} ${message}`,
});

const list = (raw: string | undefined) =>
  (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');

export function optimizerSettingsFromEnv(
  env: Env,
  problems: Problem[],
  cwd = process.cwd(),
): OptimizerSettings {
  const files = list(env.AOB_OPTIMIZER_PASSES).map((f) => resolve(cwd, f));
  for (const f of files) {
    if (!f.toLowerCase().endsWith('.wasm'))
      problems.push(problem('AOB_OPTIMIZER_PASSES', `names ${f}, which is not a .wasm file`));
    else if (!existsSync(f))
      problems.push(problem('AOB_OPTIMIZER_PASSES', `names ${f}, which does not exist`));
    else if ((BUILTIN_PASSES as readonly string[]).includes(passName(f)))
      problems.push(
        problem(
          'AOB_OPTIMIZER_PASSES',
          `names ${f}, whose name is a built-in pass's; rename the file`,
        ),
      );
  }
  const names = files.map(passName);
  const twice = names.filter((n, i) => names.indexOf(n) !== i);
  if (twice.length > 0)
    problems.push(problem('AOB_OPTIMIZER_PASSES', `names two passes called ${twice.join(', ')}`));
  const passes = availablePasses(files);

  const limits: PassLimits = { ...DEFAULT_LIMITS };
  const timeout = positive(env, 'AOB_OPTIMIZER_TIMEOUT_MS', 60_000, problems);
  if (timeout !== undefined) limits.timeoutMs = timeout;
  const memory = positive(env, 'AOB_OPTIMIZER_MEMORY_MB', 4_096, problems);
  if (memory !== undefined) limits.maxPages = Math.floor((memory * 1_048_576) / PAGE_BYTES);

  const settings: OptimizerSettings = { passes, limits };
  const on = env.AOB_OPTIMIZE_ON?.trim() ?? '';
  if (on !== '' && on !== 'register' && on !== 'run') {
    problems.push(problem('AOB_OPTIMIZE_ON', `must be register or run, not "${on}"`));
  }
  const chosen = list(env.AOB_OPTIMIZE_PASSES);
  const unknown = chosen.filter((n) => !passes.some((p) => p.name === n));
  if (unknown.length > 0) {
    problems.push(
      problem(
        'AOB_OPTIMIZE_PASSES',
        `names unknown pass(es) ${unknown.join(', ')} (known: ${passes.map((p) => p.name).join(', ')})`,
      ),
    );
  }
  if (chosen.length > 0 && on === '') {
    problems.push(problem('AOB_OPTIMIZE_PASSES', 'is set but AOB_OPTIMIZE_ON is not'));
  }
  if (on === 'register' || on === 'run') {
    const auto =
      chosen.length > 0 ? chosen.flatMap((n) => passes.filter((p) => p.name === n)) : passes;
    settings.auto = { on, passes: auto };
  }
  return settings;
}

function positive(env: Env, name: string, max: number, problems: Problem[]): number | undefined {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) {
    problems.push(problem(name, `must be a whole number from 1 to ${max}, not "${raw}"`));
    return undefined;
  }
  return n;
}
