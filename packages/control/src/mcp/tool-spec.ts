// What an MCP tool is here: a name, its JSON Schemas (input and output), its annotations and the
// work it does for a caller. Most tools are one REST operation (api-tools.ts): their input schema
// is the operation's path and query parameters and body properties side by side, their output
// schema its response, and they run through the same handler and the same authorisation as REST
// — so a role or a namespace means exactly the same on /mcp as on /v1.
import type { ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import type { ControlPlane } from '../control-plane.js';
import type { Operation, Principal } from '../auth/index.js';

export type JsonSchema = Record<string, unknown>;

/** What a tool's work gets: who calls, the control plane, and a way to report progress. */
export interface ToolContext {
  plane: ControlPlane;
  principal: Principal;
  /** Aborts when the client cancels the call or goes away. */
  signal: AbortSignal;
  /** Sends `notifications/progress` when the client asked for it (a progress token); else nothing. */
  progress(progress: number, message?: string, total?: number): Promise<void>;
  /** The MCP client's name (its `clientInfo`): recorded beside the subject as a draft's author. */
  clientName?: string;
  /** Told of each run a call starts or moves on (locally, `aob mcp` carries them on). */
  touched(runId: string): void;
}

/** A tool's success: structured content (valid against its output schema) and a text summary. */
export interface ToolAnswer {
  summary: string;
  structured: Record<string, unknown>;
}

export interface ToolSpec {
  name: string;
  /** The operation whose rule (auth/operations.ts) says who may call the tool. */
  operation: Operation;
  title: string;
  description: string;
  inputSchema: JsonSchema;
  outputSchema: JsonSchema;
  annotations: ToolAnnotations;
  /** Runs with arguments already valid against `inputSchema`; throws AobErrors on refusal. */
  run(ctx: ToolContext, args: Record<string, unknown>): Promise<ToolAnswer>;
}

/** The annotations of a tool that only reads. */
export const READS: ToolAnnotations = {
  readOnlyHint: true,
  idempotentHint: true,
  openWorldHint: false,
};

/** A tool that adds or moves something on and may be called again safely (no effect twice). */
export const WRITES_IDEMPOTENT: ToolAnnotations = {
  readOnlyHint: false,
  destructiveHint: false,
  idempotentHint: true,
  openWorldHint: false,
};

/** A tool that adds something new each call. */
export const WRITES: ToolAnnotations = {
  readOnlyHint: false,
  destructiveHint: false,
  idempotentHint: false,
  openWorldHint: false,
};

/** A tool that stops, removes or undoes something. */
export const DESTROYS: ToolAnnotations = {
  readOnlyHint: false,
  destructiveHint: true,
  idempotentHint: false,
  openWorldHint: false,
};
