// `aob mcp`: the MCP server (cli/src/lib/mcp/server.ts) on stdio, over the backend every command
// uses. stdout is the protocol channel: everything else (logs, a handler's console.log) goes to
// stderr.
import { Flags } from '@oclif/core';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { AobCommand } from '../lib/base.js';
import { ExitCode } from '../lib/exit-codes.js';
import { engineFlags } from '../lib/flags.js';
import { createMcpServer } from '../lib/mcp/server.js';

export default class Mcp extends AobCommand<typeof Mcp> {
  static override summary = 'Serve questions to people to an MCP client (an agent) on stdio.';
  static override description = `An MCP server on stdin/stdout, for an MCP client (an agent, an IDE) to start as a subprocess. Its tools: question_list (the open questions, or all), question_show, question_answer (any JSON answer; a refusal such as BAD_ANSWER, QUESTION_CLOSED or FORBIDDEN is a tool result with isError, its code and every problem) and run_get (the run a question belongs to).

It works where every command does: on the local engine in AOB_HOME, or on the server named by AOB_SERVER with AOB_TOKEN (then the token says who answers, and the cluster carries the run on). Locally, answering a question of a run no live process drives makes this process its driver, as aob answer does: the run goes on here; when the client closes stdin the server waits for such runs to be over or to wait on a person again, then exits 0. Stopped by a signal instead, it names the runs left mid-way (continue them with aob run resume).

Nothing but the protocol is written to stdout; logs go to stderr.`;
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    'AOB_SERVER=https://aob.example.com AOB_TOKEN=aob_… <%= config.bin %> <%= command.id %>',
  ];

  static override flags = {
    by: Flags.string({
      description: 'Who answers (default: $USER). Local only: a server takes it from the token.',
    }),
    ...engineFlags,
  };

  // stdout carries the protocol: errors are reported on stderr, never as a --json document.
  protected override get jsonMode(): boolean {
    return false;
  }

  protected override defaultActor(): string {
    return this.flags.by ?? super.defaultActor();
  }

  protected async perform(): Promise<number> {
    keepStdoutForProtocol();
    const log = (line: string): void => void process.stderr.write(`aob mcp: ${line}\n`);
    const backend = await this.backend({
      handlers: this.flags.handlers,
      allowPrivateNetwork: this.flags['allow-private-network'],
    });
    const { server, carried } = createMcpServer(backend, {
      version: this.config.version,
      log,
      onCarried: (pending) => {
        this.interruptHint =
          pending.length === 0
            ? undefined
            : `aob mcp: stopped while carrying ${pending.join(', ')} on; continue with: ${pending.map((r) => `aob run resume ${r}`).join('; ')}`;
      },
    });
    const closed = new Promise<void>((resolve) => {
      server.server.onclose = resolve;
    });
    // The stdio transport does not notice the client closing stdin: that ends the session.
    process.stdin.once('end', () => void server.close());
    await server.connect(new StdioServerTransport());
    log(
      `serving on stdio (${backend.mode === 'server' ? `server ${process.env.AOB_SERVER?.trim()}` : 'local engine'}); tools: question_list, question_show, question_answer, run_get`,
    );
    await closed;
    if (carried.pending.length > 0) {
      log(`waiting for ${carried.pending.join(', ')} to settle before closing`);
      await carried.settled();
    }
    return ExitCode.Ok;
  }
}

/** console.log and its kin (handlers, libraries) write to stderr: stdout is the protocol's. */
function keepStdoutForProtocol(): void {
  const toStderr = (...args: unknown[]): void => console.error(...args);
  console.log = toStderr;
  console.info = toStderr;
  console.debug = toStderr;
}
