// generated — do not edit; run npm run gen (scripts/gen-types.mjs) after changing schemas/workflow.schema.json
/**
 * This interface was referenced by `WorkflowDefinition`'s JSON-Schema
 * via the `definition` "workflowName".
 */
export type WorkflowName = string;
/**
 * This interface was referenced by `WorkflowDefinition`'s JSON-Schema
 * via the `definition` "version".
 */
export type Version = string;
/**
 * This interface was referenced by `WorkflowDefinition`'s JSON-Schema
 * via the `definition` "nodeType".
 */
export type NodeType =
  | 'task'
  | 'http'
  | 'transform'
  | 'llm'
  | 'agent'
  | 'map'
  | 'join'
  | 'subworkflow'
  | 'approval'
  | 'ask'
  | 'timer'
  | 'code'
  | 'fs'
  | 'search';
/**
 * This interface was referenced by `WorkflowDefinition`'s JSON-Schema
 * via the `definition` "nodeId".
 */
export type NodeId = string;
/**
 * A JSONata expression in {% … %}.
 *
 * This interface was referenced by `WorkflowDefinition`'s JSON-Schema
 * via the `definition` "expression".
 */
export type Expression = string;
/**
 * This interface was referenced by `WorkflowDefinition`'s JSON-Schema
 * via the `definition` "timeoutMs".
 */
export type TimeoutMs = number;
/**
 * This interface was referenced by `WorkflowDefinition`'s JSON-Schema
 * via the `definition` "priority".
 */
export type Priority = 'high' | 'medium' | 'low';
/**
 * `name` or `name@version`.
 *
 * This interface was referenced by `WorkflowDefinition`'s JSON-Schema
 * via the `definition` "workflowRef".
 */
export type WorkflowRef = string;
/**
 * An http(s) URL, or an expression that yields one.
 *
 * This interface was referenced by `WorkflowDefinition`'s JSON-Schema
 * via the `definition` "httpUrl".
 */
export type HttpUrl = string;
/**
 * An ISO 8601 date-time with a time zone, or an expression that yields one.
 *
 * This interface was referenced by `WorkflowDefinition`'s JSON-Schema
 * via the `definition` "instantOrExpression".
 */
export type InstantOrExpression = string;
/**
 * The node types a map body may have: those a runner executes as a job.
 *
 * This interface was referenced by `WorkflowDefinition`'s JSON-Schema
 * via the `definition` "bodyType".
 */
export type BodyType = 'task' | 'http' | 'transform' | 'llm' | 'agent' | 'code' | 'fs' | 'search';
/**
 * Milliseconds, or an expression that yields them.
 *
 * This interface was referenced by `WorkflowDefinition`'s JSON-Schema
 * via the `definition` "msOrExpression".
 */
export type MsOrExpression = number | string;

/**
 * An aob workflow: a JSON graph of nodes. Strings in `with`, `input`, `when` and `output` that are exactly `{% … %}` are JSONata expressions.
 */
export interface WorkflowDefinition {
  /**
   * The schema this document follows (for editors).
   */
  $schema?: string;
  name: WorkflowName;
  version: Version;
  description?: string;
  /**
   * A JSON Schema (2020-12) that run inputs must satisfy.
   */
  inputs?: {
    [k: string]: unknown;
  };
  defaults?: Defaults;
  limits?: Limits;
  patchPolicy?: WorkflowPatchPolicy;
  budget?: Budget;
  /**
   * How much of a run the log keeps. `full` (the default): every event. `fast`: only what recovery needs; a node's start (NodeStarted) is not recorded, so timelines and traces show when a node was scheduled and when it ended, not when it began. Refused for workflows with approval, ask or agent nodes, whose audit needs the full log (FIDELITY_NEEDS_FULL).
   */
  fidelity?: 'full' | 'fast';
  /**
   * @minItems 1
   */
  nodes: NodeDefinition[];
  edges?: EdgeDefinition[];
  /**
   * The run's output, usually an expression over `nodes`.
   */
  output?: unknown;
}
/**
 * This interface was referenced by `WorkflowDefinition`'s JSON-Schema
 * via the `definition` "defaults".
 */
export interface Defaults {
  retry?: RetryOptions;
  timeoutMs?: number;
  priority?: 'high' | 'medium' | 'low';
}
/**
 * This interface was referenced by `WorkflowDefinition`'s JSON-Schema
 * via the `definition` "retry".
 */
export interface RetryOptions {
  maxAttempts?: number;
  initialMs?: number;
  multiplier?: number;
  maxMs?: number;
  /**
   * Fraction of each delay that is randomised (0 = none, 1 = full jitter).
   */
  jitter?: number;
}
/**
 * This interface was referenced by `WorkflowDefinition`'s JSON-Schema
 * via the `definition` "limits".
 */
export interface Limits {
  maxNodes?: number;
  maxAgentSpawns?: number;
  maxPatchesPerRun?: number;
}
/**
 * Which valid patches wait for a person (ARCHITECTURE §4). Patches cannot change this: they may only touch /nodes, /edges and /output.
 *
 * This interface was referenced by `WorkflowDefinition`'s JSON-Schema
 * via the `definition` "patchPolicy".
 */
export interface WorkflowPatchPolicy {
  /**
   * `forbidden-types` (the default): a patch that is valid except that it adds or changes nodes of a type outside `agentTypes` (FORBIDDEN_TYPE) is held for a reviewer instead of rejected. `never`: such a patch is rejected. `always`: every valid patch is held.
   */
  review?: 'never' | 'forbidden-types' | 'always';
  /**
   * Who may approve or reject a held patch; absent: anyone who may propose. A patch's author never reviews it.
   */
  reviewers?: string[];
  /**
   * Node types a patch may add or change without review; default every type but `code`.
   */
  agentTypes?: NodeType[];
}
/**
 * Limits a run is held to. Crossing one appends BudgetExceeded and ends or pauses the run by `onExceeded`. An absent limit does not apply; a run is held to the smallest of each limit in its definition, its `--budget` and its namespace's budget.
 *
 * This interface was referenced by `WorkflowDefinition`'s JSON-Schema
 * via the `definition` "budget".
 */
export interface Budget {
  /**
   * Prompt plus completion tokens of every llm and agent node. Crossed when more are used.
   */
  tokens?: number;
  /**
   * US dollars, priced by the runners' AOB_LLM_PRICES (per model alias, per million tokens) as tokens are reported. Crossed when more is spent.
   */
  costUsd?: number;
  /**
   * Milliseconds from the run's start.
   */
  wallMs?: number;
  /**
   * Node executions: every attempt of every node and map item. The execution past this many is not scheduled.
   */
  nodes?: number;
  /**
   * `fail`: the run fails with BUDGET_EXCEEDED. `cancel`: the run is cancelled. Either way work in flight is aborted. `pause`: the run waits (nothing new is scheduled; work in flight finishes) until someone raises the limit (BudgetRaised) or cancels it.
   */
  onExceeded?: 'fail' | 'cancel' | 'pause';
}
/**
 * This interface was referenced by `WorkflowDefinition`'s JSON-Schema
 * via the `definition` "node".
 */
export interface NodeDefinition {
  id: NodeId;
  type: NodeType;
  /**
   * The type's configuration.
   */
  with?: {
    [k: string]: unknown;
  };
  input?: Expression;
  retry?: RetryOptions;
  timeoutMs?: TimeoutMs;
  priority?: Priority;
  description?: string;
  /**
   * Marks the node pure: its output depends only on its input and settings, so a stored output for an identical type, settings and input is reused instead of executing it again, in this run or another, where its job reaches a runner with a result memo (locally always; in the cluster with AOB_REDIS_URL). The orchestrator runs pure nodes itself, which costs less than a lookup, so a job reaches a runner only past the 1,000 pure jobs one decision runs or with inline nodes turned off. The optimizer's memoize pass sets it. Only transform and join nodes may be marked (IMPURE_MEMO).
   */
  memo?: boolean;
}
/**
 * This interface was referenced by `WorkflowDefinition`'s JSON-Schema
 * via the `definition` "edge".
 */
export interface EdgeDefinition {
  from: string;
  to: string;
  /**
   * Outcome port: success (default), failure; approval's approved | rejected | timeout; ask's timeout.
   */
  on?: string;
  /**
   * A JSONata expression in {% … %}.
   */
  when?: string;
}
/**
 * A node without an id, run once per item.
 *
 * This interface was referenced by `WorkflowDefinition`'s JSON-Schema
 * via the `definition` "mapBody".
 */
export interface MapBody {
  type: BodyType;
  /**
   * The type's configuration.
   */
  with?: {
    [k: string]: unknown;
  };
  input?: Expression;
  retry?: RetryOptions;
  timeoutMs?: TimeoutMs;
  priority?: Priority;
  description?: string;
}
/**
 * Runs a registered handler; other properties are passed to it as configuration.
 *
 * This interface was referenced by `WorkflowDefinition`'s JSON-Schema
 * via the `definition` "taskConfig".
 */
export interface TaskConfig {
  handler: string;
  [k: string]: unknown;
}
/**
 * An HTTP request, SSRF-guarded. Output: { status, headers, body } (body parsed when the answer is JSON, text otherwise); a status of 400 or more fails the node with HTTP_STATUS (retried for 5xx and 429).
 *
 * This interface was referenced by `WorkflowDefinition`'s JSON-Schema
 * via the `definition` "httpConfig".
 */
export interface HttpConfig {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';
  url: HttpUrl;
  headers?: {
    [k: string]: string;
  };
  /**
   * The request body (JSON), or an expression.
   */
  body?: unknown;
  timeoutMs?: TimeoutMs;
}
/**
 * This interface was referenced by `WorkflowDefinition`'s JSON-Schema
 * via the `definition` "transformConfig".
 */
export interface TransformConfig {
  /**
   * The node's output: a JSON value whose expression strings are evaluated.
   */
  value: unknown;
}
/**
 * This interface was referenced by `WorkflowDefinition`'s JSON-Schema
 * via the `definition` "mapConfig".
 */
export interface MapConfig {
  /**
   * The array to fan out over, or an expression that yields it.
   */
  items: string | unknown[];
  concurrency?: number;
  body: MapBody;
}
/**
 * This interface was referenced by `WorkflowDefinition`'s JSON-Schema
 * via the `definition` "joinConfig".
 */
export interface JoinConfig {
  mode?: 'all' | 'any' | 'n';
  n?: number;
}
/**
 * This interface was referenced by `WorkflowDefinition`'s JSON-Schema
 * via the `definition` "subworkflowConfig".
 */
export interface SubworkflowConfig {
  workflow: WorkflowRef;
  /**
   * The child run's inputs, or an expression that yields them.
   */
  inputs?: unknown;
}
/**
 * This interface was referenced by `WorkflowDefinition`'s JSON-Schema
 * via the `definition` "approvalConfig".
 */
export interface ApprovalConfig {
  /**
   * @minItems 1
   */
  approvers: string[];
  quorum?: number;
  /**
   * What the approvers are asked.
   */
  message?: string;
  timeoutMs?: MsOrExpression;
  onTimeout?: 'approve' | 'reject' | 'escalate' | 'fail';
  /**
   * @minItems 1
   */
  escalateTo?: string[];
  /**
   * Applied when an escalation times out too.
   */
  defaultDecision?: 'approve' | 'reject';
}
/**
 * A question to a person; the node's output is {"answer", "by"}. The answer must be one of `choices` (when given) and valid against `schema` (when given).
 *
 * This interface was referenced by `WorkflowDefinition`'s JSON-Schema
 * via the `definition` "askConfig".
 */
export interface AskConfig {
  /**
   * What the askees are asked, or an expression that yields it (evaluated when the node starts).
   */
  question: string;
  /**
   * The answers allowed; absent: any answer (valid against `schema`).
   *
   * @minItems 1
   */
  choices?: (string | number | boolean)[];
  /**
   * A JSON Schema the answer must be valid against.
   */
  schema?: {
    [k: string]: unknown;
  };
  /**
   * Who may answer, in the forms approvers take (a subject, role:<role>, group:<name>); absent: anyone who may decide approvals in the run's namespace.
   *
   * @minItems 1
   */
  askees?: string[];
  timeoutMs?: MsOrExpression;
  /**
   * When no answer came in time: fail the node (QUESTION_TIMEOUT), or answer `default` for the askees (ports success and timeout fire).
   */
  onTimeout?: 'fail' | 'default';
  /**
   * The answer recorded when the question times out with onTimeout: default.
   */
  default?: unknown;
}
/**
 * Exactly one of `durationMs` and `until`.
 *
 * This interface was referenced by `WorkflowDefinition`'s JSON-Schema
 * via the `definition` "timerConfig".
 */
export interface TimerConfig {
  durationMs?: MsOrExpression;
  until?: InstantOrExpression;
}
/**
 * An OpenAI-compatible chat completion. The endpoint, key and model aliases come from the runner's settings (AOB_LLM_*), never from here. Output: { content, json? (with schema), finishReason, model, usage: { promptTokens, completionTokens } }.
 *
 * This interface was referenced by `WorkflowDefinition`'s JSON-Schema
 * via the `definition` "llmConfig".
 */
export interface LlmConfig {
  /**
   * A model name, or an alias from AOB_LLM_MODELS.
   */
  model: string;
  /**
   * The user message (exactly one of prompt and messages).
   */
  prompt?: string;
  /**
   * The conversation, or an expression that yields it.
   *
   * @minItems 1
   */
  messages?:
    | {
        role: 'system' | 'developer' | 'user' | 'assistant';
        content: string;
      }[]
    | string;
  /**
   * A system message put first.
   */
  system?: string;
  temperature?: number | string;
  maxTokens?: number | string;
  /**
   * A JSON Schema the reply must satisfy (structured output); the parsed reply is the output's json.
   */
  schema?: {
    [k: string]: unknown;
  };
  /**
   * The name sent with the schema; letters, digits, _ and - (1–64).
   */
  schemaName?: string;
}
/**
 * An agent on one of two frameworks, with the graph tools (get_graph, get_node_output, propose_patch) and the tools granted here. Its LLM endpoint comes from the runner's settings.
 *
 * This interface was referenced by `WorkflowDefinition`'s JSON-Schema
 * via the `definition` "agentConfig".
 */
export interface AgentConfig {
  framework: 'openai-agents' | 'langgraph';
  model: string;
  instructions?: string;
  /**
   * The task, sent as the user message.
   */
  prompt: string;
  tools?: ('http' | 'search' | 'fs' | 'code')[];
  /**
   * MCP servers whose tools the agent has, by their names in the runner's settings (AOB_MCP_SERVERS), never by address; each tool is offered as `<server>__<tool>`.
   */
  mcp?: string[];
  maxTurns?: number | string;
  /**
   * A JSON Schema the final output must satisfy.
   */
  schema?: {
    [k: string]: unknown;
  };
  /**
   * Runs the agent on a runner outside the cluster (`aob agent-runner --labels`) that carries this label, instead of on a cluster runner. Its job waits in the API's runner queue until such a runner claims it.
   */
  runsOn?: string;
  /**
   * Gives the agent the ask_user tool: a question to a person suspends the agent durably until it is answered.
   */
  ask?: {
    /**
     * Who may answer, in the forms approvers take; absent: anyone who may decide approvals in the run's namespace.
     *
     * @minItems 1
     */
    askees?: string[];
    /**
     * Milliseconds, or an expression that yields them.
     */
    timeoutMs?: number | string;
  };
}
/**
 * A JavaScript or Python snippet in a child process (see the sandbox README for what it does and does not stop).
 *
 * This interface was referenced by `WorkflowDefinition`'s JSON-Schema
 * via the `definition` "codeConfig".
 */
export interface CodeConfig {
  language: 'javascript' | 'python';
  source: string;
  timeoutMs?: number | string;
  memoryMb?: number | string;
  network?: boolean;
}
/**
 * A file operation confined to the runner's workspace (AOB_WORKSPACE); paths are relative to it.
 *
 * This interface was referenced by `WorkflowDefinition`'s JSON-Schema
 * via the `definition` "fsConfig".
 */
export interface FsConfig {
  op: 'read' | 'write' | 'list' | 'move' | 'delete' | 'stat' | 'mkdir';
  path: string;
  /**
   * The destination of a move.
   */
  to?: string;
  /**
   * What a write writes.
   */
  content?: string;
  encoding?: 'utf8' | 'base64';
  recursive?: boolean;
}
/**
 * A web search on the runner's backend (AOB_SEARCH_URL). Output: { query, results: [{ title, url, snippet }] }.
 *
 * This interface was referenced by `WorkflowDefinition`'s JSON-Schema
 * via the `definition` "searchConfig".
 */
export interface SearchConfig {
  query: string;
  limit?: number | string;
}
