// `aob mcp`: aob's MCP server on stdio. Locally it is the server `aob dev` and the api service
// serve at /mcp, over the control plane on the local engine, acting as the local user; with
// AOB_SERVER it relays the client to that server's /mcp with AOB_TOKEN. stdout is the protocol
// channel: everything else (logs, a handler's console.log) goes to stderr.
import { Flags } from '@oclif/core';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Principal, Role } from '@aob/control';
import { createMcpSession, MCP_TOOLS, RANKED } from '@aob/control';
import { enableRunContext } from '@aob/engine';
import { AobCommand } from '../lib/base.js';
import { ExitCode } from '../lib/exit-codes.js';
import { startCliTracing } from '../lib/engine.js';
import { engineFlags } from '../lib/flags.js';
import type { LocalBackend } from '../lib/local-backend.js';
import { localControlPlane } from '../lib/local-plane.js';
import { CarriedRuns } from '../lib/mcp/carried-runs.js';
import { proxyToServer } from '../lib/mcp/server-proxy.js';

export default class Mcp extends AobCommand<typeof Mcp> {
  static override summary = 'Serve aob to an MCP client (an agent, an IDE) on stdio.';
  static override description = `An MCP server on stdin/stdout, for an MCP client to start as a subprocess (Claude Desktop, Cursor, an agent framework). Its tools run workflows and read them (workflow_*, run_*, node_output), decide approvals and answer questions (approval_*, question_*), propose and review patches (patch_*), and draw workflows on drafts that people watch in the canvas (canvas_*); its resources (aob://runs/{runId}, …/events, aob://workflows/{name}/{version}, aob://drafts/{draftId}) can be subscribed to; its prompts are design_workflow and debug_run. Refusals are tool results with isError, the API's error code and every problem.

Locally it acts on the store in AOB_HOME as you (--by, default $USER) with the role --role (default admin; agent: it may read and propose, never decide). Runs a tool starts or moves on are driven by this process: when the client closes stdin the server waits for them to be over or to wait on a person, then exits 0; stopped by a signal, it names the runs left mid-way (continue them with aob run resume).

With AOB_SERVER and AOB_TOKEN it relays the client to the server's own MCP server at /mcp (the token says who acts and what it may do).

Nothing but the protocol is written to stdout; logs go to stderr.`;
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --role agent --by claude',
    'AOB_SERVER=https://aob.example.com AOB_TOKEN=aob_… <%= config.bin %> <%= command.id %>',
  ];

  static override flags = {
    by: Flags.string({
      description: 'Who acts (default: $USER). Local only: a server takes it from the token.',
    }),
    role: Flags.string({
      description: 'The role the client acts with. Local only: a server takes it from the token.',
      options: [...RANKED, 'agent'],
      default: 'admin',
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
    const choice = this.backendChoice();
    if (choice.mode === 'server') {
      this.refuseLocalOnlyFlags();
      log(`relaying stdio to ${choice.url}/mcp`);
      await proxyToServer({ url: choice.url, token: choice.token, log });
      return ExitCode.Ok;
    }
    const backend = (await this.backend({
      handlers: this.flags.handlers,
      allowPrivateNetwork: this.flags['allow-private-network'],
    })) as LocalBackend;
    // Traced, the MCP server's spans continue callers' traces (`_meta.traceparent`) across awaits.
    if ((await startCliTracing()).enabled) enableRunContext();
    const engine = backend.engine;
    const principal: Principal = {
      subject: this.defaultActor(),
      role: this.flags.role as Role,
      namespace: 'default',
      groups: [],
      tokenId: 'local',
    };
    const carried = new CarriedRuns(
      (runId) => engine.control.wait(runId, { untilSettled: true }),
      log,
      (pending) => {
        this.interruptHint =
          pending.length === 0
            ? undefined
            : `aob mcp: stopped while carrying ${pending.join(', ')} on; continue with: ${pending.map((r) => `aob run resume ${r}`).join('; ')}`;
      },
    );
    const session = createMcpSession({
      plane: localControlPlane(engine),
      principal: () => principal,
      version: this.config.version,
      touched: (runId) => carried.carry(runId),
    });
    // The stdio transport does not notice the client closing stdin: that ends the session.
    process.stdin.once('end', () => void session.close());
    await session.server.connect(new StdioServerTransport());
    log(
      `serving on stdio (local engine, as ${principal.subject}, role ${principal.role}); ${MCP_TOOLS.length} tools`,
    );
    await session.closed;
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
