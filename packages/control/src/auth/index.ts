export { atLeast, isRole, NAMESPACE_PATTERN, RANKED, ROLES } from './roles.js';
export type { Principal, Role } from './roles.js';
export { authenticate, hashToken, issueToken, tokenRequestProblems, tokenView } from './tokens.js';
export type { TokenRequest, TokenView } from './tokens.js';
export { allowed, authorize, OPERATIONS } from './operations.js';
export type { Operation, OperationRule } from './operations.js';
