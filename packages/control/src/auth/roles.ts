// Roles (ARCHITECTURE §9): viewer < operator < approver < admin, each including the ones below it, and
// `agent` beside them — an AI agent's identity, which may read and propose patches, never decide.
import type { Principal, Role } from '@aob/client';

export type { Principal, Role };

export const ROLES = [
  'viewer',
  'operator',
  'approver',
  'admin',
  'agent',
] as const satisfies readonly Role[];

/** The ranked roles, lowest first. `agent` is not ranked: it is allowed operation by operation. */
export const RANKED: readonly Role[] = ['viewer', 'operator', 'approver', 'admin'];

export function isRole(v: unknown): v is Role {
  return typeof v === 'string' && (ROLES as readonly string[]).includes(v);
}

/** Whether `role` is `min` or above it (an agent is above nothing). */
export function atLeast(role: Role, min: Role): boolean {
  const have = RANKED.indexOf(role);
  const need = RANKED.indexOf(min);
  return have >= 0 && need >= 0 && have >= need;
}

/** Namespaces are DNS labels: what Kubernetes namespaces and most tenancy schemes accept. */
export const NAMESPACE_PATTERN = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
