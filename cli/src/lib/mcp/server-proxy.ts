// `aob mcp` against a server (AOB_SERVER, AOB_TOKEN): the client's messages go, as they are, to
// the server's own MCP server at /mcp over Streamable HTTP with the token, and its answers and
// notifications come back on stdio. One server implementation serves both transports: the tools,
// their authorisation and their refusals are the server's, whatever the CLI's version.
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

/** The JSON-RPC error code of a request the server could not be reached for. */
const UNREACHABLE = -32000;

export interface ProxyOptions {
  url: string;
  token: string;
  log: (line: string) => void;
}

/** Relays stdio ↔ `${url}/mcp` until the client closes stdin; resolves then. */
export async function proxyToServer(opts: ProxyOptions): Promise<void> {
  const remote = new StreamableHTTPClientTransport(new URL('mcp', withSlash(opts.url)), {
    requestInit: { headers: { authorization: `Bearer ${opts.token}` } },
  });
  const local = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    local.onclose = resolve;
    process.stdin.once('end', () => void local.close());
  });
  remote.onmessage = (message) => void local.send(message).catch(() => undefined);
  remote.onerror = (e) => opts.log(`server ${opts.url}: ${e.message}`);
  local.onmessage = (message) => {
    remote.send(message).catch((e: unknown) => {
      const why = e instanceof Error ? e.message : String(e);
      opts.log(`server ${opts.url}: ${why}`);
      // A request gets an answer even when the server cannot be reached or refuses the token.
      if ('id' in message && 'method' in message) {
        const answer: JSONRPCMessage = {
          jsonrpc: '2.0',
          id: message.id,
          error: { code: UNREACHABLE, message: `aob server ${opts.url}: ${why}` },
        };
        void local.send(answer).catch(() => undefined);
      }
    });
  };
  await remote.start();
  await local.start();
  await closed;
  await remote.terminateSession().catch(() => undefined);
  await remote.close();
}

function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}
