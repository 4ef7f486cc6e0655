// Roles (DESIGN §9): viewer < operator < approver < admin, each including the ones below it, and
// `agent` beside them — an AI agent's identity, which may read and propose patches, never decide.
export const ROLES = ['viewer', 'operator', 'approver', 'admin', 'agent'] as const;
export type Role = (typeof ROLES)[number];

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

/** Who a request speaks for: resolved from a bearer token, never from the request body. */
export interface Principal {
  subject: string;
  role: Role;
  namespace: string;
  groups: string[];
  tokenId: string;
}

/** Namespaces are DNS labels: what Kubernetes namespaces and most tenancy schemes accept. */
export const NAMESPACE_PATTERN = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
