// The seed of aob's MCP server: an McpServer over a Backend (the local engine on AOB_HOME, or a
// server with AOB_SERVER/AOB_TOKEN), served on stdio by `aob mcp`. Its tools, for the questions
// runs put to people:
//   question_list    the open questions (or all), like `aob questions list --json`
//   question_show    one question
//   question_answer  answers one (refusals are isError results with their code and problems)
//   run_get          the run a question belongs to, like `aob run get --json`
// One file per concern: tools by resource (question-tools.ts, run-tools.ts), result and error
// shapes (results.ts), output schemas (schemas.ts), runs carried on here (carried-runs.ts). The
// full MCP server (a later issue) grows from here: more tools, resources, other transports.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Backend } from '../backend.js';
import { CarriedRuns } from './carried-runs.js';
import { registerQuestionTools } from './question-tools.js';
import { registerRunTools } from './run-tools.js';

export interface AobMcpServer {
  readonly server: McpServer;
  /** Runs this process carries on since a tool call (local only). */
  readonly carried: CarriedRuns;
}

export interface AobMcpServerOptions {
  /** The version the server reports (the CLI's). */
  version: string;
  /** Where the server logs: never stdout, which is the protocol channel on stdio. */
  log: (line: string) => void;
  /** Told the runs this process carries on whenever that changes (see CarriedRuns). */
  onCarried?: (pending: string[]) => void;
}

export function createMcpServer(backend: Backend, opts: AobMcpServerOptions): AobMcpServer {
  const server = new McpServer(
    { name: 'aob', title: 'aob workflow engine', version: opts.version },
    {
      capabilities: { tools: {} },
      instructions:
        'Runs of aob workflows can wait on questions to people (ask nodes, agents). List them with question_list, read one with question_show, answer with question_answer (a choice, or JSON valid against its schema), and look at its run with run_get.',
    },
  );
  const carried = new CarriedRuns(backend, opts.log, opts.onCarried);
  registerQuestionTools(server, backend, carried);
  registerRunTools(server, backend);
  return { server, carried };
}
