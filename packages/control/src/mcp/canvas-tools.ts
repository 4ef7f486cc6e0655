// The canvas tools: an agent draws a workflow on a draft that people watch and edit in the canvas
// app. A draft's changes are JSON Patches (the drafts model validates each as it is applied and
// keeps them in order); these tools speak in node ids and edges instead and turn each request
// into the patch. Patches that address nodes by index carry a `test` of the node's id and the
// revision they were computed on, so a person's edit in between is never overwritten: the tool
// reads the draft again and recomputes (a few times) instead. The author recorded is the token's
// subject with the MCP client's name, e.g. "ada (claude-desktop)".
import type { Operation as JsonPatchOp } from 'fast-json-patch';
import { AobError, ValidationError } from '@aob/core';
import type { DraftView } from '@aob/engine';
import type { CommitDraftBody } from '../control-plane.js';
import { responseOf } from './api-tool.js';
import type { JsonSchema, ToolContext, ToolSpec } from './tool-spec.js';
import { DESTROYS, READS, WRITES, WRITES_IDEMPOTENT } from './tool-spec.js';

interface DraftNode {
  id: string;
  [field: string]: unknown;
}
interface DraftEdge {
  from: string;
  to: string;
  on?: string;
  when?: string;
}
/** A draft, its definition read as a graph (nodes and edges may be missing while it is drawn). */
type DraftShape = DraftView & { definition: { nodes?: DraftNode[]; edges?: DraftEdge[] } };

/** How many times a change computed on a stale revision is recomputed before giving up. */
const CONFLICT_RETRIES = 3;
const ID = { type: 'string', minLength: 1, maxLength: 200 };
const DRAFT_ID = { ...ID, description: 'the draft (drf_…)' };
const NODE_ID = { ...ID, description: 'a node id of the draft' };

const draftOutput = (): JsonSchema => ({
  type: 'object',
  additionalProperties: false,
  required: ['draft'],
  properties: { draft: responseOf('getDraft') },
});

function input(properties: Record<string, unknown>, required: string[]): JsonSchema {
  return { type: 'object', additionalProperties: false, required, properties };
}

/** A tool that edits the draft: `plan` turns the draft as it is into the patch to apply. */
function editTool(spec: {
  name: string;
  title: string;
  description: string;
  properties: Record<string, unknown>;
  required: string[];
  destructive?: boolean;
  plan: (draft: DraftShape, args: Record<string, unknown>) => JsonPatchOp[];
  summary: (draft: DraftShape, args: Record<string, unknown>) => string;
}): ToolSpec {
  return {
    name: spec.name,
    operation: 'changeDraft',
    title: spec.title,
    description: spec.description,
    inputSchema: input({ draftId: DRAFT_ID, ...spec.properties }, ['draftId', ...spec.required]),
    outputSchema: draftOutput(),
    annotations: { title: spec.title, ...(spec.destructive ? DESTROYS : WRITES) },
    async run(ctx, args) {
      const draftId = args.draftId as string;
      for (let attempt = 1; ; attempt++) {
        const before = (await ctx.plane.getDraft(ctx.principal, draftId)) as DraftShape;
        const ops = spec.plan(before, args);
        try {
          const draft = (await ctx.plane.changeDraft(ctx.principal, draftId, {
            ops,
            expectRevision: before.revision,
            ...author(ctx),
          })) as DraftShape;
          return { summary: withProblems(spec.summary(draft, args), draft), structured: { draft } };
        } catch (e) {
          if (!(e instanceof AobError && e.code === 'DRAFT_CONFLICT') || attempt > CONFLICT_RETRIES)
            throw e;
        }
      }
    },
  };
}

function author(ctx: ToolContext): { author?: string } {
  return ctx.clientName ? { author: ctx.clientName } : {};
}

function nodesOf(draft: DraftShape): DraftNode[] {
  return draft.definition.nodes ?? [];
}

function edgesOf(draft: DraftShape): DraftEdge[] {
  return draft.definition.edges ?? [];
}

function indexOf(draft: DraftShape, id: string, field = '/id'): number {
  const i = nodesOf(draft).findIndex((n) => n.id === id);
  if (i < 0) {
    throw new AobError('NODE_NOT_FOUND', `draft ${draft.draftId} has no node ${id}`, {
      details: [
        {
          code: 'NODE_NOT_FOUND',
          path: field,
          message: `no node ${id} in the draft (its nodes: ${
            nodesOf(draft)
              .map((n) => n.id)
              .join(', ') || 'none'
          })`,
        },
      ],
    });
  }
  return i;
}

/** Ops that add an edge, creating `edges` when the definition has none. */
function addEdge(draft: DraftShape, edge: DraftEdge): JsonPatchOp[] {
  return draft.definition.edges
    ? [{ op: 'add', path: '/edges/-', value: edge }]
    : [{ op: 'add', path: '/edges', value: [edge] }];
}

/** Ops that remove edges by index, highest first, each guarded by a test of its ends. */
function removeEdges(draft: DraftShape, keep: (e: DraftEdge) => boolean): JsonPatchOp[] {
  const ops: JsonPatchOp[] = [];
  const edges = edgesOf(draft);
  for (let i = edges.length - 1; i >= 0; i--) {
    const e = edges[i]!;
    if (keep(e)) continue;
    ops.push({ op: 'test', path: `/edges/${i}/from`, value: e.from });
    ops.push({ op: 'test', path: `/edges/${i}/to`, value: e.to });
    ops.push({ op: 'remove', path: `/edges/${i}` });
  }
  return ops;
}

function withProblems(line: string, draft: DraftShape): string {
  const n = draft.problems.length;
  return `${line}; revision ${draft.revision}; ${n === 0 ? 'no problems' : `${n} problem${n === 1 ? '' : 's'} left (canvas_validate lists them)`}`;
}

const jsonPointerEscape = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

export const CANVAS_TOOLS: readonly ToolSpec[] = [
  {
    name: 'canvas_open',
    operation: 'openDraft',
    title: 'Open a draft',
    description:
      'Opens a new draft, a workflow being edited that people watch and edit live in the canvas (at /drafts/<draftId>): blank, from a registered workflow (from: name or name@version), or from a definition you give. Answers the draft: its definition, revision and problems.',
    inputSchema: input(
      {
        from: { ...ID, description: 'a registered workflow to start from (name or name@version)' },
        definition: { type: 'object', description: 'a workflow definition to start from' },
        title: { type: 'string', maxLength: 200, description: 'what the draft is for' },
      },
      [],
    ),
    outputSchema: draftOutput(),
    annotations: { title: 'Open a draft', ...WRITES },
    async run(ctx, args) {
      const draft = (await ctx.plane.openDraft(ctx.principal, {
        ...(args.from !== undefined ? { from: args.from as string } : {}),
        ...(args.definition !== undefined ? { definition: args.definition } : {}),
        ...(args.title !== undefined ? { title: args.title as string } : {}),
        ...author(ctx),
      })) as DraftShape;
      return {
        summary: withProblems(
          `opened draft ${draft.draftId} (${nodesOf(draft).length} nodes); people see it in the canvas at /drafts/${draft.draftId}`,
          draft,
        ),
        structured: { draft },
      };
    },
  },
  {
    name: 'canvas_get',
    operation: 'getDraft',
    title: 'Read a draft',
    description:
      'The draft as it is now, with every person’s and agent’s edits: its definition, revision, problems, what is focused and its last change (who, what, when).',
    inputSchema: input({ draftId: DRAFT_ID }, ['draftId']),
    outputSchema: draftOutput(),
    annotations: { title: 'Read a draft', ...READS },
    async run(ctx, args) {
      const draft = (await ctx.plane.getDraft(ctx.principal, args.draftId as string)) as DraftShape;
      const ids = nodesOf(draft).map((n) => n.id);
      return {
        summary: withProblems(
          `draft ${draft.draftId}: nodes ${ids.join(', ') || 'none'}; ${edgesOf(draft).length} edges`,
          draft,
        ),
        structured: { draft },
      };
    },
  },
  editTool({
    name: 'canvas_add_node',
    title: 'Add a node',
    description:
      'Adds a node ({id, type, with?, …} as in a workflow definition) to the draft, and with after an edge from that node to it. A duplicate id or an unknown after is refused and nothing changes; an incomplete node is added and listed among the draft’s problems.',
    properties: {
      node: {
        type: 'object',
        required: ['id', 'type'],
        properties: { id: ID, type: { type: 'string', minLength: 1 } },
        description: 'the node, as in a workflow definition',
      },
      after: { ...ID, description: 'connect from this node to the new one' },
    },
    required: ['node'],
    plan: (draft, args) => {
      const node = args.node as DraftNode;
      const ops: JsonPatchOp[] = [
        draft.definition.nodes
          ? { op: 'add', path: '/nodes/-', value: node }
          : { op: 'add', path: '/nodes', value: [node] },
      ];
      if (args.after !== undefined) {
        indexOf(draft, args.after as string, '/after');
        ops.push(...addEdge(draft, { from: args.after as string, to: node.id }));
      }
      return ops;
    },
    summary: (_d, args) =>
      `added node ${(args.node as DraftNode).id}${args.after ? ` after ${args.after as string}` : ''}`,
  }),
  editTool({
    name: 'canvas_update_node',
    title: 'Change a node',
    description:
      'Changes a node of the draft: set replaces the given fields (type, with, retry, …; with is merged key by key into the node’s with), unset removes fields by dotted path (e.g. "with.url", "retry"). The node’s id cannot change (remove it and add another).',
    properties: {
      id: NODE_ID,
      set: { type: 'object', description: 'fields to set; with is merged key by key' },
      unset: { type: 'array', items: { type: 'string', minLength: 1 }, maxItems: 100 },
    },
    required: ['id'],
    plan: (draft, args) => {
      const id = args.id as string;
      const i = indexOf(draft, id);
      const node = nodesOf(draft)[i]!;
      const at = `/nodes/${i}`;
      const ops: JsonPatchOp[] = [{ op: 'test', path: `${at}/id`, value: id }];
      const set = (args.set ?? {}) as Record<string, unknown>;
      if ('id' in set && set.id !== id) {
        throw new ValidationError(
          [
            {
              code: 'IMMUTABLE',
              path: '/set/id',
              message: 'a node’s id cannot change: remove the node and add one with the new id',
            },
          ],
          'canvas_update_node arguments',
        );
      }
      for (const [field, value] of Object.entries(set)) {
        if (field === 'id') continue;
        const current = node.with;
        if (field === 'with' && isObject(value) && isObject(current)) {
          for (const [k, v] of Object.entries(value)) {
            ops.push({ op: 'add', path: `${at}/with/${jsonPointerEscape(k)}`, value: v });
          }
        } else {
          ops.push({ op: 'add', path: `${at}/${jsonPointerEscape(field)}`, value });
        }
      }
      for (const dotted of (args.unset ?? []) as string[]) {
        ops.push({
          op: 'remove',
          path: `${at}/${dotted.split('.').map(jsonPointerEscape).join('/')}`,
        });
      }
      return ops;
    },
    summary: (_d, args) => `changed node ${args.id as string}`,
  }),
  editTool({
    name: 'canvas_remove_node',
    title: 'Remove a node',
    description: 'Removes a node from the draft with every edge to or from it.',
    properties: { id: NODE_ID },
    required: ['id'],
    destructive: true,
    plan: (draft, args) => {
      const id = args.id as string;
      const i = indexOf(draft, id);
      return [
        ...removeEdges(draft, (e) => e.from !== id && e.to !== id),
        { op: 'test', path: `/nodes/${i}/id`, value: id },
        { op: 'remove', path: `/nodes/${i}` },
      ];
    },
    summary: (_d, args) => `removed node ${args.id as string} and its edges`,
  }),
  editTool({
    name: 'canvas_connect',
    title: 'Connect two nodes',
    description:
      'Adds an edge from → to, taken on an outcome (on: success by default, failure; an approval’s approved, rejected, timeout) and, with when, only when the JSONata guard holds. An edge that would make a cycle is refused with CYCLE and nothing changes.',
    properties: {
      from: NODE_ID,
      to: NODE_ID,
      on: { type: 'string', minLength: 1, maxLength: 50 },
      when: {
        type: 'string',
        minLength: 1,
        maxLength: 10_000,
        description: 'a JSONata guard, {% … %}',
      },
    },
    required: ['from', 'to'],
    plan: (draft, args) => {
      const edge: DraftEdge = { from: args.from as string, to: args.to as string };
      if (args.on !== undefined) edge.on = args.on as string;
      if (args.when !== undefined) edge.when = args.when as string;
      return addEdge(draft, edge);
    },
    summary: (_d, args) => `connected ${args.from as string} → ${args.to as string}`,
  }),
  editTool({
    name: 'canvas_disconnect',
    title: 'Disconnect two nodes',
    description:
      'Removes the edges from → to (only those on one outcome, with on). None there is refused with EDGE_NOT_FOUND.',
    properties: { from: NODE_ID, to: NODE_ID, on: { type: 'string', minLength: 1, maxLength: 50 } },
    required: ['from', 'to'],
    destructive: true,
    plan: (draft, args) => {
      const matches = (e: DraftEdge) =>
        e.from === args.from &&
        e.to === args.to &&
        (args.on === undefined || (e.on ?? 'success') === args.on);
      if (!edgesOf(draft).some(matches)) {
        throw new AobError(
          'EDGE_NOT_FOUND',
          `draft ${draft.draftId} has no edge ${args.from as string} → ${args.to as string}${args.on ? ` on ${args.on as string}` : ''}`,
        );
      }
      return removeEdges(draft, (e) => !matches(e));
    },
    summary: (_d, args) => `disconnected ${args.from as string} → ${args.to as string}`,
  }),
  {
    name: 'canvas_validate',
    operation: 'getDraft',
    title: 'Validate a draft',
    description:
      'Every problem left in the draft (what canvas_commit would refuse it for), each with its JSON Pointer, code and message; valid: true when there is none.',
    inputSchema: input({ draftId: DRAFT_ID }, ['draftId']),
    outputSchema: {
      type: 'object',
      additionalProperties: false,
      required: ['valid', 'revision', 'problems'],
      properties: {
        valid: { type: 'boolean' },
        revision: { type: 'integer' },
        problems: (responseOf('getDraft').properties as Record<string, JsonSchema>).problems!,
      },
    },
    annotations: { title: 'Validate a draft', ...READS },
    async run(ctx, args) {
      const draft = (await ctx.plane.getDraft(ctx.principal, args.draftId as string)) as DraftShape;
      const valid = draft.problems.length === 0;
      return {
        summary: valid
          ? `draft ${draft.draftId} is valid (revision ${draft.revision})`
          : `draft ${draft.draftId} has ${draft.problems.length} problems:\n${draft.problems.map((p) => `  ${p.path || '/'}: ${p.message}`).join('\n')}`,
        structured: { valid, revision: draft.revision, problems: draft.problems },
      };
    },
  },
  {
    name: 'canvas_undo',
    operation: 'undoDraft',
    title: 'Undo a change',
    description:
      'Takes back the draft’s newest change not yet undone (with mine, the newest of this caller’s), as a new change anyone can see and undo in turn. Nothing left is refused with NOTHING_TO_UNDO.',
    inputSchema: input({ draftId: DRAFT_ID, mine: { type: 'boolean' } }, ['draftId']),
    outputSchema: draftOutput(),
    annotations: { title: 'Undo a change', ...DESTROYS },
    async run(ctx, args) {
      const draft = (await ctx.plane.undoDraft(ctx.principal, args.draftId as string, {
        ...(args.mine === true ? { mine: true } : {}),
        ...author(ctx),
      })) as DraftShape;
      return {
        summary: withProblems(`undid a change of draft ${draft.draftId}`, draft),
        structured: { draft },
      };
    },
  },
  {
    name: 'canvas_focus',
    operation: 'focusDraft',
    title: 'Focus nodes',
    description:
      'Selects and highlights nodes for the people watching the draft in the canvas (their view moves to them): to point at what you are talking about. Changes nothing in the workflow.',
    inputSchema: input({ draftId: DRAFT_ID, nodes: { type: 'array', items: ID, maxItems: 100 } }, [
      'draftId',
      'nodes',
    ]),
    outputSchema: draftOutput(),
    annotations: { title: 'Focus nodes', ...WRITES_IDEMPOTENT },
    async run(ctx, args) {
      const draft = (await ctx.plane.focusDraft(ctx.principal, args.draftId as string, {
        nodes: args.nodes as string[],
        ...author(ctx),
      })) as DraftShape;
      const nodes = args.nodes as string[];
      return {
        summary: nodes.length === 0 ? 'cleared the focus' : `focused ${nodes.join(', ')}`,
        structured: { draft },
      };
    },
  },
  {
    name: 'canvas_commit',
    operation: 'commitDraft',
    title: 'Commit a draft',
    description:
      'Makes the draft real: as "version" registers it as a workflow version (optionally under another version), which runs can then start; as "patch" proposes the difference between a running run’s graph and the draft to that run (runId), validated and applied or held per its policy like any patch. A draft with problems is refused with DRAFT_INVALID, every problem named; agents may propose a patch but not register a version.',
    inputSchema: input(
      {
        draftId: DRAFT_ID,
        as: { enum: ['version', 'patch'] },
        version: { type: 'string', minLength: 1, maxLength: 100 },
        runId: { ...ID, description: 'the running run to propose the draft to (as: patch)' },
        rationale: { type: 'string', maxLength: 10_000 },
      },
      ['draftId', 'as'],
    ),
    outputSchema: responseOf('commitDraft'),
    annotations: { title: 'Commit a draft', ...WRITES },
    async run(ctx, args) {
      const { draftId, ...body } = args;
      const answer = await ctx.plane.commitDraft(ctx.principal, draftId as string, {
        ...(body as unknown as CommitDraftBody),
        ...author(ctx),
      });
      const { workflow, patch } = answer;
      return {
        summary: workflow
          ? `registered ${workflow.name}@${workflow.version}; start it with run_start`
          : `proposed patch ${patch?.patchId} to run ${args.runId as string}: ${patch?.status}`,
        structured: { ...answer },
      };
    },
  },
];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
