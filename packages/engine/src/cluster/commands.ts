// Run commands on `aob.run.commands` (ARCHITECTURE §5): every write to a run — starting it, approving,
// cancelling, patching, a timer firing — travels keyed by the run id, so it lands on the
// partition, and the orchestrator, that owns the run.
import type { Budget, ReplaySpec, ScheduledBy, Trigger } from '@aob/core';

export type RunCommand =
  /**
   * Starts a run on the IR stored under `irHash` (the client put the definition in the content
   * store and checked the inputs). Delivered twice, it starts the run once.
   */
  | {
      type: 'start';
      runId: string;
      irHash: string;
      inputs: unknown;
      actor?: string;
      /** The run's tenant (ARCHITECTURE §9); absent: `default`. */
      namespace?: string;
      /** A replay of an earlier run (`aob replay`): what it may reuse, from which node. */
      replay?: ReplaySpec;
      /** The schedule tick that started the run (recorded in RunStarted). */
      schedule?: ScheduledBy;
      /** Limits besides the definition's (the run's own and its namespace's, combined). */
      budget?: Budget;
      /** The run's trace context (W3C), made where the start was asked; recorded in RunStarted. */
      traceparent?: string;
    }
  /** Any trigger a run reacts to: approve, cancel, proposePatch, reviewPatch, timerFired, … */
  | { type: 'trigger'; runId: string; trigger: Trigger };

export function isRunCommand(v: unknown): v is RunCommand {
  if (v === null || typeof v !== 'object') return false;
  const c = v as { type?: unknown; runId?: unknown; irHash?: unknown; trigger?: unknown };
  if (typeof c.runId !== 'string') return false;
  if (c.type === 'start') return typeof c.irHash === 'string';
  return c.type === 'trigger' && c.trigger !== null && typeof c.trigger === 'object';
}
