import { describe, expect, it } from 'vitest';
import type { Principal } from '../auth/index.js';
import { approverProblems, isListed, parseApprover } from './approvers.js';

const who = (over: Partial<Principal> = {}): Principal => ({
  subject: 'ada',
  role: 'approver',
  namespace: 'acme',
  groups: [],
  tokenId: 'tok_1',
  ...over,
});

describe('approver entries', () => {
  it('parses the three kinds, a bare entry being a subject', () => {
    expect(parseApprover('user:ada')).toEqual({ kind: 'user', subject: 'ada' });
    expect(parseApprover('ada')).toEqual({ kind: 'user', subject: 'ada' });
    expect(parseApprover('user:agent:auditor')).toEqual({
      kind: 'user',
      subject: 'agent:auditor',
    });
    expect(parseApprover('group:leads')).toEqual({ kind: 'group', group: 'leads' });
    expect(parseApprover('role:admin')).toEqual({ kind: 'role', role: 'admin' });
  });

  it('matches a subject, a group of the token, or a role at or above the one named', () => {
    expect(isListed(who(), ['user:ada'])).toBe(true);
    expect(isListed(who(), ['ada'])).toBe(true);
    expect(isListed(who({ subject: 'bob' }), ['ada', 'user:ada'])).toBe(false);
    expect(isListed(who({ groups: ['ops', 'leads'] }), ['group:leads'])).toBe(true);
    expect(isListed(who({ groups: ['ops'] }), ['group:leads'])).toBe(false);
    // A group name is not a subject and a subject is not a group.
    expect(isListed(who({ subject: 'leads' }), ['group:leads'])).toBe(false);
    expect(isListed(who({ subject: 'bob', groups: ['ada'] }), ['user:ada'])).toBe(false);
    expect(isListed(who({ role: 'admin' }), ['role:approver'])).toBe(true);
    expect(isListed(who({ role: 'approver' }), ['role:approver'])).toBe(true);
    expect(isListed(who({ role: 'operator' }), ['role:approver'])).toBe(false);
    expect(isListed(who({ role: 'agent' }), ['role:viewer'])).toBe(false);
  });

  it('a malformed entry matches nobody', () => {
    expect(isListed(who({ subject: 'grp:leads' }), ['grp:leads'])).toBe(false);
    expect(isListed(who({ role: 'admin' }), ['role:agent', 'role:root'])).toBe(false);
  });

  it('names every bad entry of a reassignment, by index', () => {
    const problems = approverProblems([
      'user:ada',
      'grp:leads',
      'role:agent',
      'group:',
      42,
      'has space',
      'ada',
      'group:leads',
    ]);
    expect(problems.map((p) => [p.code, p.path])).toEqual([
      ['BAD_APPROVER', '/approvers/1'],
      ['BAD_APPROVER', '/approvers/2'],
      ['BAD_APPROVER', '/approvers/3'],
      ['BAD_APPROVER', '/approvers/4'],
      ['BAD_APPROVER', '/approvers/5'],
      ['DUPLICATE_APPROVER', '/approvers/6'],
    ]);
    expect(problems[0]!.message).toContain('write user:, group: or role:');
    expect(problems[1]!.message).toContain('an agent never decides');
  });

  it('wants a non-empty array', () => {
    expect(approverProblems([]).map((p) => p.code)).toEqual(['NO_APPROVERS']);
    expect(approverProblems('group:leads').map((p) => p.code)).toEqual(['BAD_APPROVERS']);
    expect(approverProblems(Array.from({ length: 101 }, (_, i) => `u${i}`))[0]!.code).toBe(
      'TOO_MANY_APPROVERS',
    );
    expect(approverProblems(['group:leads', 'role:approver', 'user:ada'])).toEqual([]);
  });
});
