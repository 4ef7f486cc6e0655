import { Args } from '@oclif/core';
import { AobCommand } from '../../lib/base.js';
import { ExitCode } from '../../lib/exit-codes.js';
import { readTextFile } from '../../lib/files.js';
import { toValidateJson } from '../../lib/json.js';
import { err, out, outJson } from '../../lib/output.js';
import { formatProblem } from '../../lib/render.js';

export default class WorkflowValidate extends AobCommand<typeof WorkflowValidate> {
  static override summary = 'Check a workflow definition and list every problem.';
  static override description = 'Exit 0 when the definition is valid, 2 when it is not.';
  static override examples = ['<%= config.bin %> <%= command.id %> ./triage.json --json'];

  static override args = {
    file: Args.string({ description: 'The definition file (.json).', required: true }),
  };

  protected async perform(): Promise<number> {
    const file = this.args.file;
    const text = await readTextFile(file, 'file');
    let doc: unknown;
    let result: { valid: boolean; errors: { code: string; path: string; message: string }[] };
    try {
      doc = JSON.parse(text) as unknown;
      // Validation stores nothing: an in-memory engine keeps AOB_HOME untouched (or the server checks).
      const backend = await this.backend({ store: 'memory' });
      result = toValidateJson(await backend.validate(doc));
    } catch (e) {
      if (!(e instanceof SyntaxError)) throw e;
      result = {
        valid: false,
        errors: [{ code: 'JSON', path: '', message: `not valid JSON: ${e.message}` }],
      };
    }

    if (this.jsonMode) {
      await outJson(result);
    } else if (result.valid) {
      await out(`${file}: valid${describe(doc)}`);
    } else {
      const n = result.errors.length;
      await err([
        `${file}: invalid, ${n} problem${n === 1 ? '' : 's'}`,
        ...result.errors.map(formatProblem),
      ]);
    }
    return result.valid ? ExitCode.Ok : ExitCode.BadInput;
  }
}

function describe(doc: unknown): string {
  if (!doc || typeof doc !== 'object') return '';
  const d = doc as { name?: unknown; version?: unknown; nodes?: unknown };
  const name = typeof d.name === 'string' ? d.name : undefined;
  if (!name) return '';
  const version =
    typeof d.version === 'string' || typeof d.version === 'number' ? `@${String(d.version)}` : '';
  const nodes = Array.isArray(d.nodes)
    ? `, ${d.nodes.length} node${d.nodes.length === 1 ? '' : 's'}`
    : '';
  return ` (${name}${version}${nodes})`;
}
