// The selected node's form: its id (a rename follows its edges), description, the `with` fields
// of its type (from the schema), its own settings, its edges, and a way to connect it to another
// node from the keyboard (dragging between handles does the same with a pointer).
import { useState } from 'react';
import type { EditorDefinition, EditorNode } from './definition.js';
import { PORTS } from './definition.js';
import { FieldInput } from './FieldInput.js';
import type { Field } from './schema-form.js';
import { acceptsOtherSettings, fieldsOf, nodeFields } from './schema-form.js';

const ID_FIELD: Field = { name: 'id', kind: 'text', required: true };
const DESCRIPTION_FIELD: Field = { name: 'description', kind: 'text', required: false };
const OTHER_SETTINGS: Field = {
  name: 'other settings',
  kind: 'json',
  required: false,
  description: 'Passed to the handler as configuration.',
};

/** A node with one field set (undefined removes it). */
function withField(node: EditorNode, name: string, value: unknown): EditorNode {
  const next = { ...node };
  if (value === undefined) delete next[name];
  else next[name] = value;
  return next;
}

export function NodeInspector(props: {
  def: EditorDefinition;
  node: EditorNode;
  problems: string[];
  onChange: (next: EditorNode) => void;
  onRemove: () => void;
  onConnect: (to: string, on: string) => void;
  onSelectEdge: (index: number) => void;
}) {
  const { def, node, problems, onChange, onRemove, onConnect, onSelectEdge } = props;
  const fields = fieldsOf(node.type);
  const config = node.with ?? {};
  const known = new Set(fields.map((f) => f.name));
  const others = Object.fromEntries(Object.entries(config).filter(([k]) => !known.has(k)));
  const setWith = (name: string, value: unknown) => {
    const next = { ...config };
    if (value === undefined) delete next[name];
    else next[name] = value;
    onChange({ ...node, with: next });
  };
  const [to, setTo] = useState('');
  const [port, setPort] = useState('success');
  const targets = def.nodes.filter((n) => n.id !== node.id);
  const key = (name: string) => `node-${name.replace(/\W/g, '-')}`;
  return (
    <div className="card inspector" aria-label={`node ${node.id}`}>
      <h2>
        {node.id} <span className="muted">{node.type}</span>
      </h2>
      {problems.length > 0 ? (
        <ul className="problems" aria-label="problems on this node">
          {problems.map((p, i) => (
            <li key={i}>⚠ {p}</li>
          ))}
        </ul>
      ) : null}
      <FieldInput
        id={key('id')}
        field={ID_FIELD}
        value={node.id}
        onCommit={(v) => typeof v === 'string' && v && onChange({ ...node, id: v })}
      />
      <FieldInput
        id={key('description')}
        field={DESCRIPTION_FIELD}
        value={node.description}
        onCommit={(v) => onChange(withField(node, 'description', v || undefined))}
      />
      <fieldset>
        <legend>with</legend>
        {fields.map((f) => (
          <FieldInput
            key={f.name}
            id={key(`with-${f.name}`)}
            field={f}
            value={config[f.name]}
            onCommit={(v) => setWith(f.name, v)}
          />
        ))}
        {acceptsOtherSettings(node.type) ? (
          <FieldInput
            id={key('with-other')}
            field={OTHER_SETTINGS}
            value={Object.keys(others).length > 0 ? others : undefined}
            onCommit={(v) => {
              const kept = Object.fromEntries(Object.entries(config).filter(([k]) => known.has(k)));
              const extra = v && typeof v === 'object' ? v : {};
              onChange({ ...node, with: { ...kept, ...extra } });
            }}
          />
        ) : null}
      </fieldset>
      <details>
        <summary>Node settings</summary>
        {nodeFields().map((f) => (
          <FieldInput
            key={f.name}
            id={key(`node-${f.name}`)}
            field={f}
            value={node[f.name]}
            onCommit={(v) => onChange(withField(node, f.name, v))}
          />
        ))}
      </details>
      <fieldset>
        <legend>Edges</legend>
        <ul className="edge-list">
          {def.edges.map((e, i) =>
            e.from === node.id || e.to === node.id ? (
              <li key={i}>
                <button type="button" className="link" onClick={() => onSelectEdge(i)}>
                  {e.from} → {e.to}
                  {e.on && e.on !== 'success' ? ` [${e.on}]` : ''}
                  {e.when ? ' when …' : ''}
                </button>
              </li>
            ) : null,
          )}
        </ul>
        <div className="connect">
          <label htmlFor="connect-to">Connect to</label>
          <select id="connect-to" value={to} onChange={(e) => setTo(e.target.value)}>
            <option value="">(choose a node)</option>
            {targets.map((n) => (
              <option key={n.id} value={n.id}>
                {n.id}
              </option>
            ))}
          </select>
          <label htmlFor="connect-port">on</label>
          <select id="connect-port" value={port} onChange={(e) => setPort(e.target.value)}>
            {PORTS.map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
          <button type="button" disabled={!to} onClick={() => onConnect(to, port)}>
            Connect
          </button>
        </div>
      </fieldset>
      <button type="button" className="danger" onClick={onRemove}>
        Remove node
      </button>
    </div>
  );
}
