// A node of a run, opened from the graph: status, error (code, message, retryable), each attempt,
// its log lines, the text it streams as it arrives (an llm or agent node's tokens), its token usage, an agent's
// transcript and the patches it proposed, its resolved input and output; and "Replay from here".
import { useEffect, useState } from 'react';
import type { AnyRunEvent } from '@aob/core';
import type { NodeDetail, PatchView, QuestionView } from '@aob/client';
import type { Session } from '../session.js';
import { Link } from '../router.js';
import { STATUS_ICON, formatDuration, formatTime } from '../status.js';

/** One step of an agent's transcript, as the agent node records it. */
type TranscriptEntry =
  | { type: 'message'; role: string; content: string }
  | { type: 'tool_call'; id: string; name: string; args: unknown; result?: unknown };

interface Usage {
  promptTokens?: number;
  completionTokens?: number;
  totalTokens?: number;
}

const isCasRef = (v: unknown): v is { $cas: string } =>
  typeof v === 'object' && v !== null && typeof (v as { $cas?: unknown }).$cas === 'string';

function usageOf(output: unknown): Usage | undefined {
  const usage = (output as { usage?: unknown } | undefined)?.usage;
  return usage && typeof usage === 'object' ? (usage as Usage) : undefined;
}

/** An agent's transcript: kept inline, or in the content store (then read from there). */
function useTranscript(session: Session, detail: NodeDetail): TranscriptEntry[] | undefined {
  const raw = (detail.output as { transcript?: unknown } | undefined)?.transcript;
  const [fetched, setFetched] = useState<TranscriptEntry[]>();
  const ref = isCasRef(raw) ? raw.$cas : undefined;
  useEffect(() => {
    if (!ref) return;
    let stale = false;
    session.client
      .getRunContent(detail.runId, ref)
      .then((t) => {
        if (!stale && Array.isArray(t)) setFetched(t as TranscriptEntry[]);
      })
      .catch(() => undefined); // the panel still shows the rest
    return () => {
      stale = true;
    };
  }, [session, detail.runId, ref]);
  return Array.isArray(raw) ? (raw as TranscriptEntry[]) : ref ? fetched : undefined;
}

const json = (v: unknown) => JSON.stringify(v, null, 2) ?? '—';

export function NodePanel(props: {
  session: Session;
  detail: NodeDetail;
  /** Text streamed by the node since the page opened (not kept by the engine). */
  liveText?: string;
  /** The node's log lines (NodeLog events), oldest first. */
  logs: readonly Extract<AnyRunEvent, { type: 'NodeLog' }>[];
  /** Patches this node proposed (an agent's, authored `agent:<nodeId>`). */
  patches: readonly PatchView[];
  /** The questions the node asked (an ask node's, an agent's ask_user), answered or not. */
  questions?: readonly QuestionView[];
  replay: (mode: 'freeze' | 'live') => Promise<void>;
}) {
  const { session, detail, liveText, logs, patches, replay, questions = [] } = props;
  const [mode, setMode] = useState<'freeze' | 'live'>('freeze');
  const usage = usageOf(detail.output);
  const transcript = useTranscript(session, detail);
  return (
    <div className="card node-panel" aria-label={`node ${detail.nodeId}`}>
      <h2>
        {detail.nodeId} <small>{detail.type}</small>
      </h2>
      <p className={`status status-${detail.status}`}>
        {STATUS_ICON[detail.status]} {detail.status} · {detail.attempts} attempt
        {detail.attempts === 1 ? '' : 's'}
        {detail.reused ? ` · reused (${detail.reused})` : ''}
      </p>
      {detail.error ? (
        <p className="error">
          <code>{detail.error.code}</code> {detail.error.message}
          {detail.error.retryable ? ' (retryable)' : ' (not retryable)'}
        </p>
      ) : null}
      <div className="actions">
        <label>
          Reuse
          <select value={mode} onChange={(e) => setMode(e.target.value as 'freeze' | 'live')}>
            <option value="freeze">unchanged outputs (freeze)</option>
            <option value="live">nothing downstream (live)</option>
          </select>
        </label>
        <button type="button" onClick={() => void replay(mode)}>
          Replay from here
        </button>
      </div>
      {detail.history.length > 1 ? (
        <>
          <h3>Attempts</h3>
          <ol className="attempts">
            {detail.history.map((a, i) => (
              <li key={i}>
                {a.iteration !== undefined ? `item ${a.iteration}, ` : ''}
                {STATUS_ICON[a.outcome] ?? '•'} {a.outcome}
                {a.startedAt !== undefined && a.endedAt !== undefined
                  ? ` in ${formatDuration(a.endedAt - a.startedAt)}`
                  : ''}
                {a.error ? (
                  <>
                    {' '}
                    — <code>{a.error.code}</code> {a.error.message}
                  </>
                ) : null}
              </li>
            ))}
          </ol>
        </>
      ) : null}
      {logs.length > 0 ? (
        <>
          <h3>Logs</h3>
          <ol className="node-logs" aria-label="logs" tabIndex={0}>
            {logs.slice(-200).map((l) => (
              <li key={l.seq} className={`log-${l.data.level}`}>
                <span className="muted">
                  {formatTime(l.at)} · attempt {l.data.attempt}
                  {l.data.iteration !== undefined ? ` · item ${l.data.iteration}` : ''} ·{' '}
                  {l.data.level}
                </span>{' '}
                {l.data.message}
              </li>
            ))}
          </ol>
          {logs.length > 200 ? (
            <p className="muted">The last 200 of {logs.length} lines; the history has them all.</p>
          ) : null}
        </>
      ) : null}
      {liveText ? (
        <>
          <h3>Streamed text</h3>
          <pre tabIndex={0} aria-label="streamed text" aria-live="polite" className="live-text">
            {liveText}
          </pre>
        </>
      ) : null}
      {usage ? (
        <>
          <h3>Token usage</h3>
          <p aria-label="token usage">
            {usage.promptTokens ?? '?'} in · {usage.completionTokens ?? '?'} out
            {usage.totalTokens !== undefined ? ` · ${usage.totalTokens} in all` : ''}
          </p>
        </>
      ) : null}
      {transcript ? (
        <>
          <h3>Transcript</h3>
          <ol className="transcript" aria-label="transcript">
            {transcript.map((t, i) =>
              t.type === 'message' ? (
                <li key={i} className={`msg-${t.role}`}>
                  <strong>{t.role}</strong>: {t.content}
                </li>
              ) : (
                <li key={i} className="tool-call">
                  <strong>tool {t.name}</strong>
                  <pre tabIndex={0} aria-label={`${t.name} arguments`}>
                    {json(t.args)}
                  </pre>
                  {t.result !== undefined ? (
                    <pre tabIndex={0} aria-label={`${t.name} result`}>
                      → {json(t.result)}
                    </pre>
                  ) : null}
                </li>
              ),
            )}
          </ol>
        </>
      ) : null}
      {questions.length > 0 ? (
        <>
          <h3>{questions.length === 1 ? 'Question' : 'Questions'} it asked</h3>
          <ol className="node-questions" aria-label="questions">
            {questions.map((q) => (
              <li key={q.questionId} data-question-id={q.questionId}>
                <p>
                  {q.iteration !== undefined ? `item ${q.iteration}: ` : ''}
                  <q>{q.question}</q>{' '}
                  <span className={`status status-${q.status}`}>
                    {STATUS_ICON[q.status] ?? '•'} {q.status}
                  </span>
                </p>
                {q.choices ? (
                  <p className="muted">
                    choices: {q.choices.map((c) => JSON.stringify(c)).join(' | ')}
                  </p>
                ) : null}
                {q.answered ? (
                  <p aria-label="answer">
                    answered by {q.answered.by}
                    {q.answered.timedOut ? ' (timed out: the default)' : ''}:{' '}
                    <code>{JSON.stringify(q.answered.answer)}</code>
                  </p>
                ) : q.status === 'open' ? (
                  <p className="muted">
                    waiting for {q.askees.length > 0 ? q.askees.join(', ') : 'any approver'}
                  </p>
                ) : (
                  <p className="muted">closed without an answer</p>
                )}
              </li>
            ))}
          </ol>
        </>
      ) : null}
      {patches.length > 0 ? (
        <>
          <h3>Patches it proposed</h3>
          <ul className="patch-list">
            {patches.map((p) => (
              <li key={p.patchId}>
                <Link href={`/patches/${p.patchId}`}>{p.patchId}</Link> {STATUS_ICON[p.status]}{' '}
                {p.status}
                {p.rationale ? ` — ${p.rationale}` : ''}
              </li>
            ))}
          </ul>
        </>
      ) : null}
      <h3>Input</h3>
      <pre tabIndex={0} aria-label="input">
        {json(detail.input)}
      </pre>
      <h3>Output</h3>
      <pre tabIndex={0} aria-label="output">
        {json(detail.output)}
      </pre>
    </div>
  );
}
