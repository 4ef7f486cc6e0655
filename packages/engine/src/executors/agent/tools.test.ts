import { describe, expect, it } from 'vitest';
import type { NodeJob } from '@aob/core';
import type { AgentHost, ExecutorContext, PatchOutcome } from '../types.js';
import { buildAgentTools } from './tools.js';
import type { AgentTool } from './tools.js';

const silent = { info() {}, warn() {}, error() {} };
const signal = new AbortController().signal;

const job: NodeJob = {
  runId: 'run-1',
  nodeId: 'planner',
  attempt: 2,
  irHash: 'h',
  type: 'agent',
  config: {},
  input: null,
  inputRef: { $cas: 'sha256:00', size: 0 },
  timeoutMs: 30_000,
  priority: 'medium',
  idempotencyKey: 'run-1:planner',
};
const ctx: ExecutorContext = {
  runId: 'run-1',
  nodeId: 'planner',
  attempt: 2,
  idempotencyKey: 'run-1:planner',
  signal,
  log: silent,
  options: { handlers: {}, allowPrivateNetwork: false },
};

/** A host whose IR moves on with every applied proposal, and that records what it was asked. */
function host(irHashes: string[]) {
  const proposals: Array<Parameters<AgentHost['proposePatch']>[0]> = [];
  let current = 0;
  const h: AgentHost = {
    graph: async () => ({
      runId: 'run-1',
      irHash: irHashes[current] ?? 'none',
      definition: { name: 'w', version: '1', nodes: [] },
      nodes: {},
    }),
    nodeOutput: async () => null,
    proposePatch: async (p): Promise<PatchOutcome> => {
      proposals.push(p);
      current++;
      return {
        patchId: `p${proposals.length}`,
        status: 'applied',
        violations: [],
        irHash: irHashes[current] ?? 'none',
      };
    },
  };
  return { h, proposals };
}

const byName = (tools: AgentTool[], name: string): AgentTool => {
  const t = tools.find((x) => x.name === name);
  if (!t) throw new Error(`no tool ${name}`);
  return t;
};

describe('agent tools', () => {
  it('propose against the IR of the last get_graph, or of the last applied proposal', async () => {
    const { h, proposals } = host(['sha256:a', 'sha256:b', 'sha256:c']);
    const set = buildAgentTools(job, ctx, h, []);
    const propose = byName(set.tools, 'propose_patch');
    await propose.run({ ops: [] }, signal);
    await byName(set.tools, 'get_graph').run({}, signal);
    await propose.run({ ops: [], rationale: 'r' }, signal);
    await propose.run({ ops: [] }, signal);
    expect(proposals).toEqual([
      { ops: [], author: 'agent:planner' },
      { ops: [], author: 'agent:planner', rationale: 'r', baseIrHash: 'sha256:b' },
      { ops: [], author: 'agent:planner', baseIrHash: 'sha256:c' },
    ]);
    expect(set.patches()).toEqual([
      { patchId: 'p1', status: 'applied' },
      { patchId: 'p2', status: 'applied' },
      { patchId: 'p3', status: 'applied' },
    ]);
  });

  it('offers only the graph tools and the granted node types', () => {
    const names = (grants: Parameters<typeof buildAgentTools>[3]) =>
      buildAgentTools(job, ctx, host([]).h, grants).tools.map((t) => t.name);
    expect(names([])).toEqual(['get_graph', 'get_node_output', 'propose_patch']);
    expect(names(['search', 'fs'])).toEqual([
      'get_graph',
      'get_node_output',
      'propose_patch',
      'search',
      'fs',
    ]);
  });

  it('answers a failing tool with its error instead of throwing', async () => {
    const set = buildAgentTools(job, ctx, host([]).h, ['search', 'fs']);
    expect(await byName(set.tools, 'search').run({ query: 'x' }, signal)).toMatchObject({
      error: { code: 'SEARCH_NOT_CONFIGURED' },
    });
    expect(await byName(set.tools, 'fs').run({ op: 'read', path: 'a' }, signal)).toMatchObject({
      error: { code: 'FS_NO_WORKSPACE' },
    });
    expect(await byName(set.tools, 'get_node_output').run({}, signal)).toEqual({
      error: { code: 'BAD_ARGUMENTS', message: 'nodeId must be a string' },
    });
    expect(await byName(set.tools, 'get_node_output').run('nodeId', signal)).toMatchObject({
      error: { code: 'BAD_ARGUMENTS' },
    });
  });

  it('runs a granted code tool in the sandbox with its input, never with network', async () => {
    const set = buildAgentTools(job, ctx, host([]).h, ['code']);
    const code = byName(set.tools, 'code');
    expect(Object.keys(code.parameters.properties)).not.toContain('network');
    const out = await code.run(
      {
        language: 'javascript',
        source: `let net;
          try { require('node:net').connect(1, '127.0.0.1').on('error', () => {}); net = 'open'; }
          catch (e) { net = e.message; }
          return { doubled: input.n * 2, net };`,
        input: { n: 21 },
        network: true,
      },
      signal,
    );
    expect(out).toMatchObject({
      result: { doubled: 42, net: expect.stringMatching(/network access is disabled/) as string },
    });
  });

  it('rethrows once the signal has aborted: the run is over', async () => {
    const controller = new AbortController();
    const set = buildAgentTools(job, ctx, host([]).h, ['search']);
    controller.abort();
    await expect(
      byName(set.tools, 'search').run({ query: 'x' }, controller.signal),
    ).rejects.toBeDefined();
  });
});
