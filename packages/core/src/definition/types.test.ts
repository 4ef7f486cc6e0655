// The hand-written definition types and the ones generated from schemas/workflow.schema.json must
// agree. The assertions are types: `tsc` (npm run typecheck) fails when they drift apart.
import { describe, expect, it } from 'vitest';
import type * as Gen from '../generated/workflow.js';
import type { Budget } from '../run/budget.js';
import type {
  Defaults,
  EdgeDefinition,
  Limits,
  MapBody,
  MapBodyType,
  NodeDefinition,
  NodeType,
  Priority,
  RetryPolicy,
  WorkflowDefinition,
  WorkflowPatchPolicy,
} from './types.js';
import {
  MapBodyType as MapBodyTypes,
  NodeType as NodeTypes,
  Priority as Priorities,
} from './types.js';

/** Keys that must be present. */
type RequiredKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? never : K }[keyof T];
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/** Mutually assignable, with the same keys and the same required keys. */
type Agree<A, B> =
  Same<A, B> extends true
    ? Same<keyof A, keyof B> extends true
      ? Same<RequiredKeys<A>, RequiredKeys<B>>
      : false
    : false;
const agree = <T extends true>(): T | undefined => undefined;

describe('definition types agree with the schema', () => {
  it('type-checks (the assertions are compile-time)', () => {
    agree<Agree<WorkflowDefinition, Gen.WorkflowDefinition>>();
    agree<Agree<NodeDefinition, Gen.NodeDefinition>>();
    agree<Agree<EdgeDefinition, Gen.EdgeDefinition>>();
    agree<Agree<MapBody, Gen.MapBody>>();
    agree<Agree<Defaults, Gen.Defaults>>();
    agree<Agree<Limits, Gen.Limits>>();
    agree<Agree<WorkflowPatchPolicy, Gen.WorkflowPatchPolicy>>();
    agree<Agree<Budget, Gen.Budget>>();
    agree<Agree<Partial<RetryPolicy>, Gen.RetryOptions>>();
    agree<Same<NodeType, Gen.NodeType>>();
    agree<Same<MapBodyType, Gen.BodyType>>();
    agree<Same<Priority, Gen.Priority>>();
    // @ts-expect-error a negative control: the helper does catch a difference
    agree<Agree<NodeDefinition, Omit<Gen.NodeDefinition, 'description'>>>();
    expect(true).toBe(true);
  });

  it('has const objects listing exactly the schema enums', async () => {
    const { workflowSchema } = await import('../generated/schemas.js');
    expect(Object.values(NodeTypes)).toEqual(workflowSchema.$defs.nodeType.enum);
    expect(Object.values(MapBodyTypes)).toEqual(workflowSchema.$defs.bodyType.enum);
    expect(Object.values(Priorities)).toEqual(workflowSchema.$defs.priority.enum);
  });
});
