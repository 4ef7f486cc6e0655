// A run's spending against its budget: tokens, cost, node executions and wall time, each with
// its limit when it has one, the limit it crossed, and — for a run paused by its budget — a form
// to raise a limit (an approver's decision; the server says when it is not this person's).
import { useState } from 'react';
import type { RunView } from '@aob/client';
import { refusalText } from '../refusal.js';
import { formatDuration } from '../status.js';

type Limit = 'tokens' | 'costUsd' | 'nodes' | 'wallMs';

const LABEL: Record<Limit, string> = {
  tokens: 'tokens',
  costUsd: 'cost',
  nodes: 'node executions',
  wallMs: 'wall time',
};

function show(limit: Limit, value: number): string {
  if (limit === 'costUsd') return `$${value.toFixed(value < 0.01 ? 6 : 2)}`;
  if (limit === 'wallMs') return formatDuration(value);
  return value.toLocaleString('en');
}

export function BudgetCard(props: {
  run: RunView;
  now: number;
  raise: (budget: Partial<Record<Limit, number>>, reason: string) => Promise<void>;
}) {
  const { run, now, raise } = props;
  const budget = run.budget ?? {};
  const used: Record<Limit, number> = {
    tokens: run.usage.tokens,
    costUsd: run.usage.costUsd,
    nodes: run.usage.nodes,
    wallMs: (run.endedAt ?? now) - run.startedAt,
  };
  const limits = (Object.keys(LABEL) as Limit[]).filter((k) => budget[k] !== undefined);
  const shown = (Object.keys(LABEL) as Limit[]).filter(
    (k) => budget[k] !== undefined || (k !== 'wallMs' && used[k] > 0),
  );
  const paused = run.status === 'waiting' && run.budgetExceeded !== undefined;
  const crossed = run.budgetExceeded?.limit;
  if (shown.length === 0) return null;
  return (
    <article className="card budget" aria-label="budget">
      <h2>Budget</h2>
      <dl className="budget-lines">
        {shown.map((k) => {
          const limit = budget[k];
          const over = run.budgetExceeded?.limit === k;
          return (
            <div key={k} className={over ? 'budget-line over' : 'budget-line'} data-limit={k}>
              <dt>{LABEL[k]}</dt>
              <dd>
                {show(k, used[k])}
                {limit !== undefined ? ` of ${show(k, limit)}` : ''}
                {limit !== undefined ? (
                  <meter
                    min={0}
                    max={limit || 1}
                    high={(limit || 1) * 0.8}
                    value={Math.min(used[k], limit || 1)}
                    aria-label={`${LABEL[k]} used of the limit`}
                  />
                ) : null}
                {over ? (
                  <strong> crossed ({show(k, run.budgetExceeded!.used)} asked for)</strong>
                ) : null}
              </dd>
            </div>
          );
        })}
      </dl>
      {run.usage.unpriced > 0 ? (
        <p className="hint">
          {run.usage.unpriced} attempt{run.usage.unpriced === 1 ? '' : 's'} reported tokens of a
          model with no price: not in the cost.
        </p>
      ) : null}
      {run.budget?.onExceeded ? (
        <p className="hint">when crossed: {run.budget.onExceeded}</p>
      ) : null}
      {paused && limits.length > 0 ? (
        <RaiseForm
          // The limit crossed first: that is the one to raise.
          limits={[...limits].sort((a, b) => Number(b === crossed) - Number(a === crossed))}
          budget={budget}
          raise={raise}
        />
      ) : null}
    </article>
  );
}

function RaiseForm(props: {
  limits: Limit[];
  budget: Partial<Record<Limit, number>>;
  raise: (budget: Partial<Record<Limit, number>>, reason: string) => Promise<void>;
}) {
  const { limits, budget, raise } = props;
  const first = limits[0]!;
  const [limit, setLimit] = useState<Limit>(first);
  const [value, setValue] = useState(String((budget[first] ?? 0) * 2));
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const submit = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await raise({ [limit]: Number(value) }, reason);
    } catch (err) {
      setError(refusalText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form
      className="raise-form"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <p>The run is paused by its budget: raise a limit to let it go on.</p>
      <label>
        limit{' '}
        <select
          value={limit}
          onChange={(e) => {
            const k = e.target.value as Limit;
            setLimit(k);
            setValue(String((budget[k] ?? 0) * 2));
          }}
        >
          {limits.map((k) => (
            <option key={k} value={k}>
              {LABEL[k]}
            </option>
          ))}
        </select>
      </label>{' '}
      <label>
        new limit{' '}
        <input
          type="number"
          min={0}
          step={limit === 'costUsd' ? '0.01' : '1'}
          value={value}
          onChange={(e) => setValue(e.target.value)}
        />
      </label>{' '}
      <label>
        reason <input value={reason} onChange={(e) => setReason(e.target.value)} />
      </label>{' '}
      <button type="submit" disabled={busy}>
        Raise
      </button>
      {error ? (
        <pre role="alert" className="error refusal">
          {error}
        </pre>
      ) : null}
    </form>
  );
}
