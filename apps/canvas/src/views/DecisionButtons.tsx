// Approve / Reject with an optional reason: one control for approval tickets and held patches.
import { useState } from 'react';

export type Decision = 'approved' | 'rejected';

export function DecisionButtons(props: {
  decide: (decision: Decision, reason: string) => Promise<void>;
  busy?: boolean;
}) {
  const [reason, setReason] = useState('');
  return (
    <div className="actions">
      <label>
        Reason
        <input value={reason} onChange={(e) => setReason(e.target.value)} placeholder="optional" />
      </label>
      <button
        type="button"
        className="approve"
        disabled={props.busy}
        onClick={() => void props.decide('approved', reason)}
      >
        Approve
      </button>
      <button
        type="button"
        className="reject"
        disabled={props.busy}
        onClick={() => void props.decide('rejected', reason)}
      >
        Reject
      </button>
    </div>
  );
}
