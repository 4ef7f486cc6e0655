// Approver entries: who an approval ticket accepts (README.md in this folder has the table).
//   user:<subject> or a bare <subject>  the principal with that subject
//   group:<name>                        principals whose token carries the group
//   role:<role>                         principals of that ranked role or above
// Matching is a pure function of the entry and the principal: the log records the entries as
// written, and who they resolve to is decided here, at the moment somebody decides.
import type { Problem } from '@aob/core';
import type { Principal, Role } from '../auth/index.js';
import { RANKED, atLeast } from '../auth/index.js';

export type ApproverEntry =
  | { kind: 'user'; subject: string }
  | { kind: 'group'; group: string }
  | { kind: 'role'; role: Role };

// The same alphabets as tokens' subjects and groups (auth/tokens.ts): an entry that could never
// match a token is refused rather than stored.
const SUBJECT = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;
const GROUP = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const PREFIXED = /^(user|group|role):(.*)$/s;
/** A word followed by a colon that is none of the kinds above: a likely typo (`grp:leads`). */
const OTHER_PREFIX = /^([A-Za-z]+):/;

export const MAX_APPROVERS = 100;

/** Parses one entry; a string explaining what is wrong with it when it is malformed. */
export function parseApprover(entry: unknown): ApproverEntry | string {
  if (typeof entry !== 'string') return `must be a string (got ${JSON.stringify(entry)})`;
  const m = PREFIXED.exec(entry);
  if (m) {
    const [, kind, rest] = m as unknown as [string, 'user' | 'group' | 'role', string];
    if (kind === 'user') {
      return SUBJECT.test(rest)
        ? { kind, subject: rest }
        : `user: must name a subject of 1–128 letters, digits and . _ : @ - (got ${JSON.stringify(entry)})`;
    }
    if (kind === 'group') {
      return GROUP.test(rest)
        ? { kind, group: rest }
        : `group: must name a group of 1–64 letters, digits and . _ - (got ${JSON.stringify(entry)})`;
    }
    return (RANKED as readonly string[]).includes(rest)
      ? { kind, role: rest as Role }
      : `role: must be one of ${RANKED.join(', ')} (got ${JSON.stringify(entry)}; an agent never decides)`;
  }
  const other = OTHER_PREFIX.exec(entry);
  if (other) {
    return `unknown kind "${other[1]}:" in ${JSON.stringify(entry)}: write user:, group: or role: (a subject with a colon is written user:${entry})`;
  }
  return SUBJECT.test(entry)
    ? { kind: 'user', subject: entry }
    : `must be user:<subject>, group:<name>, role:<role> or a subject (got ${JSON.stringify(entry)})`;
}

/** Every problem with a list of approvers given for a reassignment (empty: fine). */
export function approverProblems(approvers: unknown, path = '/approvers'): Problem[] {
  if (!Array.isArray(approvers)) {
    return [{ code: 'BAD_APPROVERS', path, message: 'must be an array of approver entries' }];
  }
  if (approvers.length === 0) {
    return [{ code: 'NO_APPROVERS', path, message: 'must name at least one approver' }];
  }
  const problems: Problem[] = [];
  if (approvers.length > MAX_APPROVERS) {
    problems.push({
      code: 'TOO_MANY_APPROVERS',
      path,
      message: `must name at most ${MAX_APPROVERS} approvers (got ${approvers.length})`,
    });
  }
  const seen = new Set<string>();
  approvers.forEach((entry, i) => {
    const parsed = parseApprover(entry);
    if (typeof parsed === 'string') {
      problems.push({ code: 'BAD_APPROVER', path: `${path}/${i}`, message: parsed });
      return;
    }
    const key = canonical(parsed);
    if (seen.has(key)) {
      problems.push({
        code: 'DUPLICATE_APPROVER',
        path: `${path}/${i}`,
        message: `${JSON.stringify(entry)} is listed twice`,
      });
    }
    seen.add(key);
  });
  return problems;
}

/**
 * Whether the principal is one of the entries. Malformed entries (a workflow may name anything)
 * match nobody. Says nothing about the role an operation needs: see ApprovalDesk.
 */
export function isListed(principal: Principal, approvers: readonly string[]): boolean {
  return approvers.some((entry) => {
    const a = parseApprover(entry);
    if (typeof a === 'string') return false;
    switch (a.kind) {
      case 'user':
        return a.subject === principal.subject;
      case 'group':
        return principal.groups.includes(a.group);
      case 'role':
        return atLeast(principal.role, a.role);
    }
  });
}

function canonical(a: ApproverEntry): string {
  return a.kind === 'user'
    ? `user:${a.subject}`
    : a.kind === 'group'
      ? `group:${a.group}`
      : `role:${a.role}`;
}
