// The validator over gRPC (aob.v1.Validator): the service's handler around the library, and the
// client the orchestrator uses as its PatchValidator. The request is the library's
// ValidatePatchInput and the response its PatchVerdict, field for field, so the same input gives
// the same verdict either way (validator.test.ts holds them to it).
import type {
  NodeType,
  PatchVerdict,
  RunState,
  ValidatePatchInput,
  WorkflowDefinition,
} from '@aob/core';
import { AobError, initialState, validatePatch } from '@aob/core';
import type { PatchValidator } from '@aob/engine';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { ServiceError } from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import type {
  ValidatePatchRequest,
  ValidatePatchRequestSchema,
  ValidatePatchResponse,
  ValidatePatchResponseSchema,
} from '../generated/aob/v1/validator_pb.js';
import { Validator } from '../generated/aob/v1/validator_pb.js';
import { createClient } from './client.js';
import type { ServiceClient } from './client.js';
import type { MethodsOf } from './definition.js';
import { jsonField, parseJsonField, problemOf } from './json-fields.js';
import type { ServiceHandlers } from './server.js';

type RequestInit = MessageInitShape<typeof ValidatePatchRequestSchema>;
type ResponseInit = MessageInitShape<typeof ValidatePatchResponseSchema>;

/**
 * The request for `input`. Of the run state only node statuses travel, and only of nodes that
 * have left 'pending': all the validator reads of it (patch/immutability.ts frozenNodes).
 */
export function toValidatePatchRequest(input: ValidatePatchInput): RequestInit {
  const req: RequestInit = {
    baseJson: jsonField('base', input.base),
    baseIrHash: input.baseIrHash,
    appliedPatches: input.appliedPatches,
  };
  if (input.patch !== undefined) req.patchJson = jsonField('patch', input.patch);
  if (input.state) {
    const nodes: Record<string, string> = {};
    for (const [id, node] of Object.entries(input.state.nodes)) {
      if (node.status !== 'pending') nodes[id] = node.status;
    }
    req.state = { nodes };
  }
  if (input.spawnedByAuthor !== undefined) req.spawnedByAuthor = input.spawnedByAuthor;
  if (input.policy) {
    const { allowAgentTypes, maxOpsBytes } = input.policy;
    req.policy = {
      ...(allowAgentTypes !== undefined
        ? { allowAgentTypes: { types: [...allowAgentTypes] } }
        : {}),
      ...(maxOpsBytes !== undefined ? { maxOpsBytes } : {}),
    };
  }
  return req;
}

/** The library's input from a request; a ValidationError names a `*_json` field that is not JSON. */
export function fromValidatePatchRequest(req: ValidatePatchRequest): ValidatePatchInput {
  const input: ValidatePatchInput = {
    patch: req.patchJson === undefined ? undefined : parseJsonField('patch_json', req.patchJson),
    base: parseJsonField('base_json', req.baseJson) as WorkflowDefinition,
    baseIrHash: req.baseIrHash,
    appliedPatches: req.appliedPatches,
  };
  if (req.state) input.state = stateOf(req.state.nodes);
  if (req.spawnedByAuthor !== undefined) input.spawnedByAuthor = req.spawnedByAuthor;
  if (req.policy) {
    input.policy = {
      ...(req.policy.allowAgentTypes
        ? { allowAgentTypes: req.policy.allowAgentTypes.types as NodeType[] }
        : {}),
      ...(req.policy.maxOpsBytes !== undefined ? { maxOpsBytes: req.policy.maxOpsBytes } : {}),
    };
  }
  return input;
}

/** A run state holding just the node statuses the validator reads (no prototype: ids are data). */
function stateOf(statuses: Readonly<Record<string, string>>): RunState {
  const nodes: RunState['nodes'] = Object.create(null) as RunState['nodes'];
  for (const [id, s] of Object.entries(statuses)) {
    nodes[id] = { status: s as RunState['nodes'][string]['status'], attempt: 0 };
  }
  return { ...initialState(''), nodes };
}

export function toValidatePatchResponse(verdict: PatchVerdict): ResponseInit {
  return {
    ok: verdict.ok,
    violations: verdict.violations,
    notes: verdict.notes,
    ...(verdict.materialized !== undefined
      ? { materializedJson: jsonField('materialized', verdict.materialized) }
      : {}),
    ...(verdict.irHash !== undefined ? { irHash: verdict.irHash } : {}),
  };
}

export function fromValidatePatchResponse(res: ValidatePatchResponse): PatchVerdict {
  const verdict: PatchVerdict = {
    ok: res.ok,
    violations: res.violations.map(problemOf),
    notes: res.notes.map(problemOf),
  };
  if (res.materializedJson !== undefined) {
    verdict.materialized = parseJsonField(
      'materialized_json',
      res.materializedJson,
    ) as WorkflowDefinition;
  }
  if (res.irHash !== undefined) verdict.irHash = res.irHash;
  return verdict;
}

/** The Validator service: the library behind the wire. */
export function validatorHandlers(): ServiceHandlers<MethodsOf<typeof Validator>> {
  return {
    validatePatch: (req) => toValidatePatchResponse(validatePatch(fromValidatePatchRequest(req))),
  };
}

/** Statuses that mean "ask again later": the validator is down, overloaded or slow. */
const TRANSIENT = new Set<number>([
  status.UNAVAILABLE,
  status.DEADLINE_EXCEEDED,
  status.RESOURCE_EXHAUSTED,
  status.CANCELLED,
  status.ABORTED,
]);

/**
 * The validator service as the orchestrator's PatchValidator. Every failure is an AobError naming
 * the address — VALIDATOR_UNAVAILABLE (retryable) when the service cannot be reached or did not
 * answer in time, VALIDATOR_FAILED otherwise — and is never turned into a verdict.
 */
export class GrpcPatchValidator implements PatchValidator {
  private readonly client: ServiceClient<MethodsOf<typeof Validator>>;

  constructor(
    readonly address: string,
    private readonly opts: { timeoutMs?: number } = {},
  ) {
    this.client = createClient(Validator, address, {
      // Reconnect soon after the validator comes back (grpc-js backs off to 120 s by default),
      // so the decisions that failed meanwhile go through on their next retry.
      channelOptions: {
        'grpc.initial_reconnect_backoff_ms': 200,
        'grpc.max_reconnect_backoff_ms': 5_000,
      },
    });
  }

  async validate(input: ValidatePatchInput): Promise<PatchVerdict> {
    let res: ValidatePatchResponse;
    try {
      res = await this.client.validatePatch(toValidatePatchRequest(input), {
        timeoutMs: this.opts.timeoutMs ?? 10_000,
      });
    } catch (err) {
      const e = err as Partial<ServiceError>;
      const transient = e.code !== undefined && TRANSIENT.has(e.code);
      throw new AobError(
        transient ? 'VALIDATOR_UNAVAILABLE' : 'VALIDATOR_FAILED',
        `validator at ${this.address}: ${e.details || (err as Error).message}`,
        { retryable: transient, details: { grpcCode: e.code } },
      );
    }
    return fromValidatePatchResponse(res);
  }

  close(): void {
    this.client.close();
  }
}
