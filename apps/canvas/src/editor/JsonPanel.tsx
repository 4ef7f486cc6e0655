// Import and export: the definition as JSON, to copy, download, or replace by pasting or by
// opening a file. An import is one undoable change; one that cannot be read changes nothing
// and says why.
import { useState } from 'react';
import type { EditorDefinition } from './definition.js';
import { parseDefinition } from './definition.js';

export function JsonPanel(props: {
  def: EditorDefinition;
  onImport: (def: EditorDefinition) => void;
}) {
  const { def, onImport } = props;
  const text = JSON.stringify(def, null, 2);
  const [draft, setDraft] = useState(text);
  const [error, setError] = useState<string>();
  const apply = (source: string) => {
    try {
      onImport(parseDefinition(source));
      setError(undefined);
    } catch (err) {
      setError((err as Error).message);
    }
  };
  const download = () => {
    const url = URL.createObjectURL(new Blob([text + '\n'], { type: 'application/json' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = `${def.name || 'workflow'}-${def.version}.json`;
    a.click();
    URL.revokeObjectURL(url);
  };
  return (
    <div className="card json-panel">
      <h2>JSON</h2>
      <label htmlFor="definition-json">The definition (edit or paste, then Import)</label>
      <textarea
        id="definition-json"
        rows={16}
        spellCheck={false}
        value={draft}
        onChange={(e) => setDraft(e.target.value)}
      />
      {error ? (
        <p role="alert" className="error">
          Cannot import: {error}
        </p>
      ) : null}
      <div className="actions">
        <button type="button" onClick={() => apply(draft)}>
          Import
        </button>
        <button type="button" onClick={() => setDraft(text)}>
          Reset to current
        </button>
        <button type="button" onClick={download}>
          Download
        </button>
        <label className="file">
          Open file…
          <input
            type="file"
            accept="application/json,.json"
            onChange={(e) => {
              const file = e.target.files?.[0];
              if (file) {
                void file.text().then((t) => {
                  setDraft(t);
                  apply(t);
                });
              }
            }}
          />
        </label>
      </div>
    </div>
  );
}
