// The workflow's own fields, shown when no node or edge is selected, with the findings that
// concern the workflow as a whole.
import type { EditorDefinition } from './definition.js';
import { FieldInput } from './FieldInput.js';
import type { Field } from './schema-form.js';

const FIELDS: Field[] = [
  { name: 'name', kind: 'text', required: true },
  {
    name: 'version',
    kind: 'text',
    required: true,
    description: 'Saved or committed as this version; a registered version never changes.',
  },
  { name: 'description', kind: 'text', required: false },
  {
    name: 'inputs',
    kind: 'json',
    required: false,
    description: 'A JSON Schema that run inputs must satisfy.',
  },
  {
    name: 'output',
    kind: 'json',
    required: false,
    description: "The run's output, usually an expression over nodes.",
  },
];

export function WorkflowInspector(props: {
  def: EditorDefinition;
  problems: string[];
  onChange: (next: EditorDefinition) => void;
  /** Which keys undo here. */
  hint?: string;
}) {
  const { def, problems, onChange } = props;
  return (
    <div className="card inspector" aria-label="workflow">
      <h2>Workflow</h2>
      {problems.length > 0 ? (
        <ul className="problems" aria-label="problems of the workflow">
          {problems.map((p, i) => (
            <li key={i}>⚠ {p}</li>
          ))}
        </ul>
      ) : null}
      {FIELDS.map((f) => (
        <FieldInput
          key={f.name}
          id={`workflow-${f.name}`}
          field={f}
          value={def[f.name]}
          onCommit={(v) => {
            const next = { ...def };
            if (v === undefined) delete next[f.name];
            else next[f.name] = v;
            onChange(next);
          }}
        />
      ))}
      <p className="muted">
        Select a node or an edge to edit it; add nodes from the palette.{' '}
        {props.hint ?? 'Ctrl+Z undoes, Ctrl+Shift+Z redoes.'}
      </p>
    </div>
  );
}
