// Who may do what (ARCHITECTURE §9). Every operation of the control plane is in this table, and every
// REST route and gRPC method names one: an operation without an entry cannot be served. The
// authorisation-matrix tests walk this table for every role and for own and other namespaces.
import { AobError } from '@aob/core';
import type { Principal, Role } from './roles.js';
import { atLeast } from './roles.js';

export interface OperationRule {
  /** The lowest ranked role allowed. */
  min: Role;
  /** Whether an `agent` token may call it (agents are not ranked). */
  agent: boolean;
}

export const OPERATIONS = {
  whoami: { min: 'viewer', agent: true },
  validateWorkflow: { min: 'viewer', agent: true },
  registerWorkflow: { min: 'operator', agent: false },
  listWorkflows: { min: 'viewer', agent: true },
  showWorkflow: { min: 'viewer', agent: true },
  startRun: { min: 'operator', agent: false },
  listRuns: { min: 'viewer', agent: true },
  getRun: { min: 'viewer', agent: true },
  getRunNode: { min: 'viewer', agent: true },
  getRunContent: { min: 'viewer', agent: true },
  runEvents: { min: 'viewer', agent: true },
  waitRun: { min: 'viewer', agent: true },
  followTimeline: { min: 'viewer', agent: true },
  followNamespace: { min: 'viewer', agent: true },
  cancelRun: { min: 'operator', agent: false },
  replayRun: { min: 'operator', agent: false },
  listApprovals: { min: 'viewer', agent: true },
  decideApproval: { min: 'approver', agent: false },
  reassignApproval: { min: 'admin', agent: false },
  proposePatch: { min: 'operator', agent: true },
  checkPatch: { min: 'viewer', agent: true },
  listPatches: { min: 'viewer', agent: true },
  getPatch: { min: 'viewer', agent: true },
  reviewPatch: { min: 'approver', agent: false },
  revertPatch: { min: 'operator', agent: false },
  createToken: { min: 'admin', agent: false },
  listTokens: { min: 'admin', agent: false },
  revokeToken: { min: 'admin', agent: false },
} as const satisfies Record<string, OperationRule>;

export type Operation = keyof typeof OPERATIONS;

export function allowed(role: Role, op: Operation): boolean {
  const rule: OperationRule = OPERATIONS[op];
  return role === 'agent' ? rule.agent : atLeast(role, rule.min);
}

/** Throws FORBIDDEN (naming what the operation needs) unless the principal may call `op`. */
export function authorize(principal: Principal, op: Operation): void {
  if (allowed(principal.role, op)) return;
  const rule: OperationRule = OPERATIONS[op];
  const needs = rule.agent ? `${rule.min} or above, or agent` : `${rule.min} or above`;
  throw new AobError(
    'FORBIDDEN',
    `${op} needs the role ${needs}; ${principal.subject} is ${principal.role}`,
  );
}
