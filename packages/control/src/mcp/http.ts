// aob's MCP server on Streamable HTTP at /mcp, beside the REST API (the api service, aob dev).
// Each request is authenticated by the same bearer tokens as REST, every time (a revoked token is
// refused at its next request, and its open subscriptions end); a 401 carries WWW-Authenticate
// pointing at the protected-resource metadata served at /.well-known/oauth-protected-resource
// (RFC 9728), as the MCP authorization specification asks. A session belongs to the token that
// opened it. Against DNS rebinding, a request with an Origin that is neither this server's own
// nor configured is refused (403 BAD_ORIGIN), and on a loopback socket a Host that is not a
// loopback name (or a configured one) is refused (403 BAD_HOST).
import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { ErrorCode } from '@aob/core';
import type { TokenStore } from '@aob/store';
import type { ControlPlane } from '../control-plane.js';
import type { Principal } from '../auth/index.js';
import { authenticate } from '../auth/index.js';
import { problem } from '../http/problem.js';
import type { AobMcpSession } from './server.js';
import { createMcpSession } from './server.js';

export const MCP_PATH = '/mcp';
const METADATA_PATH = '/.well-known/oauth-protected-resource';
const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

export interface McpHttpOptions {
  plane: ControlPlane;
  tokens: TokenStore;
  /** The version the server reports. */
  version: string;
  /** Origins allowed besides the server's own (a browser app on another origin). */
  allowedOrigins?: readonly string[];
  /** Host names allowed on a loopback socket besides the loopback names. */
  allowedHosts?: readonly string[];
  /** The most sessions open at once (default 1,000); more are refused with MCP_SESSION_LIMIT. */
  maxSessions?: number;
  /** A session idle this long is closed (default 30 min). */
  idleMs?: number;
  /** How often subscriptions poll (ms). */
  pollMs?: number;
}

interface Session {
  id: string;
  transport: StreamableHTTPServerTransport;
  mcp: AobMcpSession;
  principal: Principal;
  authorization: string;
  lastSeen: number;
}

/** Adds /mcp and the protected-resource metadata to the app; close() ends every session. */
export function registerMcpRoutes(
  app: FastifyInstance,
  opts: McpHttpOptions,
): { close(): Promise<void>; sessions(): number } {
  const sessions = new Map<string, Session>();
  const idleMs = opts.idleMs ?? 30 * 60_000;
  const maxSessions = opts.maxSessions ?? 1_000;

  const metadata = (req: FastifyRequest, reply: FastifyReply) =>
    void reply.send({
      resource: `${originOf(req)}${MCP_PATH}`,
      resource_name: 'aob',
      bearer_methods_supported: ['header'],
      scopes_supported: [],
    });
  app.get(METADATA_PATH, metadata);
  app.get(`${METADATA_PATH}${MCP_PATH}`, metadata);

  const handle = async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const refusal = originOrHostRefusal(req, opts);
    if (refusal) return refuse(reply, 403, refusal.code, refusal.message);
    const authorization = req.headers.authorization ?? '';
    const principal = await authenticate(opts.tokens, req.headers.authorization);
    if (!principal) {
      void reply.header(
        'www-authenticate',
        `Bearer resource_metadata="${originOf(req)}${METADATA_PATH}${MCP_PATH}"${authorization ? ', error="invalid_token"' : ''}`,
      );
      return refuse(
        reply,
        401,
        'UNAUTHENTICATED',
        authorization
          ? 'the bearer token is unknown, revoked or expired'
          : '/mcp needs a bearer token (Authorization: Bearer aob_…; create one with aob token create)',
      );
    }
    const sessionId = header(req, 'mcp-session-id');
    let session = sessionId !== undefined ? sessions.get(sessionId) : undefined;
    if (sessionId !== undefined && !session) {
      return refuse(
        reply,
        404,
        'MCP_SESSION_NOT_FOUND',
        `no MCP session ${sessionId.slice(0, 100)}: it ended or never was; initialize a new one`,
      );
    }
    if (session && session.principal.tokenId !== principal.tokenId) {
      return refuse(reply, 403, 'FORBIDDEN', 'this MCP session was opened with another token');
    }
    if (!session) {
      if (req.method !== 'POST' || !isInitializeRequest(req.body)) {
        return refuse(
          reply,
          400,
          'BAD_REQUEST',
          'no mcp-session-id: the first request of a session must be an initialize request (POST)',
        );
      }
      if (sessions.size >= maxSessions) {
        return refuse(
          reply,
          503,
          'MCP_SESSION_LIMIT',
          `this server has ${sessions.size} MCP sessions open, its most; try again later`,
        );
      }
      session = openSession(principal, authorization);
    }
    session.principal = principal;
    session.authorization = authorization;
    session.lastSeen = Date.now();
    reply.hijack();
    await session.transport.handleRequest(req.raw, reply.raw, req.body);
  };

  const openSession = (principal: Principal, authorization: string): Session => {
    const session = { principal, authorization, lastSeen: Date.now() } as Session;
    session.transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        session.id = id;
        sessions.set(id, session);
      },
      onsessionclosed: (id) => void sessions.delete(id),
    });
    session.mcp = createMcpSession({
      plane: opts.plane,
      principal: () => session.principal,
      version: opts.version,
      stillValid: async () =>
        (await authenticate(opts.tokens, session.authorization)) !== undefined,
      ...(opts.pollMs !== undefined ? { pollMs: opts.pollMs } : {}),
    });
    session.transport.onclose = () => {
      if (session.id) sessions.delete(session.id);
    };
    void session.mcp.server.connect(session.transport);
    return session;
  };

  for (const method of ['POST', 'GET', 'DELETE'] as const) {
    app.route({ method, url: MCP_PATH, handler: handle });
  }

  // Idle sessions, and sessions whose token stopped being valid, are closed.
  const sweep = setInterval(() => {
    const now = Date.now();
    for (const s of [...sessions.values()]) {
      void (async () => {
        const valid =
          (await authenticate(opts.tokens, s.authorization).catch(() => s.principal)) !== undefined;
        if (!valid || now - s.lastSeen > idleMs) await closeSession(s);
      })();
    }
  }, 10_000).unref();

  const closeSession = async (s: Session) => {
    sessions.delete(s.id);
    await s.mcp.close().catch(() => undefined);
    await s.transport.close().catch(() => undefined);
  };

  return {
    async close() {
      clearInterval(sweep);
      await Promise.all([...sessions.values()].map(closeSession));
    },
    sessions: () => sessions.size,
  };
}

function refuse(reply: FastifyReply, status: number, code: ErrorCode, detail: string): void {
  void reply
    .code(status)
    .type('application/problem+json')
    .send({ ...problem(status, code, detail), instance: MCP_PATH });
}

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** This server's origin as the client addressed it. */
function originOf(req: FastifyRequest): string {
  const proto = header(req, 'x-forwarded-proto')?.split(',')[0]?.trim() ?? req.protocol;
  return `${proto}://${req.headers.host ?? 'localhost'}`;
}

function originOrHostRefusal(
  req: FastifyRequest,
  opts: McpHttpOptions,
): { code: ErrorCode; message: string } | undefined {
  const origin = header(req, 'origin');
  if (origin !== undefined && origin !== originOf(req) && !opts.allowedOrigins?.includes(origin)) {
    return {
      code: 'BAD_ORIGIN',
      message: `requests from origin ${origin.slice(0, 200)} are not allowed (only this server's own origin${opts.allowedOrigins?.length ? ` and ${opts.allowedOrigins.join(', ')}` : ''}; set AOB_MCP_ALLOWED_ORIGINS to allow more)`,
    };
  }
  const local = req.socket.localAddress ?? '';
  if (isLoopback(local)) {
    const host = hostName(req.headers.host ?? '');
    if (!LOOPBACK_NAMES.has(host) && !opts.allowedHosts?.includes(host)) {
      return {
        code: 'BAD_HOST',
        message: `this server listens on a loopback address and answers only to localhost, 127.0.0.1 or [::1], not to Host ${host.slice(0, 200)} (set AOB_MCP_ALLOWED_HOSTS to allow more)`,
      };
    }
  }
  return undefined;
}

function isLoopback(address: string): boolean {
  const a = address.replace(/^::ffff:/, '');
  return a === '::1' || (isIP(a) === 4 && a.startsWith('127.'));
}

/** The host name of a Host header, without its port. */
function hostName(host: string): string {
  const h = host.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  const colon = h.lastIndexOf(':');
  return colon > 0 ? h.slice(0, colon) : h;
}
