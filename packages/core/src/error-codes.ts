// The one catalogue of aob's error codes: what kind of failure each is and whether trying again
// can help. Every code the source throws is here (a test scans the source and fails on one that
// is not, or on an entry nothing throws); the transports derive from the kind alone — the HTTP
// status, the gRPC status, the CLI's exit code — so a new code is one line here. Codes are
// compared as codes, never by message or class. Codes a user's task handler throws are its own
// and are not catalogued: they are node failures, retryable unless the handler says otherwise.

export type ErrorKind =
  | 'invalid' // the request or definition is wrong: fix it (400 / INVALID_ARGUMENT / exit 2)
  | 'unauthenticated' // no usable token (401 / UNAUTHENTICATED / exit 2)
  | 'forbidden' // not allowed for this caller or by policy (403 / PERMISSION_DENIED / exit 2)
  | 'not-found' // no such thing, or not in the caller's namespace (404 / NOT_FOUND / exit 2)
  | 'state' // the thing's state forbids it now (409 / FAILED_PRECONDITION / exit 2)
  | 'exists' // it exists already (409 / ALREADY_EXISTS / exit 2)
  | 'race' // lost a race with another writer: send it again (409 / ABORTED / exit 4)
  | 'too-large' // over a size, depth or speed limit (413 / RESOURCE_EXHAUSTED / exit 2)
  | 'pending' // handed over, not applied yet: look again shortly (503 / UNAVAILABLE / exit 4)
  | 'unavailable' // a service, store or endpoint cannot serve now (503 / UNAVAILABLE / exit 3)
  | 'timeout' // it took too long (504 / DEADLINE_EXCEEDED / exit 1)
  | 'cancelled' // someone stopped it (499 / CANCELLED / exit 1)
  | 'internal'; // aob or a node's work failed (500 / INTERNAL / exit 1)

export interface ErrorCodeEntry {
  readonly kind: ErrorKind;
  /** Whether trying the same thing again may succeed; an error may say otherwise when thrown. */
  readonly retryable: boolean;
}

const invalid = { kind: 'invalid', retryable: false } as const;
const forbidden = { kind: 'forbidden', retryable: false } as const;
const notFound = { kind: 'not-found', retryable: false } as const;
const state = { kind: 'state', retryable: false } as const;
const exists = { kind: 'exists', retryable: false } as const;
const race = { kind: 'race', retryable: true } as const;
const tooLarge = { kind: 'too-large', retryable: false } as const;
const pending = { kind: 'pending', retryable: true } as const;
const unavailable = { kind: 'unavailable', retryable: true } as const;
const timeout = { kind: 'timeout', retryable: true } as const;
const internal = { kind: 'internal', retryable: false } as const;
const transient = { kind: 'internal', retryable: true } as const;

export const ERROR_CODES = {
  // ---- requests and definitions --------------------------------------------------------------
  /** A definition, patch, inputs or request body with problems (each one named). */
  VALIDATION: invalid,
  BAD_REQUEST: invalid,
  BAD_URL: invalid,
  BAD_CONTENT_LENGTH: invalid,
  BAD_JSON: invalid,
  MALFORMED_JSON: invalid,
  EMPTY_BODY: invalid,
  NOT_FINITE: invalid,
  TOO_DEEP: tooLarge,
  BODY_TOO_LARGE: tooLarge,
  HEADERS_TOO_LARGE: tooLarge,
  PARAM_TOO_LONG: tooLarge,
  UNSUPPORTED_MEDIA_TYPE: invalid,
  METHOD_NOT_ALLOWED: invalid,
  NO_ROUTE: notFound,
  REQUEST_TIMEOUT: timeout,
  /** A response that breaks the API's own document (checked in tests): the server's fault. */
  RESPONSE_CONTRACT: internal,
  /** Settings or environment that cannot work (each problem named). */
  BAD_CONFIG: invalid,
  /** A budget (`--budget`, a run's, a namespace's) with problems (each one named). */
  BAD_BUDGET: invalid,
  BAD_FLAG: invalid,
  BAD_INPUT: invalid,
  MISSING_ARG: invalid,
  JSON: invalid,
  FILE_NOT_FOUND: notFound,
  LOCAL_ONLY: invalid,
  LOCAL_ONLY_FLAG: invalid,
  SERVER_ONLY: invalid,

  // ---- who may ----------------------------------------------------------------------------
  UNAUTHENTICATED: { kind: 'unauthenticated', retryable: false },
  FORBIDDEN: forbidden,
  NOT_A_REVIEWER: forbidden,
  TOKEN_REVOKED: state,
  TOKEN_NOT_FOUND: notFound,
  TOKEN_COLLISION: race,

  // ---- workflows, runs, approvals, patches ---------------------------------------------------
  NOT_FOUND: notFound,
  WORKFLOW_NOT_FOUND: notFound,
  WORKFLOW_EXISTS: exists,
  RUN_NOT_FOUND: notFound,
  RUN_EXISTS: exists,
  RUN_OVER: state,
  /** The namespace has no budget to show or remove. */
  NO_BUDGET: notFound,
  /** Accepted, not started by an orchestrator yet (its details carry the run id). */
  RUN_PENDING: pending,
  /** Another local process drives the run; it continues there. */
  RUN_LEASED: pending,
  RUN_SETTINGS_MISMATCH: state,
  NODE_NOT_FOUND: notFound,
  EDGE_NOT_FOUND: notFound,
  // /mcp (Streamable HTTP): an unknown or ended session, too many sessions, a request a browser
  // page of another site sent (Origin), or one addressed to a name not this server's (Host).
  MCP_SESSION_NOT_FOUND: notFound,
  MCP_SESSION_LIMIT: unavailable,
  BAD_ORIGIN: forbidden,
  BAD_HOST: forbidden,
  UNKNOWN_NODE: invalid,
  NODE_NOT_FINISHED: state,
  /** A content reference the run does not hold. */
  CONTENT_NOT_FOUND: notFound,
  TICKET_NOT_FOUND: notFound,
  TICKET_DECIDED: state,
  ALREADY_APPROVED: state,
  DECISION_PENDING: pending,
  /** No question with this id (or not in the caller's namespace). */
  QUESTION_NOT_FOUND: notFound,
  /** The question takes no answer now: answered, timed out, or its node or run is over. */
  QUESTION_CLOSED: state,
  /** An answer that is not one of the question's choices or not valid against its schema. */
  BAD_ANSWER: invalid,
  /** No draft with this id (or not in the caller's namespace). */
  DRAFT_NOT_FOUND: notFound,
  /** The draft moved past the revision a change expected (`expectRevision`): read it again. */
  DRAFT_CONFLICT: race,
  /** The draft has problems (each one named): it is committed once they are fixed. */
  DRAFT_INVALID: invalid,
  /** No change of the draft (by that author) is left to undo. */
  NOTHING_TO_UNDO: state,
  /** No schedule with this id (or not in the caller's namespace). */
  SCHEDULE_NOT_FOUND: notFound,
  /** A schedule id taken already (ids are drawn at random: never expected). */
  SCHEDULE_EXISTS: exists,
  /** The schedule kept changing under a write (schedulers advance it): send it again. */
  SCHEDULE_CONFLICT: race,
  PATCH_NOT_FOUND: notFound,
  PATCH_EXISTS: exists,
  PATCH_NOT_HELD: state,
  PATCH_NOT_APPLIED: state,
  PATCH_NOT_NEWEST: state,
  PATCH_OTHER_WORKFLOW: invalid,
  PATCH_SET_INVALID: invalid,
  PATCH_PENDING: pending,
  PATCH_RACE: race,
  // ---- the optimizer's passes (packages/optimizer): a refused or stopped pass changes nothing ----
  /** A pass module that is not WebAssembly, or lacks the ABI's exports (alloc, optimize). */
  OPTIMIZER_BAD_MODULE: invalid,
  /** A pass module that imports anything but what the ABI gives (env.abort, env.memory). */
  OPTIMIZER_FORBIDDEN_IMPORT: forbidden,
  /** A pass module whose memory is over the limit, declared or grown to. */
  OPTIMIZER_MEMORY_LIMIT: tooLarge,
  /** A pass still running at the time limit (its worker is terminated). */
  OPTIMIZER_TIMEOUT: { kind: 'timeout', retryable: false },
  /** A pass that trapped or aborted. */
  OPTIMIZER_TRAP: internal,
  /** A pass whose answer is not JSON, or not a list of { patch, rationale }. */
  OPTIMIZER_BAD_OUTPUT: internal,
  /** A pass name that is neither built in nor a file AOB_OPTIMIZER_PASSES names. */
  OPTIMIZER_UNKNOWN_PASS: notFound,
  /** A patch decision recorded without the validator's verdict. */
  VERDICT_MISSING: internal,
  VALIDATOR_UNAVAILABLE: unavailable,
  VALIDATOR_FAILED: internal,
  TIMEOUT: timeout,
  CANCELLED: { kind: 'cancelled', retryable: false },
  /** A Follow client that reads too slowly for its buffer. */
  TOO_SLOW: tooLarge,

  // ---- runs' own failures (recorded in NodeFailed / RunFailed) --------------------------------
  /** A child run's inputs do not match its workflow's inputs (each problem in details). */
  INPUT: invalid,
  BAD_TIMER: invalid,
  MAP_LIMIT: tooLarge,
  MAP_ITERATION_FAILED: internal,
  CHILD_FAILED: internal,
  CHILD_CANCELLED: { kind: 'cancelled', retryable: false },
  APPROVAL_TIMEOUT: timeout,
  /** A question (an ask node's, or an agent's) was not answered in time. */
  QUESTION_TIMEOUT: timeout,
  /** A replayed node that failed in the original run, its error not recorded. */
  RECORDED_FAILURE: internal,
  /** The run crossed a limit of its budget (tokens, cost, wall time or node executions). */
  BUDGET_EXCEEDED: tooLarge,

  // ---- stores, buses, servers ------------------------------------------------------------
  /** Read from a consumer group that was never created on a topic. */
  BUS_NO_GROUP: internal,
  BUS_CLOSED: { kind: 'unavailable', retryable: false },
  /** Another live process joined a Kafka group with this process's static instance id. */
  BUS_FENCED: { kind: 'unavailable', retryable: false },
  /** A value that cannot travel as JSON. */
  BUS_BAD_VALUE: invalid,
  SEQ_CONFLICT: race,
  INVALID_APPEND: internal,
  /** The store lacks content a log references (lost, or not written yet). */
  CONTENT_MISSING: unavailable,
  CONTENT_CORRUPT: internal,
  /** Content the orchestrator needed could not be read in time. */
  CONTENT_NOT_LOADED: unavailable,
  INVALID_REF: invalid,
  IR_HASH_MISMATCH: internal,
  STORE_UNAVAILABLE: unavailable,
  STORE_BUSY: unavailable,
  STORE_CLOSED: unavailable,
  STORE_SCHEMA_TOO_NEW: unavailable,
  UNAVAILABLE: unavailable,
  SERVER_UNREACHABLE: unavailable,
  /** `aob dev` or a service cannot listen on its port. */
  LISTEN_FAILED: unavailable,
  BAD_COMMAND: invalid,
  INTERNAL: internal,

  // ---- node failures (recorded in NodeFailed; a retry policy reads `retryable`) ---------------
  /** What a handler threw without a code of its own. */
  HANDLER_ERROR: transient,
  HANDLERS_NOT_FOUND: notFound,
  HANDLERS_LOAD_FAILED: invalid,
  UNKNOWN_HANDLER: invalid,
  UNSUPPORTED_NODE_TYPE: invalid,
  EXECUTOR_ERROR: transient,
  OUTPUT_TOO_LARGE: tooLarge,
  BAD_OUTPUT: invalid,
  BAD_EXPRESSION: invalid,
  EXPRESSION_ERROR: invalid,
  EXPRESSION_LIMIT: tooLarge,
  /** The run cannot move: nothing in flight, nothing to wait for, not finished. */
  STUCK: internal,
  SSRF: forbidden,
  HTTP_NETWORK: unavailable,
  HTTP_TLS: unavailable,
  /** The endpoint answered with an error status; retryable for 408, 429 and 5xx. */
  HTTP_STATUS: internal,
  HTTP_BAD_JSON: invalid,
  HTTP_BAD_REDIRECT: invalid,
  TOO_MANY_REDIRECTS: invalid,
  RESPONSE_TOO_LARGE: tooLarge,
  LLM_NOT_CONFIGURED: invalid,
  LLM_UNAVAILABLE: unavailable,
  LLM_REQUEST_REJECTED: invalid,
  LLM_REFUSED: internal,
  LLM_BAD_OUTPUT: internal,
  AGENT_NOT_CONFIGURED: invalid,
  /** An agent's `with.mcp` names an MCP server the runner's settings (AOB_MCP_SERVERS) lack. */
  MCP_NOT_CONFIGURED: invalid,
  /** An MCP server an agent names cannot be reached, or did not speak MCP, as its attempt began. */
  MCP_UNAVAILABLE: unavailable,
  AGENT_BAD_OUTPUT: internal,
  AGENT_MAX_TURNS: internal,
  /**
   * A resumed agent job's saved state (`job.resume.state`, written when it asked) is not the
   * state of an agent on the node's framework: the node's definition changed framework since.
   */
  AGENT_STATE_UNREADABLE: internal,
  /**
   * An agent job's job token expired before a runner took the job (it waited in its topic past
   * its timeout and the grace): another attempt is published with a fresh one.
   */
  JOB_TOKEN_EXPIRED: timeout,
  /**
   * A runner outside the cluster spoke under a lease that is no longer its job's (it ran out and
   * another runner claimed the job, was given up, or the job finished): what it says is refused.
   */
  LEASE_LOST: state,
  /** This server keeps no runner queue (`aob dev`): runners outside the cluster need a cluster. */
  RUNNER_QUEUE_UNAVAILABLE: state,
  BAD_ARGUMENTS: invalid,
  TOOL_FAILED: internal,
  SEARCH_NOT_CONFIGURED: invalid,
  SEARCH_FAILED: unavailable,
  /** python3 is missing on the runner: another attempt here would fail the same way. */
  CODE_UNAVAILABLE: { kind: 'unavailable', retryable: false },
  CODE_TIMEOUT: timeout,
  CODE_OOM: tooLarge,
  /** The code node's program failed (raised, was killed, or printed no result). */
  CODE_FAILED: internal,
  FS_NO_WORKSPACE: invalid,
  FS_FORBIDDEN_PATH: forbidden,
  FS_ACCESS_DENIED: forbidden,
  FS_NOT_FOUND: notFound,
  FS_EXISTS: exists,
  FS_NOT_EMPTY: state,
  FS_WRONG_TYPE: invalid,
  FS_TOO_LARGE: tooLarge,
  FS_IO: transient,
} as const satisfies Readonly<Record<string, ErrorCodeEntry>>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(code: string): code is ErrorCode {
  return Object.prototype.hasOwnProperty.call(ERROR_CODES, code);
}

/**
 * The kind of a code. A code not in the catalogue (a user handler's own, or a newer server's)
 * is internal, or unavailable when the error says retrying may help.
 */
export function errorKindOf(code: string, retryable = false): ErrorKind {
  if (isErrorCode(code)) return ERROR_CODES[code].kind;
  return retryable ? 'unavailable' : 'internal';
}

/**
 * Whether an error with this code is retryable when it does not say: the catalogue's answer, or
 * for an uncatalogued code (a user handler's) yes — a handler's failure is retried by its
 * node's policy unless the handler marks it final.
 */
export function retryableByDefault(code: string): boolean {
  return isErrorCode(code) ? ERROR_CODES[code].retryable : true;
}
