// aob's MCP server: the session (one per client, over the control plane) and its Streamable HTTP
// routes; `aob mcp` serves the same session on stdio.
export { createMcpSession } from './server.js';
export type { AobMcpSession, McpSessionOptions } from './server.js';
export { MCP_PATH, registerMcpRoutes } from './http.js';
export type { McpHttpOptions } from './http.js';
export { MCP_TOOLS } from './tools.js';
export type { ToolSpec } from './tool-spec.js';
