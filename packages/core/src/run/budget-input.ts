// Reads a budget given by a person: the CLI's `--budget tokens=N,cost=D,wall=10m,nodes=N` and the
// JSON of the API and of definitions. Every problem is named (one Problem each) and nothing
// partial is returned with problems, so a caller refuses the whole budget or takes it whole.
import type { Problem } from '../errors.js';
import type { Budget, BudgetPolicy } from './budget.js';

const POLICIES: readonly BudgetPolicy[] = ['fail', 'cancel', 'pause'];
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };
/** `--budget` keys and the Budget fields they set. */
const SPEC_KEYS: Record<string, keyof Budget> = {
  tokens: 'tokens',
  cost: 'costUsd',
  wall: 'wallMs',
  nodes: 'nodes',
  onExceeded: 'onExceeded',
};

/** The budget, or the problems that refuse it (never both). */
export type BudgetReading =
  { budget: Budget; problems: [] } | { budget?: undefined; problems: Problem[] };

/**
 * `tokens=N,cost=D,wall=10m,nodes=N,onExceeded=fail|cancel|pause`: tokens and nodes whole numbers, cost
 * in US dollars, wall a duration in ms, s, m or h. Problems' paths are `<path>/<key>`.
 */
export function parseBudgetSpec(text: string, path = '/budget'): BudgetReading {
  const problems: Problem[] = [];
  const raw: Record<string, unknown> = {};
  for (const part of text.split(',')) {
    const item = part.trim();
    if (item === '') continue;
    const eq = item.indexOf('=');
    const key = eq < 0 ? item : item.slice(0, eq).trim();
    const value = eq < 0 ? '' : item.slice(eq + 1).trim();
    const field = Object.hasOwn(SPEC_KEYS, key) ? SPEC_KEYS[key] : undefined;
    if (!field) {
      problems.push(
        bad(`${path}/${key}`, `unknown budget key (one of ${Object.keys(SPEC_KEYS).join(', ')})`),
      );
      continue;
    }
    if (Object.hasOwn(raw, field)) {
      problems.push(bad(`${path}/${key}`, 'given twice'));
      continue;
    }
    if (field === 'wallMs') {
      const m = DURATION.exec(value);
      if (m) raw.wallMs = Math.round(Number(m[1]) * UNIT_MS[m[2]!]!);
      else
        problems.push(
          bad(`${path}/${key}`, `"${value}" is not a duration such as 500ms, 30s, 10m or 2h`),
        );
    } else if (field === 'onExceeded') raw.onExceeded = value;
    else raw[field] = value === '' || !/^[0-9.]+$/.test(value) ? value : Number(value);
  }
  if (problems.length === 0 && Object.keys(raw).length === 0)
    problems.push(bad(path, 'is empty: give at least one of tokens, cost, wall, nodes'));
  const checked = checkBudget(raw, path);
  // Named by the key the person typed (`cost`, not `costUsd`), once per key.
  const keyOf = Object.fromEntries(
    Object.entries(SPEC_KEYS).map(([k, f]) => [`${path}/${f}`, `${path}/${k}`]),
  );
  for (const p of checked.problems) {
    const named = { ...p, path: keyOf[p.path] ?? p.path };
    if (!problems.some((q) => q.path === named.path)) problems.push(named);
  }
  return problems.length > 0 ? { problems } : checked;
}

/**
 * A budget as JSON (`{tokens, costUsd, wallMs, nodes, onExceeded}`): whole numbers of tokens (≥ 0),
 * milliseconds (≥ 1) and nodes (≥ 1), dollars (≥ 0), no other keys.
 */
export function checkBudget(value: unknown, path = '/budget'): BudgetReading {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return { problems: [bad(path, 'must be an object')] };
  const v = value as Record<string, unknown>;
  const problems: Problem[] = [];
  const budget: Budget = {};
  const whole = (key: 'tokens' | 'wallMs' | 'nodes', min: number) => {
    if (v[key] === undefined) return;
    const n = v[key];
    if (typeof n === 'number' && Number.isSafeInteger(n) && n >= min) budget[key] = n;
    else
      problems.push(
        bad(`${path}/${key}`, `must be a whole number ≥ ${min}, not ${JSON.stringify(n)}`),
      );
  };
  whole('tokens', 0);
  whole('wallMs', 1);
  whole('nodes', 1);
  if (v.costUsd !== undefined) {
    const c = v.costUsd;
    if (typeof c === 'number' && Number.isFinite(c) && c >= 0) budget.costUsd = c;
    else
      problems.push(
        bad(`${path}/costUsd`, `must be a number of US dollars ≥ 0, not ${JSON.stringify(c)}`),
      );
  }
  if (v.onExceeded !== undefined) {
    if (POLICIES.includes(v.onExceeded as BudgetPolicy))
      budget.onExceeded = v.onExceeded as BudgetPolicy;
    else
      problems.push(
        bad(
          `${path}/onExceeded`,
          `must be one of ${POLICIES.join(', ')}, not ${JSON.stringify(v.onExceeded)}`,
        ),
      );
  }
  for (const key of Object.keys(v)) {
    if (!['tokens', 'costUsd', 'wallMs', 'nodes', 'onExceeded'].includes(key))
      problems.push(bad(`${path}/${key}`, 'is not a budget field'));
  }
  return problems.length > 0 ? { problems } : { budget, problems: [] };
}

function bad(path: string, message: string): Problem {
  return { code: 'BAD_BUDGET', path, message };
}
