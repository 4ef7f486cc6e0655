// Workflow-scope patches (ARCHITECTURE §4): a patch to a registered workflow makes a new version of it,
// `<root>.p<n>` (v3 + p1 + p2 = 3.p2), so runs can be started on a chosen patch set, compared with
// runs on another, and the set rolled back. A workflow's patched versions form one line per root
// version: a patch applies to the newest version of its line only, and only the newest patch of a
// line is reverted (which retires its version: `name` resolves to the one before again).
import jsonpatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import type { Problem, WorkflowDefinition } from '@aob/core';
import {
  AobError,
  assertPatchDocument,
  compileCached,
  judgePatch,
  proposalPolicy,
  REVIEWED_POLICY,
  reviewRefusal,
  validatePatch,
} from '@aob/core';
import type { PatchPolicy } from '@aob/core';
import type {
  ContentStore,
  WorkflowPatchRecord,
  WorkflowPatchStore,
  WorkflowRecord,
  WorkflowRegistry,
} from '@aob/store';
import type { PatchView } from './patches.js';
import { splitRef } from '../workflows.js';

export interface WorkflowPatchesDeps {
  store: WorkflowRegistry & WorkflowPatchStore;
  content: ContentStore;
  now: () => number;
  newPatchId: () => string;
}

export class WorkflowPatches {
  constructor(private readonly deps: WorkflowPatchesDeps) {}

  /**
   * Judges a patch against the newest version of the workflow `ref` names: applied, it registers
   * the next version; held, it waits for a reviewer; rejected, every violation is recorded. Every
   * verdict is kept (an audit trail, as a run keeps its PatchRejected events).
   */
  async propose(
    ref: string,
    patch: unknown,
    opts: { author: string; rationale?: string },
  ): Promise<PatchView> {
    const base = await this.resolve(ref);
    const head = await this.headOf(base);
    const definition = await this.definitionOf(base);
    const given = Array.isArray(patch)
      ? { ops: patch }
      : ((patch ?? {}) as Record<string, unknown>);
    const doc: Record<string, unknown> = {
      scope: 'workflow',
      target: `${base.name}@${base.version}`,
      baseIrHash: base.irHash,
      ...(opts.rationale !== undefined ? { rationale: opts.rationale } : {}),
      ...given,
      // Ours, never the document's: the id (a chosen one could shadow another patch) and the
      // proposer's identity (a reviewer must not pass their own patch off as someone else's).
      patchId: this.deps.newPatchId(),
      author: opts.author,
    };
    assertPatchDocument(doc);
    const patchId = String(doc.patchId);
    if (await this.deps.store.getWorkflowPatch(patchId)) {
      throw new AobError('PATCH_EXISTS', `there is already a patch ${patchId}`);
    }
    const author = opts.author;
    const policy = definition.patchPolicy;
    const { verdict, extra } = await this.judge(base, head, definition, doc, author, {
      ...proposalPolicy(policy),
    });
    const judgement =
      extra.length > 0
        ? { status: 'rejected' as const, violations: [...verdict.violations, ...extra] }
        : judgePatch(verdict, policy);
    const record: WorkflowPatchRecord = {
      patchId,
      workflow: base.name,
      baseVersion: base.version,
      status: judgement.status,
      author,
      ...(typeof doc.rationale === 'string' ? { rationale: doc.rationale } : {}),
      ops: Array.isArray(doc.ops) ? (doc.ops as unknown[]) : [],
      violations: judgement.status === 'rejected' ? judgement.violations : [],
      ...(judgement.status === 'held' ? { reasons: judgement.reasons } : {}),
      baseIrHash: base.irHash,
      proposedAt: this.deps.now(),
    };
    if (judgement.status === 'applied') {
      await this.register(record, base, verdict.materialized!);
    }
    if (!(await this.deps.store.putWorkflowPatch(record, null))) {
      throw new AobError('PATCH_EXISTS', `there is already a patch ${patchId}`);
    }
    return toView(record, judgement.status === 'held' ? policy?.reviewers : undefined);
  }

  /** A reviewer decides a held patch; approval judges it again against the line's newest version. */
  async review(
    patchId: string,
    decision: 'approved' | 'rejected',
    by: string,
    reason?: string,
  ): Promise<PatchView> {
    const record = await this.get(patchId);
    if (record.status !== 'held') {
      throw new AobError('PATCH_NOT_HELD', `patch ${patchId} is ${record.status}, not held`);
    }
    const base = await this.resolve(`${record.workflow}@${record.baseVersion}`);
    const definition = await this.definitionOf(base);
    const reviewers = definition.patchPolicy?.reviewers;
    const refusal = reviewRefusal({ ...record, ...(reviewers ? { reviewers } : {}) }, by);
    if (refusal) throw new AobError('NOT_A_REVIEWER', refusal);
    const decided: WorkflowPatchRecord = {
      ...record,
      decidedAt: this.deps.now(),
      decidedBy: by,
      ...(reason !== undefined ? { reason } : {}),
    };
    delete decided.reasons;
    if (decision === 'rejected') {
      decided.status = 'rejected';
    } else {
      const head = await this.headOf(base);
      const doc = {
        patchId,
        scope: 'workflow',
        target: `${base.name}@${base.version}`,
        baseIrHash: record.baseIrHash,
        ops: record.ops,
        author: record.author,
      };
      const { verdict, extra } = await this.judge(
        base,
        head,
        definition,
        doc,
        record.author,
        REVIEWED_POLICY,
      );
      const violations = [...verdict.violations, ...extra];
      if (violations.length > 0 || !verdict.materialized) {
        decided.status = 'rejected';
        decided.violations = violations;
      } else {
        decided.status = 'applied';
        await this.register(decided, base, verdict.materialized);
      }
    }
    if (!(await this.deps.store.putWorkflowPatch(decided, 'held'))) {
      throw new AobError('PATCH_RACE', `patch ${patchId} was decided by someone else meanwhile`, {
        retryable: true,
      });
    }
    return toView(decided);
  }

  /** Rolls back the newest patch of a line: its version is retired, `name` resolves to the one before. */
  async revert(patchId: string, by: string, reason?: string): Promise<PatchView> {
    const record = await this.get(patchId);
    if (record.status !== 'applied' || record.version === undefined) {
      throw new AobError('PATCH_NOT_APPLIED', `patch ${patchId} is ${record.status}, not applied`);
    }
    const later = (await this.deps.store.listWorkflowPatches(record.workflow)).filter(
      (p) => p.status === 'applied' && p.baseVersion === record.version,
    );
    if (later.length > 0) {
      throw new AobError(
        'PATCH_NOT_NEWEST',
        `patch ${patchId} (${record.workflow}@${record.version}) has later patches on top: revert ${later.map((p) => p.patchId).join(', ')} first`,
      );
    }
    const reverted: WorkflowPatchRecord = {
      ...record,
      status: 'reverted',
      decidedAt: this.deps.now(),
      decidedBy: by,
      ...(reason !== undefined ? { reason } : {}),
    };
    if (!(await this.deps.store.putWorkflowPatch(reverted, 'applied'))) {
      throw new AobError('PATCH_RACE', `patch ${patchId} changed meanwhile; try again`, {
        retryable: true,
      });
    }
    await this.deps.store.retireWorkflow(record.workflow, record.version, this.deps.now());
    return toView(reverted);
  }

  async list(workflow?: string): Promise<PatchView[]> {
    return (await this.deps.store.listWorkflowPatches(workflow)).map((r) => toView(r));
  }

  async find(patchId: string): Promise<PatchView | undefined> {
    const record = await this.deps.store.getWorkflowPatch(patchId);
    return record ? toView(record) : undefined;
  }

  /**
   * The definition of `ref` with the given patches applied in order (for comparing patch sets),
   * or — without patch ids — the version `ref` names as registered (its patch set included).
   */
  async materialize(ref: string, patchIds?: readonly string[]): Promise<WorkflowDefinition> {
    const base = await this.resolve(ref);
    let definition = await this.definitionOf(base);
    if (!patchIds || patchIds.length === 0) return definition;
    const problems: Problem[] = [];
    for (const id of patchIds) {
      const record = await this.get(id);
      if (record.workflow !== base.name) {
        throw new AobError(
          'PATCH_OTHER_WORKFLOW',
          `patch ${id} belongs to workflow ${record.workflow}, not ${base.name}`,
        );
      }
      try {
        definition = jsonpatch.applyPatch(
          jsonpatch.deepClone(definition) as WorkflowDefinition,
          record.ops as Operation[],
          true,
          false,
        ).newDocument;
      } catch (err) {
        problems.push({
          code: 'SCHEMA',
          path: `/patches/${id}`,
          message: `patch ${id} does not apply here: ${(err as Error).message}`,
        });
      }
    }
    if (problems.length > 0) {
      throw new AobError('PATCH_SET_INVALID', problems.map((p) => p.message).join('; '), {
        details: { problems },
      });
    }
    return definition;
  }

  // ---- internals ------------------------------------------------------------------------

  private async get(patchId: string): Promise<WorkflowPatchRecord> {
    const record = await this.deps.store.getWorkflowPatch(patchId);
    if (!record) {
      throw new AobError('PATCH_NOT_FOUND', `no patch ${patchId} (list them with: aob patch list)`);
    }
    return record;
  }

  private async resolve(ref: string): Promise<WorkflowRecord> {
    const [name, version] = splitRef(ref);
    const record = await this.deps.store.getWorkflow(name, version);
    if (!record) {
      throw new AobError(
        'WORKFLOW_NOT_FOUND',
        `no registered workflow ${ref} (register it with: aob workflow register <file>)`,
      );
    }
    return record;
  }

  private async definitionOf(record: WorkflowRecord): Promise<WorkflowDefinition> {
    return (await this.deps.content.get({
      $cas: record.irHash as `sha256:${string}`,
      size: 0,
    })) as WorkflowDefinition;
  }

  /** The newest version of `record`'s line: follows applied patches made on top of it. */
  private async headOf(record: WorkflowRecord): Promise<string> {
    const patches = (await this.deps.store.listWorkflowPatches(record.name)).filter(
      (p) => p.status === 'applied',
    );
    let version = record.version;
    for (;;) {
      const next = patches.find((p) => p.baseVersion === version);
      if (!next?.version) return version;
      version = next.version;
    }
  }

  /** The applied patches that made `version`, oldest first (empty for a root version). */
  private async lineOf(name: string, version: string): Promise<WorkflowPatchRecord[]> {
    const patches = (await this.deps.store.listWorkflowPatches(name)).filter(
      (p) => p.status === 'applied',
    );
    const line: WorkflowPatchRecord[] = [];
    let at = version;
    for (;;) {
      const made = patches.find((p) => p.version === at);
      if (!made) return line.reverse();
      line.push(made);
      at = made.baseVersion;
    }
  }

  private async judge(
    base: WorkflowRecord,
    head: string,
    definition: WorkflowDefinition,
    doc: Record<string, unknown>,
    author: string,
    policy: PatchPolicy,
  ) {
    const line = await this.lineOf(base.name, base.version);
    let spawned = 0;
    for (const p of line.filter((q) => q.author === author)) {
      const [before, after] = await Promise.all(
        [p.baseIrHash, p.irHash!].map((h) =>
          this.deps.content.get({ $cas: h as `sha256:${string}`, size: 0 }),
        ),
      );
      const had = new Set((before as WorkflowDefinition).nodes.map((n) => n.id));
      spawned += (after as WorkflowDefinition).nodes.filter((n) => !had.has(n.id)).length;
    }
    const verdict = validatePatch({
      patch: doc,
      base: definition,
      baseIrHash: base.irHash,
      appliedPatches: line.length,
      spawnedByAuthor: spawned,
      policy,
    });
    const extra: Problem[] = [];
    if (doc.scope !== 'workflow') {
      extra.push({
        code: 'SCHEMA',
        path: '/scope',
        message: `a workflow takes patches of scope "workflow", not "${String(doc.scope)}"`,
      });
    }
    if (doc.target !== `${base.name}@${base.version}` && doc.target !== base.name) {
      extra.push({
        code: 'SCHEMA',
        path: '/target',
        message: `the patch targets ${String(doc.target)}, not ${base.name}@${base.version}`,
      });
    }
    if (head !== base.version) {
      extra.push({
        code: 'STALE_BASE',
        path: '/target',
        message: `${base.name}@${base.version} has patches on top of it; propose against its newest version, ${base.name}@${head}`,
      });
    }
    return { verdict, extra };
  }

  /** Registers the next version of the line: `<root>.p<n>`, n counting every version it ever had. */
  private async register(
    record: WorkflowPatchRecord,
    base: WorkflowRecord,
    materialized: WorkflowDefinition,
  ): Promise<void> {
    const line = await this.lineOf(base.name, base.version);
    const root = line[0]?.baseVersion ?? base.version;
    const made = (await this.deps.store.listWorkflowPatches(base.name)).filter(
      (p) => p.version !== undefined && p.version.startsWith(`${root}.p`),
    ).length;
    const version = `${root}.p${made + 1}`;
    const ir = compileCached({ ...materialized, version });
    await this.deps.content.put(ir.definition);
    // The version first: a crash before the patch record leaves a registered version the patch
    // list does not explain, never a patch that claims a version nobody can start.
    await this.deps.store.putWorkflow({
      name: base.name,
      version,
      irHash: ir.irHash,
      registeredAt: this.deps.now(),
    });
    record.version = version;
    record.irHash = ir.irHash;
  }
}

function toView(r: WorkflowPatchRecord, reviewers?: readonly string[]): PatchView {
  const view: PatchView = {
    patchId: r.patchId,
    scope: 'workflow',
    target: `${r.workflow}@${r.baseVersion}`,
    status: r.status,
    author: r.author,
    ops: r.ops,
    violations: r.violations,
    baseIrHash: r.baseIrHash,
    added: [],
    proposedAt: r.proposedAt,
  };
  if (r.version !== undefined) view.version = r.version;
  if (r.rationale !== undefined) view.rationale = r.rationale;
  if (r.irHash !== undefined) view.irHash = r.irHash;
  if (r.reasons) view.reasons = r.reasons;
  if (reviewers?.length) view.reviewers = [...reviewers];
  if (r.decidedBy !== undefined) view.reviewedBy = r.decidedBy;
  if (r.reason !== undefined) view.reason = r.reason;
  return view;
}
