// How every shell finds workflows: `name[@version]` refs, IRs loaded from the content store by
// hash (cached: content never changes), and registered workflows resolved to their IR.
import type { IR } from '@aob/core';
import { AobError, compileCached } from '@aob/core';
import type { ContentStore, WorkflowRegistry } from '@aob/store';

/** `name@version` → [name, version]; `name` → [name, undefined]. */
export function splitRef(ref: string): [string, string | undefined] {
  const at = ref.lastIndexOf('@');
  return at > 0 ? [ref.slice(0, at), ref.slice(at + 1)] : [ref, undefined];
}

/** Loads the IR a run pins, by hash: read from the content store once, then cached. */
export function irLoader(content: ContentStore): (irHash: string) => Promise<IR> {
  const cache = new Map<string, IR>();
  return async (irHash) => {
    const hit = cache.get(irHash);
    if (hit) return hit;
    const def = await content.get({ $cas: irHash as `sha256:${string}`, size: 0 });
    const ir = compileCached(def);
    cache.set(irHash, ir);
    return ir;
  };
}

/** A registered workflow `name[@version]` (the newest version for a bare name), as an IR. */
export function workflowResolver(
  events: WorkflowRegistry,
  loadIr: (irHash: string) => Promise<IR>,
): (ref: string) => Promise<IR> {
  return async (ref) => {
    const [name, version] = splitRef(ref);
    const rec = await events.getWorkflow(name, version);
    if (!rec) {
      throw new AobError(
        'WORKFLOW_NOT_FOUND',
        `no registered workflow ${ref} (register it with: aob workflow register <file>)`,
      );
    }
    return loadIr(rec.irHash);
  };
}
