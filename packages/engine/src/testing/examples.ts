// The repository's examples as the topology tests run them: their definitions, their handlers, the
// subworkflow example's child registered on both engines, and one run compared between the local
// engine and a cluster.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { compileCached } from '@aob/core';
import type { ContentStore, PgEventStore } from '@aob/store';
import { loadHandlers } from '../executors/handlers.js';
import type { TaskHandler } from '../executors/types.js';
import type { LocalEngine } from '../local/local-engine.js';
import type { ClusterClient } from '../cluster/client.js';
import { perNodeEvents } from './per-node.js';

const examples = fileURLToPath(new URL('../../../../examples/', import.meta.url));

/** An example's workflow definition (or another file of its directory). */
export const exampleDefinition = (name: string, file = 'workflow.json'): unknown =>
  JSON.parse(readFileSync(join(examples, name, file), 'utf8')) as unknown;

/** The task handlers of these examples, merged. */
export async function exampleHandlers(
  names: readonly string[],
): Promise<Record<string, TaskHandler>> {
  let handlers: Record<string, TaskHandler> = {};
  for (const name of names) {
    handlers = { ...handlers, ...(await loadHandlers(join(examples, name, 'handlers.mjs'))) };
  }
  return handlers;
}

/** Registers the subworkflow example's child on the cluster's store and on the local engine. */
export async function registerSubworkflowChild(
  content: ContentStore,
  store: PgEventStore,
  local: LocalEngine,
): Promise<void> {
  const child = compileCached(exampleDefinition('subworkflow', 'child.json'));
  await content.put(child.definition);
  await store.putWorkflow({
    name: child.name,
    version: child.version,
    irHash: child.irHash,
    registeredAt: Date.now(),
  });
  await local.control.registerWorkflow(exampleDefinition('subworkflow', 'child.json'));
}

/** Waits for both runs and expects the same status, output, error and per-node events. */
export async function expectSameRun(
  local: LocalEngine,
  localRun: string,
  client: ClusterClient,
  clusterRun: string,
): Promise<void> {
  const a = await local.control.wait(localRun, { timeoutMs: 30_000 });
  const b = await client.wait(clusterRun, { timeoutMs: 30_000 });
  expect(b.status).toBe(a.status);
  expect(b.output).toEqual(a.output);
  expect(b.error).toEqual(a.error);
  expect(perNodeEvents(await client.events(clusterRun))).toEqual(
    perNodeEvents(await local.control.events(localRun)),
  );
}
