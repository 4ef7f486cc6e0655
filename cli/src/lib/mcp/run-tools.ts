// The run tools: so an agent can see the run a question belongs to. Only run_get for now.
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { RunView } from '@aob/engine';
import { z } from 'zod';
import type { Backend } from '../backend.js';
import { toRunJson } from '../json.js';
import { formatGlimpse } from '../render.js';
import { guarded, success } from './results.js';
import { runSchema } from './schemas.js';

export function registerRunTools(server: McpServer, backend: Backend): void {
  server.registerTool(
    'run_get',
    {
      title: 'Get a run',
      description:
        'A run as `aob run get --json` prints it: its status, output or error, each node’s status and attempts, the approval tickets (waitingOn) and questions it waits on, its usage and budget.',
      inputSchema: { runId: z.string().min(1).describe('the run (run_…)') },
      outputSchema: runSchema.shape,
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    },
    ({ runId }) =>
      guarded(async () => {
        const view = await backend.get(runId);
        return success(describeRun(view), { ...toRunJson(view) });
      }),
  );
}

function describeRun(view: RunView): string {
  const parts = [`run ${view.runId} ${view.status}`];
  if (view.questions && view.questions.length > 0) {
    parts.push(`waiting on questions ${view.questions.join(', ')}`);
  }
  if (view.waitingOn && view.waitingOn.length > 0) {
    parts.push(`waiting on approval tickets ${view.waitingOn.join(', ')}`);
  }
  if (view.output !== undefined) parts.push(`output ${formatGlimpse(view.output, 200)}`);
  if (view.error !== undefined) parts.push(`error ${formatGlimpse(view.error, 200)}`);
  return parts.join('; ');
}
