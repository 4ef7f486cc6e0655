// The selected edge: the port it leaves its source on, its guard, and its removal.
import type { EditorEdge } from './definition.js';
import { PORTS } from './definition.js';
import { FieldInput } from './FieldInput.js';
import type { Field } from './schema-form.js';

const WHEN_FIELD: Field = {
  name: 'when',
  kind: 'text',
  required: false,
  description: 'A JSONata guard in {% … %}: the edge is taken only when it is true.',
};

export function EdgeInspector(props: {
  edge: EditorEdge;
  problems: string[];
  onChange: (change: { on?: string; when?: string }) => void;
  onRemove: () => void;
}) {
  const { edge, problems, onChange, onRemove } = props;
  return (
    <div className="card inspector" aria-label={`edge ${edge.from} to ${edge.to}`}>
      <h2>
        {edge.from} → {edge.to}
      </h2>
      {problems.length > 0 ? (
        <ul className="problems" aria-label="problems on this edge">
          {problems.map((p, i) => (
            <li key={i}>⚠ {p}</li>
          ))}
        </ul>
      ) : null}
      <div className="field">
        <label htmlFor="edge-port">port</label>
        <select
          id="edge-port"
          value={edge.on ?? 'success'}
          onChange={(e) => onChange({ on: e.target.value })}
        >
          {PORTS.map((p) => (
            <option key={p} value={p}>
              {p}
            </option>
          ))}
        </select>
      </div>
      <FieldInput
        id="edge-when"
        field={WHEN_FIELD}
        value={edge.when}
        onCommit={(v) => onChange({ when: (v as string | undefined) || undefined })}
      />
      <button type="button" className="danger" onClick={onRemove}>
        Remove edge
      </button>
    </div>
  );
}
