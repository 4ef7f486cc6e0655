// Golden histories: a recorded definition, the triggers a run received and the events it
// produced. Re-driving the triggers through decide must reproduce the events exactly, and
// folding the events must give the same state — on every change to the core.
import type { WorkflowDefinition } from '../../definition/types.js';
import type { AnyRunEvent } from '../events.js';
import type { Trigger } from '../commands.js';
import { compile } from '../../ir/compile.js';
import { Sim } from './sim.js';

export interface GoldenHistory {
  name: string;
  definition: WorkflowDefinition;
  /** Content the triggers refer to (runner outputs), by `$cas`. */
  content: Record<string, unknown>;
  triggers: { at: number; trigger: Trigger }[];
  events: AnyRunEvent[];
}

export function recordGolden(
  name: string,
  definition: WorkflowDefinition,
  sim: Sim,
): GoldenHistory {
  return {
    name,
    definition,
    content: Object.fromEntries(sim.content),
    triggers: sim.triggers,
    events: sim.log,
  };
}

/** Re-drives a recorded history through the current decide; returns the events it produces now. */
export function redrive(history: GoldenHistory): Sim {
  const sim = new Sim(compile(history.definition), history.events[0]?.runId ?? 'run-1');
  for (const [k, v] of Object.entries(history.content)) sim.content.set(k, v);
  for (const { at, trigger } of history.triggers) {
    sim.now = at;
    sim.apply(trigger);
  }
  return sim;
}
