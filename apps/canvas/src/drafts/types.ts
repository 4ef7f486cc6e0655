// A draft as the API shows it (issue 16: a workflow definition being edited on the server, every
// change a JSON Patch with its author, validated as applied, undoable, with a live feed).
import type { Problem } from '@aob/core';
import type { EditorDefinition } from '../editor/definition.js';

/** Who made a change: the API names a principal as a string ("claude (agent)"); an object with
 * its subject and role is read too. */
export type Author = string | { subject: string; role?: string };

/** When: the API's times are epoch milliseconds (an ISO string is read as well). */
export type When = number | string;

/** A registered version: `{name, version}` (a `name@version` string is read too). */
export type DraftBase = { name: string; version: string } | string;

export interface DraftChangeMark {
  seq: number;
  by: Author;
  kind: string;
  at: When;
}

export interface DraftFocus {
  nodes: string[];
  by: Author;
  at: When;
}

export interface DraftCommitMark {
  as: 'version' | 'patch';
  workflow?: string;
  runId?: string;
  patchId?: string;
  by?: Author;
  at?: When;
  [field: string]: unknown;
}

export interface DraftView {
  draftId: string;
  namespace: string;
  title?: string;
  /** The registered workflow it started from. */
  base?: DraftBase;
  definition: EditorDefinition;
  revision: number;
  /** What keeps it from being registered yet (the validator's findings). */
  problems: Problem[];
  focus?: DraftFocus;
  createdBy: Author;
  createdAt: When;
  updatedAt: When;
  commits: DraftCommitMark[];
  lastChange?: DraftChangeMark;
}

export interface DraftSummary {
  draftId: string;
  title?: string;
  base?: DraftBase;
  revision: number;
  createdBy?: Author;
  createdAt?: When;
  updatedAt?: When;
  lastChange?: DraftChangeMark;
  /** How many problems it has (or the list). */
  problems?: number | Problem[];
}

export interface DraftChange {
  seq: number;
  by: Author;
  kind: string;
  ops: JsonPatchOp[];
  at: When;
  /** The seq of the change this one undid. */
  undoes?: number;
}

export interface JsonPatchOp {
  op: string;
  path: string;
  value?: unknown;
  from?: string;
}

export interface DraftFeedEvent {
  kind: 'changed' | 'focused' | 'committed' | 'deleted';
  revision: number;
  draft: DraftView;
}

export type DraftCommitRequest =
  { as: 'version' } | { as: 'patch'; runId: string; rationale?: string };
