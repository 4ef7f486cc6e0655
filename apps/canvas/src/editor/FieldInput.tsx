// One field of the editor's forms. What is typed is a draft until it is committed (on blur, on
// Enter in a one-line field, at once for a choice), so undo steps are whole values rather than
// keystrokes; expressions and JSON are checked on every keystroke and a draft that does not
// parse is never committed.
import { useEffect, useState } from 'react';
import type { Field } from './schema-form.js';
import { expressionError, expressionErrors } from './expression-check.js';

/** The text a value is edited as, in a field of this kind. */
function draftOf(field: Field, value: unknown): string {
  if (value === undefined) return '';
  if (field.kind === 'list' && Array.isArray(value)) return value.join(', ');
  if (field.kind === 'json') return JSON.stringify(value, null, 2);
  return String(value);
}

/** The value a draft stands for, or the reason it stands for none. */
export function readDraft(
  field: Pick<Field, 'kind' | 'required'>,
  draft: string,
): { value: unknown } | { error: string } {
  const text = draft.trim();
  if (text === '') return { value: field.required && field.kind === 'text' ? '' : undefined };
  switch (field.kind) {
    case 'number': {
      if (/^-?\d+(\.\d+)?$/.test(text)) return { value: Number(text) };
      const error = expressionError(text);
      if (error) return { error };
      return text.startsWith('{%') ? { value: text } : { error: 'a number or an {% expression %}' };
    }
    case 'list':
      return {
        value: text
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean),
      };
    case 'json': {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        // Not JSON: a bare expression or word is taken as a string (an expression's usual form).
        value = draft;
      }
      const problems = expressionErrors(value);
      return problems.length > 0
        ? { error: problems.map((p) => `${p.path}: ${p.error}`).join('; ') }
        : { value };
    }
    default: {
      const error = expressionError(draft);
      return error ? { error } : { value: draft };
    }
  }
}

export function FieldInput(props: {
  id: string;
  field: Field;
  value: unknown;
  onCommit: (value: unknown) => void;
}) {
  const { id, field, value, onCommit } = props;
  const shown = draftOf(field, value);
  const [draft, setDraft] = useState(shown);
  // A change from elsewhere (undo, another field's rename) replaces the draft.
  useEffect(() => setDraft(shown), [shown]);
  const read = readDraft(field, draft);
  const error = 'error' in read ? read.error : undefined;
  const commit = () => {
    if (!('error' in read) && draft !== shown) onCommit(read.value);
  };
  const label = (
    <label htmlFor={id}>
      {field.name}
      {field.required ? <span aria-label="required"> *</span> : null}
    </label>
  );
  const help = [field.description, error].filter(Boolean).join(' — ');
  const describedBy = help ? `${id}-help` : undefined;
  const common = {
    id,
    'aria-invalid': error ? true : undefined,
    'aria-describedby': describedBy,
  } as const;

  let control;
  if (field.kind === 'enum') {
    control = (
      <select {...common} value={shown} onChange={(e) => onCommit(e.target.value || undefined)}>
        {field.required ? null : <option value="">(default)</option>}
        {field.options!.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    );
  } else if (field.kind === 'boolean') {
    control = (
      <input
        {...common}
        type="checkbox"
        checked={value === true}
        onChange={(e) => onCommit(e.target.checked)}
      />
    );
  } else if (
    field.kind === 'json' ||
    (field.kind === 'text' && (shown.length > 40 || shown.includes('\n')))
  ) {
    control = (
      <textarea
        {...common}
        rows={Math.min(10, Math.max(2, draft.split('\n').length))}
        value={draft}
        spellCheck={false}
        onChange={(e) => setDraft(e.target.value)}
        onBlur={commit}
      />
    );
  } else {
    control = (
      <input
        {...common}
        value={draft}
        spellCheck={false}
        placeholder={field.defaultValue !== undefined ? String(field.defaultValue) : undefined}
        onChange={(e) => setDraft(e.target.value)}
        onBlur={commit}
        onKeyDown={(e) => {
          if (e.key === 'Enter') commit();
        }}
      />
    );
  }
  return (
    <div className={`field${error ? ' invalid' : ''}`} data-field={field.name}>
      {label}
      {control}
      {help ? (
        <small id={describedBy} className={error ? 'field-error' : 'muted'}>
          {help}
        </small>
      ) : null}
    </div>
  );
}
