// Roles (ARCHITECTURE §9): viewer < operator < approver < admin, each including the ones below it, and
// beside them `agent` — an AI agent's identity, which may read and propose patches, never decide —
// and `runner` — a runner outside the cluster, which takes agent jobs and reports on them only.
import type { Principal, Role } from '@aob/client';

export type { Principal, Role };

export const ROLES = [
  'viewer',
  'operator',
  'approver',
  'admin',
  'agent',
  'runner',
] as const satisfies readonly Role[];

/**
 * The ranked roles, lowest first. `agent` and `runner` are not ranked: each is allowed operation
 * by operation.
 */
export const RANKED: readonly Role[] = ['viewer', 'operator', 'approver', 'admin'];

export function isRole(v: unknown): v is Role {
  return typeof v === 'string' && (ROLES as readonly string[]).includes(v);
}

/** Whether `role` is `min` or above it (an agent or a runner is above nothing). */
export function atLeast(role: Role, min: Role): boolean {
  const have = RANKED.indexOf(role);
  const need = RANKED.indexOf(min);
  return have >= 0 && need >= 0 && have >= need;
}

/** Namespaces are DNS labels: what Kubernetes namespaces and most tenancy schemes accept. */
export const NAMESPACE_PATTERN = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
