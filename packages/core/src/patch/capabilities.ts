// What the nodes a patch adds or changes may do: their types must be in the policy's allow-list
// (FORBIDDEN_TYPE — an agent may not add or rewrite a `code` node without a human), and their
// literal http URLs must pass the static SSRF check (SSRF). Nodes the patch leaves as they were
// in the base are not re-judged: whoever wrote the base chose them, and the http executor
// re-checks every URL after DNS resolution at run time anyway. URLs that are expressions cannot be
// judged statically; they are allowed here and left to that run-time check.
import { NodeType } from '../definition/types.js';
import { isExpression } from '../expr/expression.js';
import type { DefView, Finding } from './findings.js';
import { checkUrl } from './ssrf.js';

/** All node types but `code`. */
export const DEFAULT_AGENT_TYPES: readonly NodeType[] = Object.values(NodeType).filter(
  (t) => t !== 'code',
);

const asRecord = (v: unknown): Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/** The literal-or-expression URL strings of a node, with their pointers relative to the node. */
export function urlsOf(node: Record<string, unknown>): { at: string; url: string }[] {
  const out: { at: string; url: string }[] = [];
  const config = asRecord(node['with']);
  if (node['type'] === 'http' && typeof config['url'] === 'string') {
    out.push({ at: '/with/url', url: config['url'] });
  }
  const body = asRecord(config['body']);
  const bodyConfig = asRecord(body['with']);
  if (node['type'] === 'map' && body['type'] === 'http' && typeof bodyConfig['url'] === 'string') {
    out.push({ at: '/with/body/with/url', url: bodyConfig['url'] });
  }
  return out;
}

export function capabilityFindings(
  base: DefView,
  doc: DefView,
  allowTypes: readonly string[],
): Finding[] {
  const out: Finding[] = [];
  const before = base.nodes;
  for (const [id, now] of doc.nodes) {
    const was = before.get(id);
    if (was && was.canonical === now.canonical) continue;
    const at = `/nodes/${now.index}`;
    const what = was ? 'changed' : 'added';
    const type = now.raw['type'];
    if (typeof type === 'string' && !allowTypes.includes(type)) {
      out.push({
        key: `type:${id}`,
        code: 'FORBIDDEN_TYPE',
        message: `node '${id}' (${what}) has type '${type}', which this author may not add or change (allowed: ${allowTypes.join(', ')})`,
        at: `${at}/type`,
      });
    }
    const bodyType = asRecord(asRecord(now.raw['with'])['body'])['type'];
    if (type === 'map' && typeof bodyType === 'string' && !allowTypes.includes(bodyType)) {
      out.push({
        key: `body-type:${id}`,
        code: 'FORBIDDEN_TYPE',
        message: `the body of map node '${id}' (${what}) has type '${bodyType}', which this author may not add or change`,
        at: `${at}/with/body/type`,
      });
    }
    const oldUrls = new Map(was ? urlsOf(was.raw).map((u) => [u.at, u.url]) : []);
    for (const { at: rel, url } of urlsOf(now.raw)) {
      if (oldUrls.get(rel) === url || isExpression(url)) continue;
      const verdict = checkUrl(url);
      if (!verdict.ok) {
        out.push({
          key: `ssrf:${id}:${rel}`,
          code: 'SSRF',
          message: `node '${id}': ${verdict.message}`,
          at: `${at}${rel}`,
        });
      }
    }
  }
  return out;
}

/**
 * The URLs of added or changed nodes that are expressions: allowed, but only the http executor can
 * judge them, after evaluating them and resolving the host (and again on every redirect).
 */
export function runtimeChecked(base: DefView, doc: DefView): { at: string; message: string }[] {
  const out: { at: string; message: string }[] = [];
  for (const [id, now] of doc.nodes) {
    const was = base.nodes.get(id);
    if (was && was.canonical === now.canonical) continue;
    const oldUrls = new Map(was ? urlsOf(was.raw).map((u) => [u.at, u.url]) : []);
    for (const { at, url } of urlsOf(now.raw)) {
      if (oldUrls.get(at) === url || !isExpression(url)) continue;
      out.push({
        at: `/nodes/${now.index}${at}`,
        message: `node '${id}': the URL is an expression, so it is checked for SSRF at run time (after evaluation, DNS resolution and on every redirect), not here`,
      });
    }
  }
  return out;
}
