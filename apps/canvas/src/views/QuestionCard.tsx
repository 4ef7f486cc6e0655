// One question a run put to people (an ask node's, or an agent's ask_user): what it asks, who may
// answer, its deadline, and — for a person who may answer it — its choices as buttons and a text
// box (a JSON editor when the question has a schema) with an Answer button. A refused answer shows
// the server's error verbatim, every problem with it.
import { useState } from 'react';
import type { KeyboardEvent } from 'react';
import type { QuestionView } from '@aob/client';
import { answerFromText } from '../answer-text.js';
import { refusalText } from '../refusal.js';
import { Link } from '../router.js';
import { STATUS_ICON, formatTime } from '../status.js';

const json = (v: unknown) => JSON.stringify(v, null, 2) ?? '—';

export function QuestionCard(props: {
  question: QuestionView;
  answer: (questionId: string, answer: unknown) => Promise<void>;
  showRun?: boolean;
}) {
  const { question: q, answer, showRun } = props;
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const send = async (value: unknown) => {
    setBusy(true);
    setError(undefined);
    try {
      await answer(q.questionId, value);
      setText('');
    } catch (err) {
      setError(refusalText(err));
    } finally {
      setBusy(false);
    }
  };
  const sendText = () => void send(answerFromText(text, q));
  // Enter answers from a one-line box; in the JSON editor, Ctrl+Enter (or Cmd+Enter) does.
  const onKey = (e: KeyboardEvent<HTMLInputElement | HTMLTextAreaElement>) => {
    if (e.key !== 'Enter' || busy) return;
    if (q.schema && !(e.ctrlKey || e.metaKey)) return;
    e.preventDefault();
    sendText();
  };
  const open = q.status === 'open';
  const mayAnswer = q.eligible !== false;
  const boxLabel = q.schema ? 'Answer (JSON)' : q.choices ? 'Or type it' : 'Answer';
  return (
    <article
      className="card question"
      data-question-id={q.questionId}
      aria-label={`question ${q.questionId}`}
    >
      <header>
        <span className={`status status-${q.status}`}>
          {STATUS_ICON[q.status] ?? '•'} {q.status}
        </span>
        <strong>{q.iteration !== undefined ? `${q.nodeId}[${q.iteration}]` : q.nodeId}</strong>
        <span className="muted">{q.kind === 'agent' ? 'an agent asks' : 'asks'}</span>
        {showRun ? <Link href={`/runs/${q.runId}`}>{q.runId}</Link> : null}
      </header>
      <p className="message question-text">{q.question}</p>
      <dl>
        <dt>May answer</dt>
        <dd>{q.askees.length > 0 ? q.askees.join(', ') : 'any approver'}</dd>
        <dt>Asked</dt>
        <dd>{formatTime(q.askedAt)}</dd>
        {q.dueAt !== undefined ? (
          <>
            <dt>Due</dt>
            <dd>{formatTime(q.dueAt)}</dd>
          </>
        ) : null}
        {q.answered ? (
          <>
            <dt>Answered by</dt>
            <dd>
              {q.answered.by}
              {q.answered.timedOut ? ' (timed out: the default)' : ''}
            </dd>
            <dt>Answer</dt>
            <dd>
              <code aria-label="answer">{JSON.stringify(q.answered.answer)}</code>
            </dd>
          </>
        ) : null}
      </dl>
      {q.schema ? (
        <details>
          <summary>The answer's JSON Schema</summary>
          <pre tabIndex={0} aria-label="answer schema">
            {json(q.schema)}
          </pre>
        </details>
      ) : null}
      {open && !mayAnswer ? (
        <p className="muted">You are not among this question's askees.</p>
      ) : null}
      {open && mayAnswer ? (
        <div className="answer-form">
          {q.choices ? (
            <div className="actions choices" role="group" aria-label="choices">
              {q.choices.map((c) => (
                <button
                  key={JSON.stringify(c)}
                  type="button"
                  className="choice"
                  disabled={busy}
                  onClick={() => void send(c)}
                >
                  {typeof c === 'string' ? c : JSON.stringify(c)}
                </button>
              ))}
            </div>
          ) : null}
          <div className="actions">
            <label>
              {boxLabel}
              {q.schema ? (
                <textarea
                  className="json-answer"
                  rows={4}
                  spellCheck={false}
                  value={text}
                  onChange={(e) => setText(e.target.value)}
                  onKeyDown={onKey}
                  placeholder='{"…": …}   (Ctrl+Enter answers)'
                />
              ) : (
                <input value={text} onChange={(e) => setText(e.target.value)} onKeyDown={onKey} />
              )}
            </label>
            <button
              type="button"
              className="approve"
              disabled={busy || text === ''}
              onClick={sendText}
            >
              Answer
            </button>
          </div>
        </div>
      ) : null}
      {error ? (
        <pre role="alert" className="error refusal">
          {error}
        </pre>
      ) : null}
    </article>
  );
}
