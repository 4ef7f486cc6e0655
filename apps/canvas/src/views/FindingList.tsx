// A patch's findings (the validator's violations, or why a person must decide), one per line:
// code, path and message. The patch page and the editor's verdict show them the same way.
import type { PatchView } from '@aob/client';

export function FindingList(props: { patch: Pick<PatchView, 'violations' | 'reasons'> }) {
  const findings = [...props.patch.violations, ...(props.patch.reasons ?? [])];
  return (
    <ul>
      {findings.map((p, i) => (
        <li key={i}>
          <code>{p.code}</code> at <code>{p.path || '/'}</code>: {p.message}
        </li>
      ))}
    </ul>
  );
}
