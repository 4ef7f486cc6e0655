import { describe, expect, it } from 'vitest';
import {
  acceptsOtherSettings,
  fieldsOf,
  initialWith,
  NODE_TYPES,
  nodeFields,
} from './schema-form.js';
import { expressionError, expressionErrors } from './expression-check.js';
import { readDraft } from './FieldInput.js';

describe('forms from the workflow schema', () => {
  it('has a form for every node type the schema names', () => {
    expect(NODE_TYPES).toContain('approval');
    for (const t of NODE_TYPES) expect(fieldsOf(t).length, t).toBeGreaterThan(0);
  });

  it('reads each field’s kind from the schema, required fields first', () => {
    const http = fieldsOf('http');
    expect(http.slice(0, 2).map((f) => [f.name, f.kind, f.required])).toEqual([
      ['method', 'enum', true],
      ['url', 'text', true],
    ]);
    const approval = Object.fromEntries(fieldsOf('approval').map((f) => [f.name, f.kind]));
    expect(approval).toMatchObject({
      approvers: 'list',
      quorum: 'number',
      timeoutMs: 'number', // milliseconds or an expression
      onTimeout: 'enum',
      message: 'text',
    });
    expect(Object.fromEntries(fieldsOf('code').map((f) => [f.name, f.kind]))).toMatchObject({
      network: 'boolean',
    });
    expect(nodeFields().map((f) => f.name)).toEqual(
      expect.arrayContaining(['input', 'retry', 'timeoutMs', 'priority']),
    );
  });

  it('knows which types take settings the schema does not name', () => {
    expect(acceptsOtherSettings('task')).toBe(true);
    expect(acceptsOtherSettings('http')).toBe(false);
  });

  it('starts a node with a value for each required field', () => {
    expect(initialWith('http')).toEqual({ method: 'GET', url: 'https://example.com' });
    expect(initialWith('approval')).toEqual({ approvers: [] });
  });
});

describe('expressions checked as typed', () => {
  it('passes good expressions and plain strings, names the fault of a bad one', () => {
    expect(expressionError('{% inputs.amount * 2 %}')).toBeUndefined();
    expect(expressionError('plain text')).toBeUndefined();
    expect(expressionError('{% inputs.amount * %}')).toMatch(/S0\d{3}/);
    expect(expressionError('{% unfinished')).toBe('an expression must end with %}');
    expect(expressionErrors({ a: ['{% ( %}'], b: '{% 1 %}' })).toEqual([
      { path: '/a/0', error: expect.stringMatching(/S0\d{3}/) },
    ]);
  });

  it('reads a draft as its field’s kind, or says why it cannot', () => {
    const num = { kind: 'number', required: false } as const;
    expect(readDraft(num, '42')).toEqual({ value: 42 });
    expect(readDraft(num, '{% inputs.n %}')).toEqual({ value: '{% inputs.n %}' });
    expect(readDraft(num, 'forty')).toEqual({ error: 'a number or an {% expression %}' });
    expect(readDraft(num, '')).toEqual({ value: undefined });
    expect(readDraft({ kind: 'list', required: true }, 'a, b,,c ')).toEqual({
      value: ['a', 'b', 'c'],
    });
    expect(readDraft({ kind: 'json', required: false }, '{"x": [1]}')).toEqual({
      value: { x: [1] },
    });
    expect(readDraft({ kind: 'json', required: false }, '{"x": "{% ) %}"}')).toHaveProperty(
      'error',
    );
    expect(readDraft({ kind: 'text', required: true }, '')).toEqual({ value: '' });
  });
});
