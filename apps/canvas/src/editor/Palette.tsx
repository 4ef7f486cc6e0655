// The node types a workflow can hold, each a button that adds one (after the selected node,
// when there is one). Each type's purpose, from the schema, is its tooltip and accessible
// description.
import { NODE_TYPES, typeDescription } from './schema-form.js';

export function Palette(props: { onAdd: (type: string) => void }) {
  return (
    <aside className="palette" aria-label="node types">
      <h2>Add a node</h2>
      <ul>
        {NODE_TYPES.map((t) => (
          <li key={t}>
            <button
              type="button"
              title={typeDescription(t)}
              aria-label={`Add ${t}`}
              onClick={() => props.onAdd(t)}
            >
              + {t}
            </button>
          </li>
        ))}
      </ul>
    </aside>
  );
}
