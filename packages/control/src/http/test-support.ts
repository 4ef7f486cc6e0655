// A real API server for tests: the local engine (in-memory store, in-process bus), the control
// plane with the approvals desk, a fanout hub fed by the engine's events, fastify listening on a
// free port, responses checked against openapi.json. Requests go over real HTTP (fetch).
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { NodeJob } from '@aob/core';
import { NodeType, Topic } from '@aob/core';
import { JobTokenMinter, LocalEngine } from '@aob/engine';
import { ControlPlane } from '../control-plane.js';
import { ApprovalDesk } from '../hitl/index.js';
import {
  Fanout,
  ListenerDeltaSource,
  ListenerLiveSource,
  TimelineStreams,
} from '../fanout/index.js';
import { issueToken } from '../auth/index.js';
import { createApiServer } from './server.js';

/** A response body: the server checks it against openapi.json, the tests read what they need. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- checked at run time (see above)
export type Body = any;

export interface ApiHarness {
  engine: LocalEngine;
  app: FastifyInstance;
  fanout: Fanout;
  timelines: TimelineStreams;
  url: string;
  /** A bearer token per `role@namespace` asked for with `token()`. */
  token(
    role: string,
    namespace?: string,
    opts?: { subject?: string; groups?: string[] },
  ): Promise<string>;
  /**
   * A job token for an agent node of `runId`, minted as an orchestrator mints one when it
   * publishes the node's job (JobTokenMinter): scoped to the run, expiring `timeoutMs` + `graceMs`
   * from now. The whole grant, as the job carries it.
   */
  jobToken(
    runId: string,
    nodeId: string,
    opts?: { timeoutMs?: number; graceMs?: number },
  ): Promise<{ token: string; expiresAt: number }>;
  call(
    method: string,
    path: string,
    opts?: { token?: string; body?: unknown; raw?: string; contentType?: string },
  ): Promise<{ status: number; body: Body; headers: Headers }>;
  close(): Promise<void>;
}

export async function startApiHarness(
  opts: { maxBodyBytes?: number; canvasRoot?: string } = {},
): Promise<ApiHarness> {
  const engine = await LocalEngine.open({ store: 'memory' });
  const plane = new ControlPlane({
    control: engine.control,
    store: engine.store,
    approvals: new ApprovalDesk({ control: engine.control }),
  });
  const fanout = new Fanout({
    store: engine.store,
    source: new ListenerLiveSource((listener) => engine.onEvent(listener)),
    deltas: new ListenerDeltaSource((listener) => engine.onDelta(listener)),
  });
  await fanout.start();
  const timelines = new TimelineStreams(fanout, { heartbeatMs: 200, authCheckMs: 200 });
  const app = await createApiServer({
    plane,
    tokens: engine.store,
    timelines,
    validateResponses: true,
    mcp: { version: '0.0.0-test', pollMs: 100 },
    ...(opts.maxBodyBytes !== undefined ? { maxBodyBytes: opts.maxBodyBytes } : {}),
    ...(opts.canvasRoot !== undefined ? { canvasRoot: opts.canvasRoot } : {}),
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const tokens = new Map<string, string>();
  return {
    engine,
    app,
    fanout,
    timelines,
    url,
    async token(role, namespace = 'acme', o = {}) {
      const subject = o.subject ?? `${role}-${namespace}`;
      const key = `${subject}/${role}@${namespace}`;
      const known = tokens.get(key);
      if (known) return known;
      const { token } = await issueToken(
        engine.store,
        { subject, role, namespace, groups: o.groups ?? [] },
        'test',
      );
      tokens.set(key, token);
      return token;
    },
    async jobToken(runId, nodeId, o = {}) {
      const minter = new JobTokenMinter({
        store: engine.store,
        now: Date.now,
        graceMs: o.graceMs ?? 0,
        instance: 'test',
      });
      const job = (await minter.prepare({
        topic: Topic.jobsMedium,
        value: { runId, nodeId, type: NodeType.agent, timeoutMs: o.timeoutMs ?? 60_000 },
      })) as NodeJob;
      return job.jobToken!;
    },
    async call(method, path, o = {}) {
      const headers: Record<string, string> = {};
      if (o.token) headers.authorization = `Bearer ${o.token}`;
      let payload: string | undefined;
      if (o.raw !== undefined) payload = o.raw;
      else if (o.body !== undefined) payload = JSON.stringify(o.body);
      if (payload !== undefined) headers['content-type'] = o.contentType ?? 'application/json';
      const res = await fetch(url + path, {
        method,
        headers,
        ...(payload !== undefined ? { body: payload } : {}),
      });
      const text = await res.text();
      let body: unknown = text;
      try {
        body = text === '' ? undefined : JSON.parse(text);
      } catch {
        // not JSON: keep the text
      }
      return { status: res.status, body, headers: res.headers };
    },
    async close() {
      timelines.close();
      await fanout.stop();
      await app.close();
      await engine.close();
    },
  };
}

/** A workflow that waits on a person: `a` (transform) → `gate` (approval by approvers) → `b`. */
export function gatedWorkflow(name = 'gated', approvers = ['role:approver']) {
  return {
    name,
    version: '1',
    nodes: [
      { id: 'a', type: 'transform', with: { value: '{% inputs.n ? inputs.n : 1 %}' } },
      { id: 'gate', type: 'approval', with: { approvers } },
      { id: 'b', type: 'transform', with: { value: '{% nodes.a.output + 1 %}' } },
    ],
    edges: [
      { from: 'a', to: 'gate' },
      { from: 'gate', to: 'b', on: 'approved' },
    ],
    output: '{% nodes.b.output %}',
  };
}

/** Polls until `check` holds (or fails the test after `ms`). */
export async function eventually<T>(check: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
