import type { CasRef, RunState } from '@aob/core';

/** Every content reference a run's state may ask decide to resolve. */
export function refsOf(state: RunState): CasRef[] {
  const refs: CasRef[] = [];
  if (state.inputs) refs.push(state.inputs);
  for (const n of Object.values(state.nodes)) {
    if (n.output) refs.push(n.output);
    if (n.input) refs.push(n.input);
    if (n.map) {
      for (const it of Object.values(n.map.iterations)) {
        if (it.output) refs.push(it.output);
        if (it.input) refs.push(it.input);
      }
    }
  }
  if (state.replay) {
    for (const r of Object.values(state.replay.recorded)) if (r.output) refs.push(r.output);
  }
  return refs;
}
