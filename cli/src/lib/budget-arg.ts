// A budget given on the command line (`tokens=N,cost=D,wall=10m,nodes=N,onExceeded=P`), read by
// the core's parser: the budget, or bad input (exit 2) naming every problem.
import type { Budget } from '@aob/core';
import { parseBudgetSpec } from '@aob/core';
import { badInput } from './errors.js';

export function budgetArg(text: string, what = 'budget'): Budget {
  const reading = parseBudgetSpec(text);
  if (reading.budget) return reading.budget;
  const n = reading.problems.length;
  throw badInput(
    'BAD_BUDGET',
    `invalid ${what}: ${n} problem${n === 1 ? '' : 's'}`,
    reading.problems,
  );
}
