// ABI tests with hostile modules, written as WebAssembly text (compiled here by wabt): each is
// refused before it runs or stopped while it runs, with its named error code, and the graph it
// was given comes back unchanged. Needs the package built (the sandbox worker is dist/).
import type { WorkflowDefinition } from '@aob/core';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import wabtInit from 'wabt';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from './abi.js';
import { optimize } from './optimize.js';
import { availablePasses, choosePasses } from './passes.js';

let wat: (text: string) => Uint8Array;
const dir = mkdtempSync(join(tmpdir(), 'aob-optimizer-'));

beforeAll(async () => {
  const wabt = await wabtInit();
  wat = (text) => wabt.parseWat('pass.wat', text).toBinary({}).buffer;
});

const workflow: WorkflowDefinition = {
  name: 'w',
  version: '1',
  nodes: [
    { id: 'a', type: 'transform', with: { value: 1 } },
    { id: 'b', type: 'transform', with: { value: '{% nodes.a.output + 1 %}' } },
  ],
  edges: [{ from: 'a', to: 'b' }],
};

/** A user pass: the module written to `<name>.wasm` and named in the settings' way. */
function userPass(name: string, bytes: Uint8Array) {
  const path = join(dir, `${name}.wasm`);
  writeFileSync(path, bytes);
  return choosePasses(availablePasses([path]), [name]);
}

/** A module exporting memory (up to `max` pages), alloc, and `optimize` with the given body. */
const pass = (body: string, extra = '', max = 16) => `(module
  ${extra}
  (memory (export "memory") 1 ${max})
  (func (export "alloc") (param i32) (result i32) (i32.const 4096))
  (func (export "optimize") (param i32 i32) (result i64) ${body}))`;

/** Answer `text` from a data segment at offset 16. */
const answering = (text: string) =>
  pass(
    `(i64.or (i64.shl (i64.const 16) (i64.const 32)) (i64.const ${Buffer.byteLength(text)}))`,
    `(data (i32.const 16) "${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}")`,
  );

async function run(name: string, bytes: Uint8Array, limits = {}) {
  const report = await optimize({ definition: workflow, passes: userPass(name, bytes), limits });
  expect(report.definition).toEqual(workflow); // never changes the graph
  return report;
}

describe('hostile passes', () => {
  it('an infinite loop is stopped at the time limit: OPTIMIZER_TIMEOUT', async () => {
    const started = Date.now();
    const report = await run('spin', wat(pass('(loop $l (br $l)) (i64.const 0)')), {
      timeoutMs: 500,
    });
    expect(report.passes[0]!.error).toMatchObject({ code: 'OPTIMIZER_TIMEOUT' });
    expect(report.passes[0]!.error!.message).toContain('still running after 500 ms');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('a memory.grow bomb stops at the limit: OPTIMIZER_MEMORY_LIMIT', async () => {
    const bomb = `(loop $l (br_if $l (i32.ne (memory.grow (i32.const 1)) (i32.const -1)))) unreachable`;
    const report = await run('bomb', wat(pass(bomb, '', 32)), { maxPages: 32 });
    expect(report.passes[0]!.error).toMatchObject({ code: 'OPTIMIZER_MEMORY_LIMIT' });
  });

  it('an imported memory is given the limit as its maximum, whatever the module declares', async () => {
    const bytes = wat(`(module
      (import "env" "memory" (memory 1))
      (func (export "alloc") (param i32) (result i32) (i32.const 4096))
      (func (export "optimize") (param i32 i32) (result i64)
        (loop $l (br_if $l (i32.ne (memory.grow (i32.const 1)) (i32.const -1)))) unreachable))`);
    const report = await run('imported-bomb', bytes, { maxPages: 8 });
    expect(report.passes[0]!.error).toMatchObject({ code: 'OPTIMIZER_MEMORY_LIMIT' });
    expect(report.passes[0]!.error!.message).toContain('8 pages');
  });

  it('declaring more memory than the limit, or no maximum, is refused before it runs', async () => {
    const big = await run('big', wat(pass('(i64.const 0)', '', 1000)));
    expect(big.passes[0]!.error).toMatchObject({ code: 'OPTIMIZER_MEMORY_LIMIT' });
    expect(big.passes[0]!.error!.message).toContain('up to 1000 pages');
    const open = await run(
      'open',
      wat(`(module (memory (export "memory") 1)
        (func (export "alloc") (param i32) (result i32) (i32.const 0))
        (func (export "optimize") (param i32 i32) (result i64) (i64.const 0)))`),
    );
    expect(open.passes[0]!.error).toMatchObject({ code: 'OPTIMIZER_MEMORY_LIMIT' });
    expect(open.passes[0]!.error!.message).toContain('without a maximum');
  });

  it('a module importing env.fetch is refused: OPTIMIZER_FORBIDDEN_IMPORT', async () => {
    const bytes = wat(
      pass('(i64.const 0)', '(import "env" "fetch" (func (param i32) (result i32)))'),
    );
    const report = await run('fetcher', bytes);
    expect(report.passes[0]!.error).toMatchObject({ code: 'OPTIMIZER_FORBIDDEN_IMPORT' });
    expect(report.passes[0]!.error!.message).toContain('env.fetch (function)');
  });

  it('garbage bytes are refused: OPTIMIZER_BAD_MODULE', async () => {
    const report = await run('garbage', new TextEncoder().encode('definitely not wasm'));
    expect(report.passes[0]!.error).toMatchObject({ code: 'OPTIMIZER_BAD_MODULE' });
  });

  it('a module without the ABI exports is refused, naming each missing one', async () => {
    const report = await run('bare', wat('(module (memory (export "memory") 1 1))'));
    expect(report.passes[0]!.error).toMatchObject({ code: 'OPTIMIZER_BAD_MODULE' });
    expect(report.passes[0]!.error!.message).toContain('alloc (function), optimize (function)');
  });

  it('an answer that is not JSON is refused: OPTIMIZER_BAD_OUTPUT', async () => {
    const report = await run('prose', wat(answering('not json at all')));
    expect(report.passes[0]!.error).toMatchObject({ code: 'OPTIMIZER_BAD_OUTPUT' });
    expect(report.passes[0]!.error!.message).toContain('not JSON');
  });

  it('JSON of the wrong shape is refused, naming every problem', async () => {
    const report = await run('shapeless', wat(answering('[{"patch":[]},7]')));
    const error = report.passes[0]!.error!;
    expect(error.code).toBe('OPTIMIZER_BAD_OUTPUT');
    expect(error.message).toContain('/0/patch: must be a non-empty array');
    expect(error.message).toContain('/0/rationale: must be a non-empty string');
    expect(error.message).toContain('/1: must be an object');
  });

  it('an answer pointing outside memory is refused', async () => {
    const report = await run('wild', wat(pass('(i64.const 0x7fff000000000010)')));
    expect(report.passes[0]!.error).toMatchObject({ code: 'OPTIMIZER_BAD_OUTPUT' });
  });

  it('a trap, and env.abort, are OPTIMIZER_TRAP', async () => {
    const trap = await run('trap', wat(pass('unreachable')));
    expect(trap.passes[0]!.error).toMatchObject({ code: 'OPTIMIZER_TRAP' });
    const abort = await run(
      'abort',
      wat(
        pass(
          '(call $abort (i32.const 0) (i32.const 0) (i32.const 7) (i32.const 3)) (i64.const 0)',
          '(import "env" "abort" (func $abort (param i32 i32 i32 i32)))',
        ),
      ),
    );
    expect(abort.passes[0]!.error).toMatchObject({ code: 'OPTIMIZER_TRAP' });
    expect(abort.passes[0]!.error!.message).toContain(':7:3');
  });

  it('a patch that fails validation is a rejected proposal with its violations, not applied', async () => {
    const report = await run(
      'renamer',
      wat(
        answering('[{"patch":[{"op":"replace","path":"/name","value":"x"}],"rationale":"rename"}]'),
      ),
    );
    expect(report.passes[0]!.error).toBeUndefined();
    expect(report.proposals).toHaveLength(1);
    expect(report.proposals[0]).toMatchObject({
      pass: 'renamer',
      author: 'optimizer:renamer',
      status: 'rejected',
      rationale: 'rename',
    });
    expect(report.proposals[0]!.violations.map((v) => v.code)).toContain('FORBIDDEN_PATH');
  });

  it('a user pass that proposes a valid patch is judged like any other (and named after its file)', async () => {
    const text =
      '[{"patch":[{"op":"add","path":"/nodes/0/description","value":"the seed"}],"rationale":"document a"}]';
    const report = await optimize({
      definition: workflow,
      passes: userPass('describer', wat(answering(text))),
    });
    // The same answer again next round changes nothing more: the pass has converged.
    expect(report.proposals).toHaveLength(1);
    expect(report.passes[0]!.rounds).toBe(2);
    expect(report.proposals[0]).toMatchObject({ status: 'applied', author: 'optimizer:describer' });
    expect(report.definition.nodes[0]!.description).toBe('the seed');
  });

  it('the default limits are 16 MiB and 2 s', () => {
    expect(DEFAULT_LIMITS.maxPages * 65_536).toBe(16 * 1024 * 1024);
    expect(DEFAULT_LIMITS.timeoutMs).toBe(2_000);
  });
});
