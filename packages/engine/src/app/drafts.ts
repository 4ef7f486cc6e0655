// Drafts (issue 16 §3; ARCHITECTURE §7): the one shared model of a workflow being edited, which
// the canvas's editor and agents (MCP) change alike. A draft is a definition stored per
// namespace; every change is a JSON Patch (RFC 6902) with its author, validated as it is applied
// and kept in an append-only log with its inverse, so it can be undone. A change lands only on the
// revision it was made against (compare-and-set in the store), so concurrent editors never lose
// one another's changes; `expectRevision` makes a stale change a DRAFT_CONFLICT instead of
// applying it to the newer definition.
//
// What is refused and what is a problem. A draft may be incomplete while it is drawn, but never
// broken: a change (or an opened definition, or an undo) is REFUSED — a ValidationError naming
// every problem, nothing stored, the revision unchanged — when
//   - its operations are not a JSON Patch (patch.schema.json's operation rules, at least one), or
//     one does not apply: TEST_FAILED (a `test` op), PATH_NOT_FOUND, OPERATION_FAILED;
//   - the result is hostile or huge: TOO_DEEP, NOT_FINITE, RESERVED_KEY (`__proto__`), TOO_LARGE
//     (over MAX_DRAFT_BYTES), NODE_LIMIT past the server's ceiling (AOB_LIMIT_NODES),
//     EXPRESSION_LIMIT;
//   - its structure is broken: SCHEMA at the root, `/nodes`, `/edges`, a node or edge itself, a
//     node's `id` or an edge's `from`/`to` (not an object, nodes not an array, a node without a
//     valid id, an edge without both ends), DUPLICATE_ID, RESERVED_ID, UNKNOWN_NODE at an edge's
//     `from`/`to`, and CYCLE (the compiler's cycle check, through validateDefinition).
// Everything else validateDefinition reports is one of the draft's `problems`, shown with it
// (SCHEMA elsewhere — no name, no nodes yet, a node without a type or with an incomplete `with`
// —, BAD_PORT, BAD_EXPRESSION, NONDETERMINISTIC, UNREACHABLE_READ, UNKNOWN_NODE read by an
// expression, UNSAFE_REGEX, CREDENTIAL_FIELD, NODE_LIMIT under the ceiling): `commit` refuses
// while there are any (DRAFT_INVALID, each one named).
//
// The feed: `watch` hears what this process does to a draft at once, and, while anyone watches,
// reads the draft every `pollMs` for what other processes did (the cluster's api replicas, or
// the CLI beside `aob dev`).
import jsonpatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import type { Problem } from '@aob/core';
import {
  AobError,
  ValidationError,
  jsonShapeProblems,
  patchDocumentProblems,
  protoKeyProblems,
  serverLimits,
  validateDefinition,
} from '@aob/core';
import type {
  DraftChange,
  DraftChanges,
  DraftCommitRequest,
  DraftCommitResult,
  DraftFeedEvent,
  DraftView,
  OpenDraftRequest,
} from '@aob/client';
import type { DraftChangeRecord, DraftCommitRecord, DraftRecord, DraftStore } from '@aob/store';
import type { RunControl } from './run-control.js';
import { newId } from './ids.js';

export type {
  DraftChange,
  DraftChanges,
  DraftCommitRequest,
  DraftCommitResult,
  DraftFeedEvent,
  DraftView,
  OpenDraftRequest,
} from '@aob/client';

/** How often a watched draft is read for changes made by other processes. */
export const DRAFT_POLL_MS = 500;
/** The largest definition a draft holds, and the largest change, as JSON bytes. */
export const MAX_DRAFT_BYTES = 1_048_576;
/** The most changes one `changes` call returns. */
export const MAX_DRAFT_CHANGES_PAGE = 1_000;
/** Undo looks back this many changes at a time for the one to take back. */
const UNDO_WINDOW = 100;
/** How often a change made without `expectRevision` is tried again on a newer revision. */
const CHANGE_ATTEMPTS = 5;

const NODE_ID = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;
const END = /^\/edges\/\d+\/(from|to)$/;
/** validateDefinition's codes that always mean a broken structure (see the header). */
const STRUCTURAL = new Set([
  'TOO_DEEP',
  'NOT_FINITE',
  'RESERVED_KEY',
  'RESERVED_ID',
  'DUPLICATE_ID',
  'CYCLE',
  'EXPRESSION_LIMIT',
]);

export type DraftListener = (event: DraftFeedEvent) => void;

/** What DraftControl needs of the run operations: the registry, runs, patches. */
export type DraftRunOperations = Pick<
  RunControl,
  'registeredWorkflow' | 'registerWorkflow' | 'proposePatch' | 'get' | 'content'
>;

export interface DraftControlDeps {
  store: DraftStore;
  control: DraftRunOperations;
  now?: () => number;
  /** Default `drf_…` (newId). */
  newId?: () => string;
  /** Default DRAFT_POLL_MS. */
  pollMs?: number;
}

/** The definition of a new blank draft. */
export const BLANK_DRAFT = { name: 'untitled', version: '1', nodes: [] } as const;

/**
 * Splits what validateDefinition (and the draft's own checks) say about a definition: `refused`
 * makes it no draft at all, `problems` keep it from being committed (see the header).
 */
export function checkDraftDefinition(doc: unknown): { refused: Problem[]; problems: Problem[] } {
  const shape = [...jsonShapeProblems(doc, ''), ...protoKeyProblems(doc, '')];
  if (shape.length > 0) return { refused: shape, problems: [] };
  const refused = structureProblems(doc);
  const size = Buffer.byteLength(JSON.stringify(doc) ?? '');
  if (size > MAX_DRAFT_BYTES) {
    refused.push({
      code: 'TOO_LARGE',
      path: '',
      message: `the definition takes ${size} bytes as JSON, more than a draft's ${MAX_DRAFT_BYTES}`,
    });
  }
  if (refused.length > 0) return { refused, problems: [] };
  const problems: Problem[] = [];
  for (const p of validateDefinition(doc)) {
    const structural =
      STRUCTURAL.has(p.code) ||
      (p.code === 'UNKNOWN_NODE' && END.test(p.path)) ||
      (p.code === 'SCHEMA' && p.path === '');
    (structural ? refused : problems).push(p);
  }
  return { refused, problems };
}

/** The shape every draft keeps (validateDefinition reads the rest defensively). */
function structureProblems(doc: unknown): Problem[] {
  const out: Problem[] = [];
  const schema = (path: string, message: string) => out.push({ code: 'SCHEMA', path, message });
  if (!isObject(doc)) {
    schema('', 'a draft is a workflow definition: a JSON object {name, version, nodes, …}');
    return out;
  }
  const nodes = doc['nodes'];
  if (!Array.isArray(nodes)) {
    schema('/nodes', 'must be an array of nodes ({id, type, …}); [] while there are none');
    return out;
  }
  const ceiling = serverLimits().maxNodes;
  if (nodes.length > ceiling) {
    out.push({
      code: 'NODE_LIMIT',
      path: '/nodes',
      message: `${nodes.length} nodes exceed this server's ceiling of ${ceiling} (AOB_LIMIT_NODES)`,
    });
    return out;
  }
  nodes.forEach((n, i) => {
    if (!isObject(n)) schema(`/nodes/${i}`, 'must be an object {id, type, …}');
    else if (typeof n['id'] !== 'string' || !NODE_ID.test(n['id'])) {
      schema(
        `/nodes/${i}/id`,
        'every node needs an id: letters, digits, _ and -, starting with a letter or _ (at most 64)',
      );
    }
  });
  const edges = doc['edges'];
  if (edges === undefined) return out;
  if (!Array.isArray(edges)) {
    schema('/edges', 'must be an array of edges ({from, to, on?, when?})');
    return out;
  }
  edges.forEach((e, i) => {
    if (!isObject(e)) schema(`/edges/${i}`, 'must be an object {from, to, on?, when?}');
    else {
      for (const end of ['from', 'to'] as const) {
        if (typeof e[end] !== 'string') schema(`/edges/${i}/${end}`, 'must name a node (its id)');
      }
    }
  });
  return out;
}

/** The problems that make `ops` no JSON Patch (an empty array when it is one). */
export function patchOperationProblems(ops: unknown): Problem[] {
  const shape = [...jsonShapeProblems(ops, '/ops'), ...protoKeyProblems(ops, '/ops')];
  if (shape.length > 0) return shape;
  const size = Buffer.byteLength(JSON.stringify(ops) ?? '');
  if (size > MAX_DRAFT_BYTES) {
    return [
      {
        code: 'TOO_LARGE',
        path: '/ops',
        message: `the operations take ${size} bytes as JSON, more than a change's ${MAX_DRAFT_BYTES}`,
      },
    ];
  }
  // The patch document's own schema says what an operation is; only its `ops` are ours here.
  const doc = {
    patchId: 'draft',
    scope: 'workflow',
    target: 'draft',
    baseIrHash: `sha256:${'0'.repeat(64)}`,
    ops,
    author: 'draft',
  };
  return patchDocumentProblems(doc).filter((p) => p.path === '/ops' || p.path.startsWith('/ops/'));
}

/** Applies the operations, in order, to a copy of `doc`; the first that does not apply is named. */
function applyOps(doc: unknown, ops: readonly unknown[]): { doc: unknown } | { problem: Problem } {
  let next: unknown = structuredClone(doc);
  for (let i = 0; i < ops.length; i++) {
    const op = structuredClone(ops[i]) as Operation;
    try {
      next = jsonpatch.applyOperation(next, op, true, true, true, i).newDocument;
    } catch (err) {
      return { problem: applyProblem(err, op, i) };
    }
  }
  return { doc: next };
}

const UNRESOLVED = new Set([
  'OPERATION_PATH_UNRESOLVABLE',
  'OPERATION_FROM_UNRESOLVABLE',
  'OPERATION_VALUE_OUT_OF_BOUNDS',
  'OPERATION_PATH_ILLEGAL_ARRAY_INDEX',
  'OPERATION_PATH_CANNOT_ADD',
]);

function applyProblem(err: unknown, op: Operation, index: number): Problem {
  const name = (err as { name?: unknown }).name;
  const message = err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err);
  if (name === 'TEST_OPERATION_FAILED') {
    return {
      code: 'TEST_FAILED',
      path: `/ops/${index}`,
      message: `test failed: the value at '${op.path}' is not the one the change expects (the draft changed?)`,
    };
  }
  if (typeof name === 'string' && UNRESOLVED.has(name)) {
    const field = name === 'OPERATION_FROM_UNRESOLVABLE' ? 'from' : 'path';
    const pointer = field === 'from' ? (op as { from?: string }).from : op.path;
    return {
      code: 'PATH_NOT_FOUND',
      path: `/ops/${index}/${field}`,
      message: `'${pointer}' does not exist in the draft (${message}); nodes and edges are addressed by index`,
    };
  }
  return { code: 'OPERATION_FAILED', path: `/ops/${index}`, message };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

const notFound = (draftId: string) => new AobError('DRAFT_NOT_FOUND', `no draft ${draftId}`);

/** What the feed last told about a draft, to tell only what is new. */
interface Mark {
  revision: number;
  commits: number;
  focus: string;
}

const markOf = (r: Pick<DraftRecord, 'revision' | 'commits' | 'focus'>): Mark => ({
  revision: r.revision,
  commits: r.commits.length,
  focus: JSON.stringify(r.focus ?? null),
});

interface Watch {
  listeners: Set<DraftListener>;
  mark?: Mark;
  last?: DraftView;
  timer?: NodeJS.Timeout;
  polling: boolean;
}

/** The drafts of every namespace, over a DraftStore and the run operations. */
export class DraftControl {
  private readonly now: () => number;
  private readonly newId: () => string;
  private readonly pollMs: number;
  private readonly watches = new Map<string, Watch>();

  constructor(private readonly deps: DraftControlDeps) {
    this.now = deps.now ?? Date.now;
    this.newId = deps.newId ?? (() => newId('draft'));
    this.pollMs = deps.pollMs ?? DRAFT_POLL_MS;
  }

  /**
   * A new draft of `namespace`: from a registered workflow `name[@version]`, from a definition
   * (refused, nothing stored, when it is no draft: see the header), or blank.
   */
  async open(namespace: string, by: string, req: OpenDraftRequest = {}): Promise<DraftView> {
    const bad: Problem[] = [];
    if (req.title !== undefined && (typeof req.title !== 'string' || req.title.length > 200)) {
      bad.push({ code: 'SCHEMA', path: '/title', message: 'must be a string of at most 200' });
    }
    if (req.from !== undefined && (typeof req.from !== 'string' || req.from.length === 0)) {
      bad.push({ code: 'SCHEMA', path: '/from', message: 'must name a registered workflow' });
    }
    if (bad.length > 0) throw new ValidationError(bad, 'draft');
    if (req.from !== undefined && req.definition !== undefined) {
      throw new ValidationError(
        [
          {
            code: 'ONE_OF',
            path: '/definition',
            message: 'give at most one of from (a registered name[@version]) or definition',
          },
        ],
        'draft',
      );
    }
    let definition: unknown = structuredClone(BLANK_DRAFT);
    let base: DraftRecord['base'];
    if (req.from !== undefined) {
      const registered = await this.deps.control.registeredWorkflow(req.from);
      definition = registered;
      base = { name: registered.name, version: registered.version };
    } else if (req.definition !== undefined) {
      definition = req.definition;
      const { refused } = checkDraftDefinition(definition);
      if (refused.length > 0) throw new ValidationError(under('/definition', refused), 'draft');
    }
    const now = this.now();
    const record: DraftRecord = {
      draftId: this.newId(),
      namespace,
      ...(req.title !== undefined ? { title: req.title } : {}),
      ...(base !== undefined ? { base } : {}),
      definition,
      revision: 0,
      createdBy: by,
      createdAt: now,
      updatedAt: now,
      commits: [],
    };
    if (!(await this.deps.store.createDraft(record))) {
      throw new AobError('INTERNAL', `draft id ${record.draftId} is taken already`);
    }
    return draftView(record);
  }

  async get(namespace: string, draftId: string): Promise<DraftView> {
    return draftView(await this.record(namespace, draftId));
  }

  /** The namespace's drafts, the most recently opened first. */
  async list(
    namespace: string,
    page: { offset?: number; limit?: number } = {},
  ): Promise<DraftView[]> {
    return (await this.deps.store.listDrafts(namespace, page)).map(draftView);
  }

  /**
   * Applies a JSON Patch as `by`: on revision `expectRevision` when given (DRAFT_CONFLICT if the
   * draft moved past it), else on the newest. Refused, nothing stored, when the operations are
   * no JSON Patch, do not apply, or break the draft (see the header).
   */
  async change(
    namespace: string,
    draftId: string,
    req: { ops: unknown; by: string; expectRevision?: number },
  ): Promise<DraftView> {
    const malformed = patchOperationProblems(req.ops);
    if (malformed.length > 0) throw new ValidationError(malformed, 'draft change');
    const ops = structuredClone(req.ops) as unknown[];
    for (let attempt = 1; ; attempt++) {
      const current = await this.record(namespace, draftId);
      if (req.expectRevision !== undefined && req.expectRevision !== current.revision) {
        throw conflict(draftId, req.expectRevision, current.revision);
      }
      const after = this.applied(current.definition, ops, 'draft change');
      const change: DraftChangeRecord = {
        seq: current.revision + 1,
        kind: 'change',
        by: req.by,
        at: this.now(),
        ops,
        inverse: jsonpatch.compare(after as object, current.definition as object, true),
      };
      const landed = await this.append(current, change, after);
      if (landed) return landed;
      // Someone else's change landed first.
      if (req.expectRevision !== undefined || attempt >= CHANGE_ATTEMPTS) {
        const now = await this.record(namespace, draftId);
        throw conflict(draftId, req.expectRevision ?? current.revision, now.revision);
      }
    }
  }

  /**
   * Takes back the newest change not undone yet (only `onlyBy`'s, when given) by appending its
   * inverse as a change of kind `undo`. NOTHING_TO_UNDO when there is none; refused like any
   * change when the inverse no longer applies to the draft as it is (others changed the same
   * place since).
   */
  async undo(
    namespace: string,
    draftId: string,
    req: { by: string; onlyBy?: string },
  ): Promise<DraftView> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.record(namespace, draftId);
      const target = await this.undoable(draftId, current.revision, req.onlyBy);
      if (!target) {
        throw new AobError(
          'NOTHING_TO_UNDO',
          req.onlyBy === undefined
            ? `draft ${draftId} has no change left to undo`
            : `draft ${draftId} has no change by ${req.onlyBy} left to undo`,
        );
      }
      const after = this.applied(
        current.definition,
        target.inverse,
        `undo of change ${target.seq}`,
      );
      const change: DraftChangeRecord = {
        seq: current.revision + 1,
        kind: 'undo',
        by: req.by,
        at: this.now(),
        ops: target.inverse,
        inverse: jsonpatch.compare(after as object, current.definition as object, true),
        undoes: target.seq,
      };
      const landed = await this.append(current, change, after);
      if (landed) return landed;
      if (attempt >= CHANGE_ATTEMPTS) {
        const now = await this.record(namespace, draftId);
        throw conflict(draftId, current.revision, now.revision);
      }
    }
  }

  /** Points the people watching at nodes of the draft (each must exist); the definition is untouched. */
  async focus(
    namespace: string,
    draftId: string,
    req: { nodes: readonly string[]; by: string },
  ): Promise<DraftView> {
    const current = await this.record(namespace, draftId);
    const ids = new Set(
      ((current.definition as { nodes?: { id?: unknown }[] }).nodes ?? []).map((n) => n.id),
    );
    const unknown: Problem[] = req.nodes.flatMap((id, i) =>
      ids.has(id)
        ? []
        : [{ code: 'UNKNOWN_NODE', path: `/nodes/${i}`, message: `the draft has no node '${id}'` }],
    );
    if (unknown.length > 0) throw new ValidationError(unknown, 'focus');
    const focus = { nodes: [...new Set(req.nodes)], by: req.by, at: this.now() };
    if (!(await this.deps.store.setDraftFocus(draftId, focus))) throw notFound(draftId);
    const record = { ...current, focus, updatedAt: focus.at };
    this.observe(draftId, record, 'focused');
    return draftView(record);
  }

  /**
   * Registers the draft's definition as a workflow version (`version` overrides the
   * definition's), or proposes to a running run, as a patch, what differs between the run's
   * current definition and the draft. Refused (DRAFT_INVALID, each problem named) while the draft
   * has problems. The commit is recorded on the draft.
   */
  async commit(
    namespace: string,
    draftId: string,
    by: string,
    req: DraftCommitRequest,
  ): Promise<DraftCommitResult> {
    const bad = commitRequestProblems(req);
    if (bad.length > 0) throw new ValidationError(bad, 'draft commit');
    const current = await this.record(namespace, draftId);
    const { problems } = checkDraftDefinition(current.definition);
    if (problems.length > 0) {
      throw new AobError(
        'DRAFT_INVALID',
        `draft ${draftId} has ${problems.length} problem${problems.length === 1 ? '' : 's'}: fix ${problems.length === 1 ? 'it' : 'them'} before committing\n` +
          problems.map((p) => `  ${p.path || '/'}: ${p.message} [${p.code}]`).join('\n'),
        { details: problems },
      );
    }
    let commit: DraftCommitRecord;
    const result: Omit<DraftCommitResult, 'draft'> = {};
    if (req.as === 'version') {
      const definition =
        req.version === undefined
          ? current.definition
          : { ...(current.definition as object), version: req.version };
      const workflow = await this.deps.control.registerWorkflow(definition);
      result.workflow = workflow;
      commit = {
        as: 'version',
        by,
        at: this.now(),
        revision: current.revision,
        workflow: `${workflow.name}@${workflow.version}`,
      };
    } else {
      const run = await this.deps.control.get(req.runId);
      const running = (await this.deps.control.content(req.runId, run.irHash)) as object;
      const ops = jsonpatch.compare(running, current.definition as object);
      if (ops.length === 0) {
        throw new ValidationError(
          [
            {
              code: 'NO_CHANGE',
              path: '',
              message: `run ${req.runId} runs this very definition already: there is nothing to propose`,
            },
          ],
          'draft commit',
        );
      }
      const patch = await this.deps.control.proposePatch(req.runId, ops, {
        author: by,
        ...(req.rationale !== undefined ? { rationale: req.rationale } : {}),
      });
      result.patch = patch;
      commit = {
        as: 'patch',
        by,
        at: this.now(),
        revision: current.revision,
        runId: req.runId,
        patchId: patch.patchId,
        status: patch.status,
      };
    }
    if (!(await this.deps.store.addDraftCommit(draftId, commit))) throw notFound(draftId);
    // Read back: a change may have landed meanwhile (the commit records the revision it took).
    const record = (await this.deps.store.getDraft(draftId)) ?? {
      ...current,
      commits: [...current.commits, commit],
      updatedAt: commit.at,
    };
    this.observe(draftId, record, 'committed');
    return { draft: draftView(record), ...result };
  }

  /** The change log after seq `after` (default 0), oldest first, with the draft's revision. */
  async changes(
    namespace: string,
    draftId: string,
    opts: { after?: number; limit?: number } = {},
  ): Promise<DraftChanges> {
    const current = await this.record(namespace, draftId);
    const limit = Math.min(Math.max(1, opts.limit ?? 100), MAX_DRAFT_CHANGES_PAGE);
    const records = await this.deps.store.draftChanges(draftId, opts.after ?? 0, limit);
    return { changes: records.map(changeView), revision: current.revision };
  }

  /** Deletes the draft and its change log; answers it as it was. */
  async delete(namespace: string, draftId: string): Promise<DraftView> {
    const current = await this.record(namespace, draftId);
    if (!(await this.deps.store.deleteDraft(draftId))) throw notFound(draftId);
    const view = draftView(current);
    this.deleted(draftId, view);
    return view;
  }

  /**
   * Calls `listener` with what happens to the draft from now on: changes, focus, commits (with
   * the draft after each) and its deletion — made by this process, or by others (read every
   * `pollMs` while anyone watches). `since`: the draft as the caller last saw it, so that only
   * what came after it is told. Returns the unsubscribe.
   */
  watch(draftId: string, listener: DraftListener, since?: DraftView): () => void {
    let w = this.watches.get(draftId);
    if (!w) {
      w = { listeners: new Set(), polling: false };
      this.watches.set(draftId, w);
    }
    if (since && (!w.mark || w.mark.revision < since.revision)) {
      w.mark = markOf(since);
      w.last = since;
    }
    w.listeners.add(listener);
    if (!w.timer) {
      const watch = w;
      watch.timer = setInterval(() => void this.poll(draftId, watch), this.pollMs);
      watch.timer.unref?.();
    }
    return () => {
      const current = this.watches.get(draftId);
      if (!current) return;
      current.listeners.delete(listener);
      if (current.listeners.size === 0) {
        clearInterval(current.timer);
        this.watches.delete(draftId);
      }
    };
  }

  /** Stops every watch (the process is closing). */
  close(): void {
    for (const w of this.watches.values()) clearInterval(w.timer);
    this.watches.clear();
  }

  // ---- inside ------------------------------------------------------------------------------

  /** The draft, if it exists in `namespace` (another namespace's is as unknown as none). */
  private async record(namespace: string, draftId: string): Promise<DraftRecord> {
    const record = await this.deps.store.getDraft(draftId);
    if (!record || record.namespace !== namespace) throw notFound(draftId);
    return record;
  }

  /** The definition after `ops`, refused (ValidationError) when they do not apply or break it. */
  private applied(definition: unknown, ops: readonly unknown[], what: string): unknown {
    const outcome = applyOps(definition, ops);
    if ('problem' in outcome) throw new ValidationError([outcome.problem], what);
    const { refused } = checkDraftDefinition(outcome.doc);
    if (refused.length > 0) throw new ValidationError(refused, what);
    return outcome.doc;
  }

  /** Appends a change on the revision `current` was read at; the new view, or undefined if it moved. */
  private async append(
    current: DraftRecord,
    change: DraftChangeRecord,
    definition: unknown,
  ): Promise<DraftView | undefined> {
    const ok = await this.deps.store.appendDraftChange(
      current.draftId,
      change,
      definition,
      change.seq,
      current.revision,
    );
    if (!ok) return undefined;
    const record: DraftRecord = {
      ...current,
      definition,
      revision: change.seq,
      updatedAt: change.at,
      lastChange: { seq: change.seq, by: change.by, kind: change.kind, at: change.at },
    };
    return this.observe(current.draftId, record, 'changed');
  }

  /** The newest change not undone yet (by `onlyBy`, when given), read backwards a window at a time. */
  private async undoable(
    draftId: string,
    revision: number,
    onlyBy: string | undefined,
  ): Promise<DraftChangeRecord | undefined> {
    const undone = new Set<number>();
    for (let end = revision; end > 0; end -= UNDO_WINDOW) {
      const from = Math.max(0, end - UNDO_WINDOW);
      const window = await this.deps.store.draftChanges(draftId, from, end - from);
      for (let i = window.length - 1; i >= 0; i--) {
        const c = window[i]!;
        if (c.kind === 'undo') {
          if (c.undoes !== undefined) undone.add(c.undoes);
          continue;
        }
        if (undone.has(c.seq)) continue;
        if (onlyBy !== undefined && c.by !== onlyBy) continue;
        return c;
      }
    }
    return undefined;
  }

  /** Tells the draft's watchers what is new in `record` (nothing, if they know it already). */
  private observe(draftId: string, record: DraftRecord, hint: DraftFeedEvent['kind']): DraftView {
    const view = draftView(record);
    const w = this.watches.get(draftId);
    if (!w) return view;
    const mark = markOf(record);
    const before = w.mark;
    let kind: DraftFeedEvent['kind'] | undefined;
    if (!before) kind = hint;
    else if (mark.revision < before.revision)
      return view; // a stale read
    else if (mark.commits > before.commits) kind = 'committed';
    else if (mark.revision > before.revision) kind = 'changed';
    else if (mark.focus !== before.focus) kind = 'focused';
    w.mark = mark;
    w.last = view;
    if (kind) this.emit(w, { kind, revision: record.revision, draft: view });
    return view;
  }

  private deleted(draftId: string, view: DraftView): void {
    const w = this.watches.get(draftId);
    if (!w) return;
    this.emit(w, { kind: 'deleted', revision: view.revision, draft: view });
    clearInterval(w.timer);
    this.watches.delete(draftId);
  }

  private emit(w: Watch, event: DraftFeedEvent): void {
    for (const listener of [...w.listeners]) {
      try {
        listener(event);
      } catch {
        // A listener's failure is its own: the others still hear.
      }
    }
  }

  private async poll(draftId: string, w: Watch): Promise<void> {
    if (w.polling) return;
    w.polling = true;
    try {
      const record = await this.deps.store.getDraft(draftId);
      if (this.watches.get(draftId) !== w) return;
      if (!record) {
        if (w.last) this.deleted(draftId, w.last);
        return;
      }
      if (!w.mark) {
        // The first read: what the watchers start from (they were told nothing of it).
        w.mark = markOf(record);
        w.last = draftView(record);
        return;
      }
      this.observe(draftId, record, 'changed');
    } catch {
      // A failed read is tried again at the next tick.
    } finally {
      w.polling = false;
    }
  }
}

/** What makes `req` no commit request (DraftControl is called without the API's schema too). */
function commitRequestProblems(req: DraftCommitRequest): Problem[] {
  const r = req as { as?: unknown; version?: unknown; runId?: unknown; rationale?: unknown };
  const out: Problem[] = [];
  const string = (field: 'version' | 'runId' | 'rationale', required: boolean) => {
    const v = r[field];
    if (v === undefined ? required : typeof v !== 'string' || v.length === 0) {
      out.push({ code: 'SCHEMA', path: `/${field}`, message: 'must be a non-empty string' });
    }
  };
  if (r.as === 'version') string('version', false);
  else if (r.as === 'patch') {
    string('runId', true);
    string('rationale', false);
  } else {
    out.push({ code: 'SCHEMA', path: '/as', message: "must be 'version' or 'patch'" });
  }
  return out;
}

function conflict(draftId: string, expected: number, revision: number): AobError {
  return new AobError(
    'DRAFT_CONFLICT',
    `draft ${draftId} is at revision ${revision}, not ${expected}: read it again and make the change on what it is now`,
    { details: { revision } },
  );
}

/** Problems of a definition given in a request, with their paths under it. */
function under(prefix: string, problems: readonly Problem[]): Problem[] {
  return problems.map((p) => ({ ...p, path: `${prefix}${p.path}` }));
}

export function draftView(r: DraftRecord): DraftView {
  return {
    draftId: r.draftId,
    namespace: r.namespace,
    ...(r.title !== undefined ? { title: r.title } : {}),
    ...(r.base !== undefined ? { base: r.base } : {}),
    definition: r.definition as Record<string, unknown>,
    revision: r.revision,
    problems: checkDraftDefinition(r.definition).problems,
    ...(r.focus !== undefined ? { focus: r.focus } : {}),
    createdBy: r.createdBy,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    commits: r.commits,
    ...(r.lastChange !== undefined ? { lastChange: r.lastChange } : {}),
  };
}

function changeView(c: DraftChangeRecord): DraftChange {
  return {
    seq: c.seq,
    kind: c.kind,
    by: c.by,
    at: c.at,
    ops: c.ops,
    ...(c.undoes !== undefined ? { undoes: c.undoes } : {}),
  };
}
