export { ApprovalDesk, MAX_REASON_LENGTH } from './desk.js';
export type { ApprovalDeskOptions, ListOptions, TicketView } from './desk.js';
export { MAX_APPROVERS, approverProblems, isListed, parseApprover } from './approvers.js';
export type { ApproverEntry } from './approvers.js';
export { QuestionDesk } from './questions.js';
export type { QuestionDeskOptions, QuestionListOptions } from './questions.js';
export { approvalsService } from './grpc.js';
export type { ApprovalsServiceOptions } from './grpc.js';
