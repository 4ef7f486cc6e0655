// The sandbox a pass runs in: one worker thread per call (sandbox.ts terminates it at the time
// limit), one fresh instance of the checked module, the ABI's imports and nothing else. It posts
// exactly one message: { ok: true, text } or { ok: false, code, message }.
import { parentPort, workerData } from 'node:worker_threads';

interface SandboxJob {
  module: WebAssembly.Module;
  memory: { imported: boolean; initial: number; maximum?: number };
  input: string;
  maxPages: number;
  maxOutputBytes: number;
}

const PAGE_BYTES = 65_536;
const job = workerData as SandboxJob;
let memory: WebAssembly.Memory | undefined;
let aborted: string | undefined;

/** An AssemblyScript string (UTF-16LE, its byte length in the 4 bytes before it), bounds-checked. */
function readAsString(ptr: number): string {
  if (!memory || ptr < 4 || ptr > memory.buffer.byteLength) return '';
  const bytes = new Uint32Array(memory.buffer.slice(ptr - 4, ptr))[0]!;
  if (ptr + bytes > memory.buffer.byteLength) return '';
  return Buffer.from(memory.buffer, ptr, bytes & ~1).toString('utf16le');
}

function post(message: { ok: true; text: string } | { ok: false; code: string; message: string }) {
  parentPort!.postMessage(message);
}

function run(): void {
  const env: Record<string, WebAssembly.ImportValue> = {
    abort: (msg: number, file: number, line: number, column: number) => {
      aborted = `${readAsString(msg) || 'abort'} (${readAsString(file) || '?'}:${line}:${column})`;
      throw new Error(aborted);
    },
  };
  if (job.memory.imported) {
    memory = new WebAssembly.Memory({
      initial: job.memory.initial,
      maximum: Math.min(job.memory.maximum ?? job.maxPages, job.maxPages),
    });
    env['memory'] = memory;
  }
  const instance = new WebAssembly.Instance(job.module, { env });
  const exports = instance.exports as {
    alloc: (len: number) => number;
    optimize: (ptr: number, len: number) => bigint | number;
    memory?: WebAssembly.Memory;
  };
  memory ??= exports.memory;
  const input = Buffer.from(job.input, 'utf8');
  const ptr = exports.alloc(input.length) >>> 0;
  if (ptr + input.length > memory!.buffer.byteLength) {
    post({
      ok: false,
      code: 'OPTIMIZER_BAD_OUTPUT',
      message: `alloc(${input.length}) answered ${ptr}, outside its memory`,
    });
    return;
  }
  new Uint8Array(memory!.buffer, ptr, input.length).set(input);
  const result = exports.optimize(ptr, input.length);
  if (typeof result !== 'bigint') {
    post({
      ok: false,
      code: 'OPTIMIZER_BAD_MODULE',
      message: 'optimize must return an i64: (ptr << 32) | len',
    });
    return;
  }
  const packed = BigInt.asUintN(64, result);
  const outPtr = Number(packed >> 32n);
  const outLen = Number(packed & 0xffff_ffffn);
  if (outLen > job.maxOutputBytes) {
    post({
      ok: false,
      code: 'OPTIMIZER_BAD_OUTPUT',
      message: `the answer is ${outLen} bytes; at most ${job.maxOutputBytes}`,
    });
    return;
  }
  if (outPtr + outLen > memory!.buffer.byteLength) {
    post({
      ok: false,
      code: 'OPTIMIZER_BAD_OUTPUT',
      message: `the answer (${outPtr}, ${outLen} bytes) lies outside its memory`,
    });
    return;
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(
      new Uint8Array(memory!.buffer, outPtr, outLen),
    );
  } catch {
    post({ ok: false, code: 'OPTIMIZER_BAD_OUTPUT', message: 'the answer is not UTF-8' });
    return;
  }
  post({ ok: true, text });
}

try {
  run();
} catch (err) {
  const atLimit = memory !== undefined && memory.buffer.byteLength >= job.maxPages * PAGE_BYTES;
  const message = aborted ?? (err as Error).message;
  post(
    atLimit
      ? {
          ok: false,
          code: 'OPTIMIZER_MEMORY_LIMIT',
          message: `stopped at the memory limit of ${job.maxPages} pages: ${message}`,
        }
      : { ok: false, code: 'OPTIMIZER_TRAP', message: `trapped: ${message}` },
  );
}
