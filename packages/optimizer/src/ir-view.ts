// The IR view a pass is given (ABI version 1): the definition as written, plus what the compiler
// and the engine know and a pass could not work out without a JSONata parser or the executors —
// which nodes each expression reads, which node types consume their implicit input, a topological
// order — and, for a running run, each node's status (a pass leaves started nodes alone).
import type { IR, RunState } from '@aob/core';
import { ABI_VERSION } from './abi.js';

export interface IrView {
  abi: number;
  irHash: string;
  definition: IR['definition'];
  nodes: {
    id: string;
    index: number;
    type: string;
    /** Node ids its `input` and `with` expressions read (a map's body included). */
    reads: string[];
    /** Whether its executor uses the value it receives when it has no `input` of its own. */
    usesInput: boolean;
    hasInput: boolean;
    /** In a run: pending, scheduled, running, succeeded, … (absent for a workflow). */
    status?: string;
  }[];
  edges: {
    index: number;
    from: string;
    to: string;
    on: string;
    when?: string;
    reads: string[];
  }[];
  entries: string[];
  topo: string[];
  /** Node ids the workflow's `output` reads. */
  outputReads: string[];
  run?: { runId: string };
}

/**
 * Node types whose work does not depend on the value they receive: their `with` is evaluated
 * against the run (inputs, nodes' outputs), and that is all they see. Every other type — task and
 * code (the handler's or snippet's input), join (outputs its input), map, subworkflow (the child's
 * inputs), llm, agent, approval, ask — is taken to use it.
 */
const IGNORES_INPUT: ReadonlySet<string> = new Set(['http', 'transform', 'timer', 'search', 'fs']);

export function irView(ir: IR, state?: RunState): IrView {
  const view: IrView = {
    abi: ABI_VERSION,
    irHash: ir.irHash,
    definition: ir.definition,
    nodes: ir.nodes.map((n) => {
      const reads = new Set([
        ...n.with.reads,
        ...(n.input?.reads ?? []),
        ...(n.map
          ? [...n.map.items.reads, ...n.map.body.with.reads, ...(n.map.body.input?.reads ?? [])]
          : []),
      ]);
      return {
        id: n.id,
        index: n.index,
        type: n.type,
        reads: [...reads],
        usesInput: !IGNORES_INPUT.has(n.type),
        hasInput: n.input !== undefined,
        ...(state ? { status: state.nodes[n.id]?.status ?? 'pending' } : {}),
      };
    }),
    edges: ir.edges.map((e) => {
      const when = ir.definition.edges?.[e.index]?.when;
      return {
        index: e.index,
        from: ir.nodes[e.from]!.id,
        to: ir.nodes[e.to]!.id,
        on: e.on,
        ...(when !== undefined ? { when } : {}),
        reads: [...(e.when?.reads ?? [])],
      };
    }),
    entries: ir.entries.map((i) => ir.nodes[i]!.id),
    topo: ir.topo.map((i) => ir.nodes[i]!.id),
    outputReads: [...(ir.output?.reads ?? [])],
  };
  if (state) view.run = { runId: state.runId };
  return view;
}
