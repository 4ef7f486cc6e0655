// One run: its graph (live), the node panel, its open approvals, and its event history.
import { useCallback, useEffect, useMemo, useState } from 'react';
import type { AnyRunEvent } from '@aob/core';
import type { ApprovalView, NodeDetail, PatchView, RunView, TimelineMessage } from '@aob/client';
import type { Session } from '../session.js';
import { usePageError } from '../page-error.js';
import { useFeed } from '../feed.js';
import { nodeDurations, nodeFacts } from '../durations.js';
import { RunGraph } from '../graph/RunGraph.js';
import type { GraphEdge, GraphNode } from '../graph/RunGraph.js';
import { Link, navigate } from '../router.js';
import { STATUS_ICON, formatDuration, formatTime } from '../status.js';
import { ApprovalCard } from './ApprovalCard.js';
import { Banner } from './Banner.js';
import { History } from './History.js';
import { Timeline } from './Timeline.js';

interface Definition {
  nodes: { id: string; type: string }[];
  edges: { from: string; to: string; on?: string }[];
}

const PAGE = 1_000;

async function allEvents(session: Session, runId: string): Promise<AnyRunEvent[]> {
  const out: AnyRunEvent[] = [];
  for (;;) {
    const page = await session.client.runEvents(runId, {
      fromSeq: (out.at(-1)?.seq ?? 0) + 1,
      limit: PAGE,
    });
    out.push(...page.items);
    if (page.items.length < PAGE) return out;
  }
}

export function RunPage(props: {
  session: Session;
  runId: string;
  onAuthFailure: (e: unknown) => void;
}) {
  const { session, runId, onAuthFailure } = props;
  const [run, setRun] = useState<RunView>();
  const [events, setEvents] = useState<AnyRunEvent[]>([]);
  const [definition, setDefinition] = useState<Definition>();
  const [tickets, setTickets] = useState<ApprovalView[]>([]);
  const [patches, setPatches] = useState<PatchView[]>([]);
  const [selected, setSelected] = useState<string>();
  const [detail, setDetail] = useState<NodeDetail>();
  const { error, fail } = usePageError(onAuthFailure);
  const [now, setNow] = useState(Date.now());

  const refresh = useCallback(async () => {
    const [view, open, proposed] = await Promise.all([
      session.client.getRun(runId),
      session.client.listApprovals({ status: 'open' }),
      session.client.listPatches({ run: runId }),
    ]);
    setRun(view);
    setTickets(open.items.filter((t) => t.runId === runId));
    setPatches(proposed.items);
  }, [session, runId]);

  // The run, its whole history and its graph (the IR of its latest event: patches included).
  useEffect(() => {
    let stale = false;
    // The summary and the log are fetched at once; the graph needs the log's last IR.
    void (async () => {
      try {
        const [log] = await Promise.all([allEvents(session, runId), refresh()]);
        const irHash = log.at(-1)?.irHash;
        const def = irHash
          ? ((await session.client.getRunContent(runId, irHash)) as Definition)
          : undefined;
        if (stale) return;
        setEvents(log);
        setDefinition(def);
      } catch (err) {
        if (!stale) fail(err);
      }
    })();
    return () => {
      stale = true;
    };
  }, [session, runId, refresh, fail]);

  const lastSeq = events.at(-1)?.seq;
  const loaded = definition !== undefined && lastSeq !== undefined;
  // The live feed starts after what was read, once; it resumes by itself after a drop.
  const open = useMemo(
    () =>
      loaded
        ? (signal: AbortSignal, onReconnect: (reason: string) => void) =>
            session.client.runTimeline(runId, {
              after: lastSeq,
              signal,
              onReconnect: (r) => onReconnect(r.reason),
            })
        : undefined,
    [session, runId, loaded],
  );
  const onBatch = useCallback(
    (batch: TimelineMessage[]) => {
      const fresh = batch.flatMap((m) => (m.kind === 'event' ? [m.event] : []));
      if (fresh.length === 0) return;
      setEvents((prev) => {
        const last = prev.at(-1)?.seq ?? 0;
        return [...prev, ...fresh.filter((e) => e.seq > last)];
      });
      const patched = fresh.some((e) => e.type === 'PatchApplied' || e.type === 'PatchReverted');
      void (async () => {
        if (patched) {
          const irHash = fresh.at(-1)!.irHash;
          setDefinition((await session.client.getRunContent(runId, irHash)) as Definition);
        }
        await refresh();
      })().catch(fail);
    },
    [session, runId, refresh, fail],
  );
  const connection = useFeed(open, onBatch, fail);

  // Running nodes' durations tick.
  const live = run?.status === 'running' || run?.status === 'waiting';
  useEffect(() => {
    if (!live) return;
    const t = setInterval(() => setNow(Date.now()), 1_000);
    return () => clearInterval(t);
  }, [live]);

  useEffect(() => {
    if (!selected) return;
    let stale = false;
    session.client
      .getRunNode(runId, selected)
      .then((d) => {
        if (!stale) setDetail(d);
      })
      .catch(fail);
    return () => {
      stale = true;
    };
  }, [session, runId, selected, run, fail]);

  const durations = useMemo(() => nodeDurations(events, now), [events, now]);
  const facts = useMemo(() => nodeFacts(events), [events]);
  const nodes: GraphNode[] = useMemo(
    () =>
      (definition?.nodes ?? []).map((n) => ({
        id: n.id,
        type: n.type,
        status: run?.nodes[n.id]?.status ?? 'pending',
        attempts: run?.nodes[n.id]?.attempts ?? 0,
        ...(durations.has(n.id) ? { durationMs: durations.get(n.id)! } : {}),
        ...(facts.maps.has(n.id) ? { progress: facts.maps.get(n.id)! } : {}),
        ...(facts.children.has(n.id) ? { childRunId: facts.children.get(n.id)! } : {}),
      })),
    [definition, run, durations, facts],
  );
  const edges: GraphEdge[] = useMemo(() => definition?.edges ?? [], [definition]);

  const decide = async (ticketId: string, decision: 'approved' | 'rejected', reason: string) => {
    await session.client.decideApproval(ticketId, { decision, ...(reason ? { reason } : {}) });
    await refresh();
  };
  const cancel = async () => {
    try {
      await session.client.cancelRun(runId, { reason: 'cancelled from the canvas' });
      await refresh();
    } catch (err) {
      fail(err);
    }
  };

  return (
    <section className="run-page">
      <Banner connection={connection} />
      <header className="page-header">
        <h1>
          <Link href="/runs">Runs</Link> / {runId}
        </h1>
        {run ? (
          <div className="run-summary">
            <span className={`status status-${run.status}`} data-run-status={run.status}>
              {STATUS_ICON[run.status]} {run.status}
            </span>
            <span>{run.workflow}</span>
            <span>started {formatTime(run.startedAt)}</span>
            <span>{formatDuration((run.endedAt ?? now) - run.startedAt)}</span>
            {run.parentRunId ? (
              <Link href={`/runs/${run.parentRunId}`}>child of {run.parentRunId}</Link>
            ) : null}
            {run.replayOf ? (
              <Link href={`/runs/${run.replayOf}`}>replay of {run.replayOf}</Link>
            ) : null}
            {live ? (
              <button type="button" className="danger" onClick={() => void cancel()}>
                Cancel run
              </button>
            ) : null}
          </div>
        ) : null}
      </header>
      {error ? (
        <p role="alert" className="error">
          {error}
        </p>
      ) : null}
      <div className="run-body">
        <div className="run-graph">
          {definition ? (
            <RunGraph nodes={nodes} edges={edges} selected={selected} onOpen={setSelected} />
          ) : (
            <div className="graph-loading">Loading…</div>
          )}
        </div>
        <aside className="run-side">
          {tickets.map((t) => (
            <ApprovalCard key={t.ticketId} ticket={t} decide={decide} />
          ))}
          {selected && detail && detail.nodeId === selected ? (
            <NodePanel
              detail={detail}
              replay={async (mode) => {
                try {
                  const { runId: child } = await session.client.replayRun(runId, {
                    fromNode: selected,
                    mode,
                  });
                  navigate(`/runs/${child}`);
                } catch (err) {
                  fail(err);
                }
              }}
            />
          ) : null}
          {patches.length > 0 ? (
            <div className="card">
              <h2>Patches</h2>
              <ul className="patch-list">
                {patches.map((p) => (
                  <li key={p.patchId}>
                    <Link href={`/patches/${p.patchId}`}>{p.patchId}</Link>{' '}
                    <span className={`status status-${p.status}`}>
                      {STATUS_ICON[p.status] ?? '•'} {p.status}
                    </span>{' '}
                    by {p.author}
                  </li>
                ))}
              </ul>
            </div>
          ) : null}
          {run?.error ? (
            <div className="card">
              <h2>Run error</h2>
              <p>
                <code>{run.error.code}</code> {run.error.message}
              </p>
            </div>
          ) : null}
        </aside>
      </div>
      <Timeline events={events} now={now} />
      <History events={events} />
    </section>
  );
}

function NodePanel({
  detail,
  replay,
}: {
  detail: NodeDetail;
  replay: (mode: 'freeze' | 'live') => Promise<void>;
}) {
  const [mode, setMode] = useState<'freeze' | 'live'>('freeze');
  return (
    <div className="card node-panel" aria-label={`node ${detail.nodeId}`}>
      <h2>
        {detail.nodeId} <small>{detail.type}</small>
      </h2>
      <p className={`status status-${detail.status}`}>
        {STATUS_ICON[detail.status]} {detail.status} · {detail.attempts} attempt
        {detail.attempts === 1 ? '' : 's'}
      </p>
      {detail.error ? (
        <p className="error">
          <code>{detail.error.code}</code> {detail.error.message}
          {detail.error.retryable ? ' (retryable)' : ''}
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
      <h3>Input</h3>
      <pre tabIndex={0} aria-label="input">
        {JSON.stringify(detail.input, null, 2) ?? '—'}
      </pre>
      <h3>Output</h3>
      <pre tabIndex={0} aria-label="output">
        {JSON.stringify(detail.output, null, 2) ?? '—'}
      </pre>
    </div>
  );
}
