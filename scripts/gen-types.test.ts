// The committed generated files must be what the generator produces from the committed schemas:
// after changing schemas/*.schema.json, run `npm run gen`.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { forTypes, generate, OUT_DIR } from './gen-types.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));

describe('gen-types', () => {
  it('the committed generated files are up to date (run npm run gen)', async () => {
    const files = await generate();
    expect(Object.keys(files).sort()).toEqual(
      ['event-validator', 'event', 'patch', 'schemas', 'validators', 'workflow'].map(
        (f) => `${OUT_DIR}/${f}.ts`,
      ),
    );
    for (const [rel, contents] of Object.entries(files)) {
      expect(contents.startsWith('// generated — do not edit; run npm run gen')).toBe(true);
      const committed = await readFile(`${root}/${rel}`, 'utf8');
      expect(committed, `${rel} is stale: run npm run gen`).toBe(contents);
    }
  }, 30_000);

  it('embeds the schemas unchanged', async () => {
    const files = await generate();
    const ts = files[`${OUT_DIR}/schemas.ts`]!;
    for (const stem of ['workflow', 'event', 'patch']) {
      const schema = JSON.parse(await readFile(`${root}/schemas/${stem}.schema.json`, 'utf8')) as {
        $id: string;
      };
      expect(ts).toContain(`export const ${stem}Schema = {`);
      expect(ts).toContain(schema.$id);
    }
    const { workflowSchema } = await import('../packages/core/src/generated/schemas.js');
    const committed = JSON.parse(await readFile(`${root}/schemas/workflow.schema.json`, 'utf8'));
    expect(workflowSchema).toEqual(committed);
  }, 30_000);

  it('hides validation-only keywords from the type generator', () => {
    const out = forTypes({
      type: 'object',
      properties: { a: { type: 'string' }, b: { description: 'anything' } },
      allOf: [{ if: { required: ['a'] }, then: { required: ['b'] } }],
      $defs: { rules: { allOf: [{ if: {}, then: {} }] }, kept: { type: 'integer' } },
    });
    expect(out).toEqual({
      type: 'object',
      properties: { a: { type: 'string' }, b: { description: 'anything', tsType: 'unknown' } },
      $defs: { kept: { type: 'integer' } },
    });
  });
});
