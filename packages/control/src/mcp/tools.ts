// Every tool aob's MCP server offers, in the order tools/list gives them.
import { API_TOOLS } from './api-tools.js';
import { CANVAS_TOOLS } from './canvas-tools.js';
import { RUN_TOOLS } from './run-tools.js';
import type { ToolSpec } from './tool-spec.js';

export const MCP_TOOLS: readonly ToolSpec[] = [...API_TOOLS, ...RUN_TOOLS, ...CANVAS_TOOLS];
