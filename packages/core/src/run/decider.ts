import type { CasRef } from '../content/ref.js';
import type { ContentHasher } from '../content/ref.js';
import { contentOf } from '../content/ref.js';
import type { ExprContext, IR, IRNode } from '../ir/types.js';
import type { AnyRunEvent, EventData, EventType } from './events.js';
import type { Blob, Command, DecideEnv, Decision } from './commands.js';
import type { RunState } from './state.js';
import type { PatchVerdict } from '../patch/validate.js';
import { evolve } from './evolve.js';

/**
 * What a decision may be given besides DecideEnv: the verdicts of a validator service the shell
 * asked (it is I/O, decide is not), each judged on the input the core would judge at the state and
 * IR the decision starts from.
 * - `verdicts`: on proposals, by the proposed patch document exactly as the `proposePatch`
 *   trigger carries it (the same value, compared with `===`); input: `proposalValidationInput`.
 * - `reviewVerdicts`: on approvals of held patches, by patchId; input: `reviewValidationInput`.
 * Given, a judgement the map has no verdict for is an error — never made in-process behind the
 * service's back; absent, the core judges with the library.
 */
export interface DeciderEnv extends DecideEnv {
  verdicts?: ReadonlyMap<unknown, PatchVerdict>;
  reviewVerdicts?: ReadonlyMap<string, PatchVerdict>;
}

/**
 * The working set of one decision: emitted events are applied to the state at once (so every
 * later step sees their effect), commands and blobs are collected for the shell.
 */
export class Decider {
  readonly events: AnyRunEvent[] = [];
  readonly commands: Command[] = [];
  readonly blobs: Blob[] = [];
  /** The blobs' values by `$cas`, for resolving content this decision has not yet stored. */
  private readonly blobValues = new Map<string, unknown>();
  private readonly hasher: ContentHasher;
  private ctxCache: ExprContext | undefined;
  private irChanged = false;

  constructor(
    readonly state: RunState,
    public ir: IR,
    readonly env: DeciderEnv,
  ) {
    this.hasher = env.contentOf ?? contentOf;
  }

  emit<T extends EventType>(type: T, data: EventData[T], actor?: string): void {
    const event = {
      runId: this.state.runId,
      seq: this.state.seq + 1,
      irHash: this.ir.irHash,
      type,
      at: this.env.now,
      data,
      ...(actor !== undefined ? { actor } : {}),
    } as AnyRunEvent;
    evolve(this.state, event);
    this.events.push(event);
    if (type === 'NodeSucceeded' || type === 'NodeFailed' || type === 'RunStarted') {
      this.ctxCache = undefined;
    }
  }

  command(c: Command): void {
    this.commands.push(c);
  }

  /** Records a value the log will reference; returns its content reference. */
  blob(value: unknown): CasRef {
    const content = this.hasher(value);
    this.blobs.push({ ...content, value });
    this.blobValues.set(content.ref.$cas, value);
    return content.ref;
  }

  /** A value's content hash, not stored (e.g. the input hash that freeze-mode replays compare). */
  hashOf(value: unknown): string {
    return this.hasher(value).ref.$cas;
  }

  /** The run moves to another IR (a patch was applied or reverted): later events carry it. */
  switchIr(ir: IR): void {
    this.ir = ir;
    this.irChanged = true;
    this.ctxCache = undefined;
  }

  result(): Decision {
    const d: Decision = { events: this.events, commands: this.commands, blobs: this.blobs };
    if (this.irChanged) d.ir = this.ir;
    return d;
  }

  irNode(nodeId: string): IRNode | undefined {
    const i = this.ir.byId.get(nodeId);
    return i === undefined ? undefined : this.ir.nodes[i];
  }

  /** Resolves a ref, preferring values recorded in this decision (not yet in the store). */
  resolve(ref: CasRef): unknown {
    return this.blobValues.has(ref.$cas) ? this.blobValues.get(ref.$cas) : this.env.resolve(ref);
  }

  /** The expression context: run inputs and the outputs (or errors) of finished nodes. */
  context(): ExprContext {
    if (this.ctxCache) return this.ctxCache;
    const nodes: Record<string, { output: unknown; error?: unknown }> = {};
    for (const [id, n] of Object.entries(this.state.nodes)) {
      if (n.status === 'succeeded' && n.output) nodes[id] = { output: this.resolve(n.output) };
      else if (n.status === 'failed' && n.error) nodes[id] = { output: null, error: n.error };
    }
    const inputs = this.state.inputs ? this.resolve(this.state.inputs) : {};
    this.ctxCache = { inputs, nodes };
    return this.ctxCache;
  }
}
