// A draft as the canvas reads it: @aob/client's views (issue 16 §3: a workflow definition being
// edited on the server, every change a JSON Patch with its author, validated as applied,
// undoable, with a live feed), with the definition in the editor's shape.
import type {
  DraftChange as ApiDraftChange,
  DraftFeedEvent as ApiDraftFeedEvent,
  DraftView as ApiDraftView,
} from '@aob/client';
import type { EditorDefinition } from '../editor/definition.js';

export type { DraftCommitRequest, DraftCommitResult } from '@aob/client';

/** Who made a change: "ann", or "claude (agent)" when an agent named itself. */
export type Author = string | { subject: string; role?: string };

/** When: epoch milliseconds (an ISO string is read as well). */
export type When = number | string;

/** A registered version: `{name, version}` (a `name@version` string is read too). */
export type DraftBase = { name: string; version: string } | string;

export interface JsonPatchOp {
  op: string;
  path: string;
  value?: unknown;
  from?: string;
}

export type DraftView = Omit<ApiDraftView, 'definition'> & { definition: EditorDefinition };

/** A draft in the list (the list's items are drafts; only these fields are relied on). */
export type DraftSummary = Pick<DraftView, 'draftId' | 'revision'> &
  Partial<
    Pick<
      DraftView,
      'title' | 'base' | 'definition' | 'createdBy' | 'createdAt' | 'updatedAt' | 'lastChange'
    >
  > & {
    problems?: unknown[] | number;
  };

export type DraftChange = Omit<ApiDraftChange, 'ops'> & { ops: JsonPatchOp[] };

export type DraftFeedEvent = Omit<ApiDraftFeedEvent, 'draft'> & { draft: DraftView };
