export type {
  AgentHost,
  GraphView,
  PatchOutcome,
  Executor,
  ExecutorContext,
  ExecutorOptions,
  HandlerContext,
  LlmOptions,
  McpServerSettings,
  NodeLogger,
  SearchConfig,
  TaskHandler,
} from './types.js';
export { executorFor, runExecutor } from './registry.js';
export { taskExecutor } from './task.js';
export { transformExecutor } from './transform.js';
export { joinExecutor } from './join.js';
export {
  createHttpExecutor,
  httpExecutor,
  DEFAULT_MAX_REDIRECTS,
  DEFAULT_MAX_RESPONSE_BYTES,
} from './http.js';
export type { HttpExecutorOptions } from './http.js';
export type { HttpOutput } from './http/response.js';
export type { AddressPolicy, DialCandidate, ResolvedAddress, Resolver } from './net/guard.js';
export { loadHandlers } from './handlers.js';
export { toJsonOutput } from './json-output.js';
export { classifyAddress, isForbiddenAddress, parseHostLiteral } from './net/address.js';
export type {
  AddressClass,
  BaseReason,
  Embedding,
  ForbiddenReason,
  HostLiteral,
} from './net/address.js';
export { fsExecutor, FS_MAX_BYTES } from './fs.js';
export {
  createSearchExecutor,
  searchExecutor,
  SEARCH_DEFAULT_LIMIT,
  SEARCH_MAX_LIMIT,
} from './search.js';
export type { SearchExecutorOptions } from './search.js';
export { createSearxngProvider } from './search-provider.js';
export type {
  SearchOptions,
  SearchProvider,
  SearchResult,
  SearxngProviderOptions,
} from './search-provider.js';
export { llmExecutor } from './llm.js';
export type { LlmOutput, LlmUsage } from './llm.js';
export {
  codeExecutor,
  CODE_DEFAULT_MEMORY_MB,
  CODE_DEFAULT_TIMEOUT_MS,
  CODE_MAX_TIMEOUT_MS,
} from './code.js';
export type { CodeOutput } from './code.js';
export { agentExecutor, AGENT_ADAPTERS } from './agent/executor.js';
export type { AgentOutput } from './agent/executor.js';
export type {
  AgentAdapter,
  AgentRunInput,
  AgentRunResult,
  AgentUsage,
  TranscriptEntry,
} from './agent/adapter.js';
export {
  AGENT_DEFAULT_MAX_TURNS,
  AGENT_FRAMEWORKS,
  AGENT_MAX_TURNS_LIMIT,
  AGENT_TOOL_GRANTS,
  parseAgentConfig,
} from './agent/config.js';
export type { AgentConfig, AgentFramework, AgentToolGrant } from './agent/config.js';
export { agentAuthor, buildAgentTools } from './agent/tools.js';
export type { AgentTool, AgentToolSet, PatchRecord, ToolParameters } from './agent/tools.js';
