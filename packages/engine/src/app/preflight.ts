// What can be known before a run starts about whether its nodes can run here at all: a `task`
// naming a handler this process does not have, an `llm`/`agent`/`search`/`fs` node whose endpoint
// or workspace is not configured, an `agent` naming an MCP server the settings lack, a
// `subworkflow` naming a workflow nobody registered. Found after the start, each left a failed
// run behind; found before, the start is refused with every problem named and nothing stored.
// Expressions (a handler or workflow chosen at run time) are left to run time.
import type { Problem, WorkflowDefinition } from '@aob/core';
import { isExpression } from '@aob/core';
import type { WorkflowRegistry } from '@aob/store';
import type { ExecutorOptions } from '../executors/types.js';
import { splitRef } from '../workflows.js';

interface RawNode {
  id?: unknown;
  type?: unknown;
  with?: Record<string, unknown>;
}

/** Every node as written, map bodies included, with its JSON pointer. */
function nodesOf(definition: WorkflowDefinition): { node: RawNode; at: string; id: string }[] {
  const out: { node: RawNode; at: string; id: string }[] = [];
  definition.nodes.forEach((n, i) => {
    const node = n as RawNode;
    const id = typeof node.id === 'string' ? node.id : `#${i}`;
    out.push({ node, at: `/nodes/${i}`, id });
    const body = node.type === 'map' ? (node.with?.['body'] as RawNode | undefined) : undefined;
    if (body && typeof body === 'object')
      out.push({ node: body, at: `/nodes/${i}/with/body`, id: `${id}[]` });
  });
  return out;
}

/** Problems of the executors this process has (local mode: its handlers and settings). */
export function executorProblems(
  definition: WorkflowDefinition,
  options: ExecutorOptions,
): Problem[] {
  const problems: Problem[] = [];
  const exported = Object.keys(options.handlers);
  for (const { node, at, id } of nodesOf(definition)) {
    switch (node.type) {
      case 'task': {
        const handler = node.with?.['handler'];
        if (typeof handler !== 'string' || isExpression(handler)) break;
        if (Object.hasOwn(options.handlers, handler)) break;
        problems.push({
          code: 'UNKNOWN_HANDLER',
          path: `${at}/with/handler`,
          message:
            exported.length === 0
              ? `task node ${id} needs handler "${handler}", and no handlers module is loaded: pass --handlers FILE (or set AOB_HANDLERS)`
              : `task node ${id} needs handler "${handler}", which the handlers module does not export (it exports ${exported.join(', ')})`,
        });
        break;
      }
      case 'llm':
      case 'agent':
        if (!options.llm) {
          problems.push({
            code: 'LLM_NOT_CONFIGURED',
            path: at,
            message: `${node.type} node ${id} needs an LLM endpoint: set AOB_LLM_BASE_URL (and AOB_LLM_API_KEY if it needs one)`,
          });
        }
        if (node.type === 'agent') problems.push(...mcpProblems(node, at, id, options));
        break;
      case 'search':
        if (!options.search) {
          problems.push({
            code: 'SEARCH_NOT_CONFIGURED',
            path: at,
            message: `search node ${id} needs a search backend: set AOB_SEARCH_URL`,
          });
        }
        break;
      case 'fs':
        if (options.workspaceRoot === undefined) {
          problems.push({
            code: 'FS_NO_WORKSPACE',
            path: at,
            message: `fs node ${id} needs a workspace: set AOB_WORKSPACE to the one directory it may touch`,
          });
        }
        break;
    }
  }
  return problems;
}

/** MCP_NOT_CONFIGURED for every server an agent's `with.mcp` names that the settings lack. */
function mcpProblems(node: RawNode, at: string, id: string, options: ExecutorOptions): Problem[] {
  const names = node.with?.['mcp'];
  if (!Array.isArray(names)) return [];
  const configured = Object.keys(options.mcp ?? {});
  const problems: Problem[] = [];
  names.forEach((name: unknown, i) => {
    if (typeof name !== 'string' || Object.hasOwn(options.mcp ?? {}, name)) return;
    problems.push({
      code: 'MCP_NOT_CONFIGURED',
      path: `${at}/with/mcp/${i}`,
      message:
        configured.length === 0
          ? `agent node ${id} needs MCP server "${name}", and none is configured: set AOB_MCP_SERVERS`
          : `agent node ${id} needs MCP server "${name}", which AOB_MCP_SERVERS does not name (it names ${configured.join(', ')})`,
    });
  });
  return problems;
}

/** WORKFLOW_NOT_FOUND for every subworkflow node naming a workflow that is not registered. */
export async function subworkflowProblems(
  definition: WorkflowDefinition,
  store: WorkflowRegistry,
): Promise<Problem[]> {
  const problems: Problem[] = [];
  for (const { node, at, id } of nodesOf(definition)) {
    if (node.type !== 'subworkflow') continue;
    const ref = node.with?.['workflow'];
    if (typeof ref !== 'string' || isExpression(ref)) continue;
    const [name, version] = splitRef(ref);
    if (await store.getWorkflow(name, version)) continue;
    problems.push({
      code: 'WORKFLOW_NOT_FOUND',
      path: `${at}/with/workflow`,
      message: `subworkflow node ${id} runs ${ref}, which is not registered (register it first: aob workflow register <file>)`,
    });
  }
  return problems;
}
