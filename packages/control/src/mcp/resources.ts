// The resources an MCP client can read (and subscribe to): a run, a run's events, a registered
// workflow version and a draft, as resource templates with `aob://` URIs. Each read goes through
// the control plane with the caller's principal, so a run of another namespace is as unknown here
// as on REST.
import type { Resource, ResourceTemplate } from '@modelcontextprotocol/sdk/types.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { AobError } from '@aob/core';
import type { ControlPlane } from '../control-plane.js';
import type { Principal } from '../auth/index.js';
import { problemOf } from '../http/problem.js';

/** The JSON-RPC error for an unknown resource (the MCP specification's). */
export const RESOURCE_NOT_FOUND = -32002;
/** The most events the events resource holds; run_events pages through longer logs. */
const MAX_EVENTS = 5_000;

export const RESOURCE_TEMPLATES: ResourceTemplate[] = [
  {
    uriTemplate: 'aob://runs/{runId}',
    name: 'run',
    title: 'A run',
    description:
      'The run as run_get shows it: status, output or error, nodes, waits, usage. Updated as the run moves (subscribe).',
    mimeType: 'application/json',
  },
  {
    uriTemplate: 'aob://runs/{runId}/events',
    name: 'run-events',
    title: 'A run’s event log',
    description: `The run’s recorded events, oldest first (the first ${MAX_EVENTS}; run_events pages through longer logs). Updated as events are appended (subscribe).`,
    mimeType: 'application/json',
  },
  {
    uriTemplate: 'aob://workflows/{name}/{version}',
    name: 'workflow',
    title: 'A registered workflow version',
    description: 'The definition of name@version (versions never change).',
    mimeType: 'application/json',
  },
  {
    uriTemplate: 'aob://drafts/{draftId}',
    name: 'draft',
    title: 'A draft on the canvas',
    description:
      'A workflow being edited by people and agents: its definition, revision, problems, focus and last change. Updated on every change (subscribe).',
    mimeType: 'application/json',
  },
];

export type ResourceTarget =
  | { kind: 'run'; runId: string }
  | { kind: 'events'; runId: string }
  | { kind: 'workflow'; name: string; version: string }
  | { kind: 'draft'; draftId: string };

const SEGMENT = '([^/?#]{1,200})';
const PATTERNS: [RegExp, (m: string[]) => ResourceTarget][] = [
  [new RegExp(`^aob://runs/${SEGMENT}$`), (m) => ({ kind: 'run', runId: m[1]! })],
  [new RegExp(`^aob://runs/${SEGMENT}/events$`), (m) => ({ kind: 'events', runId: m[1]! })],
  [
    new RegExp(`^aob://workflows/${SEGMENT}/${SEGMENT}$`),
    (m) => ({ kind: 'workflow', name: m[1]!, version: m[2]! }),
  ],
  [new RegExp(`^aob://drafts/${SEGMENT}$`), (m) => ({ kind: 'draft', draftId: m[1]! })],
];

/** What a URI names, or an MCP error naming the templates it should match. */
export function resourceTarget(uri: string): ResourceTarget {
  for (const [pattern, make] of PATTERNS) {
    const m = pattern.exec(uri);
    if (m) return make(m.map((part) => safeDecode(part)));
  }
  throw new McpError(
    RESOURCE_NOT_FOUND,
    `no resource ${uri.slice(0, 200)}: aob's resources are ${RESOURCE_TEMPLATES.map((t) => t.uriTemplate).join(', ')}`,
    { uri: uri.slice(0, 200) },
  );
}

/** The resource's JSON now, as the principal may see it. */
export async function readTarget(
  plane: ControlPlane,
  principal: Principal,
  target: ResourceTarget,
): Promise<unknown> {
  switch (target.kind) {
    case 'run':
      return plane.getRun(principal, target.runId);
    case 'events':
      return (await plane.runEvents(principal, target.runId, { fromSeq: 1, limit: MAX_EVENTS }))
        .items;
    case 'workflow':
      return (await plane.showWorkflow(principal, `${target.name}@${target.version}`)).definition;
    case 'draft':
      return plane.getDraft(principal, target.draftId);
  }
}

/** `resources/read`'s contents for a URI; the control plane's refusals as MCP errors. */
export async function readResource(
  plane: ControlPlane,
  principal: Principal,
  uri: string,
): Promise<{ contents: { uri: string; mimeType: string; text: string }[] }> {
  const target = resourceTarget(uri);
  const value = await asMcpError(uri, () => readTarget(plane, principal, target));
  return { contents: [{ uri, mimeType: 'application/json', text: JSON.stringify(value) }] };
}

/** A few concrete resources to start from: the namespace's newest runs. */
export async function listResources(
  plane: ControlPlane,
  principal: Principal,
): Promise<Resource[]> {
  const runs = await plane.listRuns(principal, { limit: 20 });
  return runs.items.map((r) => ({
    uri: `aob://runs/${encodeURIComponent(r.runId)}`,
    name: r.runId,
    title: `run ${r.runId} of ${r.workflow} (${r.status})`,
    mimeType: 'application/json',
  }));
}

/** Runs `work`; a NOT_FOUND refusal becomes the resource-not-found error, others keep their code. */
export async function asMcpError<T>(uri: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (e instanceof McpError) throw e;
    const body = problemOf(e);
    const notFound = body.status === 404;
    throw new McpError(
      notFound
        ? RESOURCE_NOT_FOUND
        : e instanceof AobError && body.status < 500
          ? ErrorCode.InvalidParams
          : ErrorCode.InternalError,
      `${body.code}: ${body.detail}`,
      {
        uri: uri.slice(0, 200),
        code: body.code,
        ...(body.errors ? { problems: body.errors } : {}),
      },
    );
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
