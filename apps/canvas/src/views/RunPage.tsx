// One run: its graph (live), the node panel, its open approvals, and its event history.
import { useCallback, useEffect, useMemo, useState } from 'react';
import type { AnyRunEvent } from '@aob/core';
import { WaterfallFolder } from '@aob/client';
import type {
  ApprovalView,
  NodeDetail,
  PatchView,
  QuestionView,
  RunView,
  TimelineMessage,
} from '@aob/client';
import type { Session } from '../session.js';
import { usePageError } from '../page-error.js';
import { readRunLog, useFeed, useRereader } from '../feed.js';
import { RunFolder, nodeDurations } from '../durations.js';
import { RunGraph } from '../graph/RunGraph.js';
import type { GraphEdge, GraphNode } from '../graph/RunGraph.js';
import { Link, navigate } from '../router.js';
import { BudgetCard } from './BudgetCard.js';
import { STATUS_ICON, formatDuration, formatTime } from '../status.js';
import { ApprovalCard } from './ApprovalCard.js';
import { Banner } from './Banner.js';
import { History } from './History.js';
import { Timeline } from './Timeline.js';
import { Waterfall, useChildLogs } from './Waterfall.js';
import { NodePanel } from './NodePanel.js';
import { QuestionCard } from './QuestionCard.js';

interface Definition {
  nodes: { id: string; type: string }[];
  edges: { from: string; to: string; on?: string }[];
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
  /** Every question of the run (open ones are shown as cards, all of them in the node panel). */
  const [questions, setQuestions] = useState<QuestionView[]>([]);
  const [patches, setPatches] = useState<PatchView[]>([]);
  const [selected, setSelected] = useState<string>();
  const [detail, setDetail] = useState<NodeDetail>();
  // Text the run's nodes stream (llm and agent tokens), by node, since the page opened: deltas
  // are not kept by the engine, so a page sees only what arrives while it is open.
  const [liveText, setLiveText] = useState<ReadonlyMap<string, string>>(new Map());
  const { error, fail } = usePageError(onAuthFailure);
  const [now, setNow] = useState(Date.now());

  const readRun = useCallback(async () => {
    setRun(await session.client.getRun(runId));
  }, [session, runId]);
  const readApprovals = useCallback(async () => {
    const [open, asked] = await Promise.all([
      session.client.listApprovals({ status: 'open' }),
      session.client.all((cursor) =>
        session.client.questions({ status: 'all', run: runId, ...(cursor ? { cursor } : {}) }),
      ),
    ]);
    setTickets(open.items.filter((t) => t.runId === runId));
    setQuestions(asked);
  }, [session, runId]);
  const readPatches = useCallback(async () => {
    setPatches((await session.client.listPatches({ run: runId })).items);
  }, [session, runId]);
  const refresh = useCallback(async () => {
    await Promise.all([readRun(), readApprovals(), readPatches()]);
  }, [readRun, readApprovals, readPatches]);

  // Live events have the summary read again: at once for an event about the run or a whole node
  // (a status may change; a log line does not), at most every max(250 ms, twice a read's time)
  // for events of map items alone (the page counts their progress from the events themselves).
  // Each read makes the server fold the run's log: a read per frame at 500 events/s starved the
  // server and the run.
  const refreshSoon = useRereader(refresh, fail);

  // The run, its whole history and its graph (the IR of its latest event: patches included).
  useEffect(() => {
    let stale = false;
    const failed = (err: unknown) => {
      if (!stale) fail(err);
    };
    // The summary (statuses) and the log are read at once, and the graph as soon as the log's
    // first page names its IR (read again only if the run was patched since). These requests
    // share the server's one thread (each reads or folds the log), so what the first view needs
    // less waits: open approvals until the first page is here, the patches until the whole log is.
    void (async () => {
      try {
        const ir = (hash: string | undefined) =>
          hash ? (session.client.getRunContent(runId, hash) as Promise<Definition>) : undefined;
        let firstHash: string | undefined;
        let firstDef: Promise<Definition> | undefined;
        const [log] = await Promise.all([
          readRunLog(session.client, runId, (page) => {
            firstHash = page.at(-1)?.irHash;
            firstDef = ir(firstHash);
            // Not awaited until the log is read; an early failure must not go unhandled.
            firstDef?.catch(() => undefined);
            readApprovals().catch(failed);
          }),
          readRun(),
        ]);
        readPatches().catch(failed);
        const irHash = log.at(-1)?.irHash;
        const def = await (irHash === firstHash ? firstDef : ir(irHash));
        if (stale) return;
        setEvents(log);
        setDefinition(def);
      } catch (err) {
        failed(err);
      }
    })();
    return () => {
      stale = true;
    };
  }, [session, runId, readRun, readApprovals, readPatches, fail]);

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
      const deltas = batch.flatMap((m) => (m.kind === 'delta' ? [m.delta] : []));
      if (deltas.length > 0) {
        setLiveText((prev) => {
          const next = new Map(prev);
          for (const d of deltas) next.set(d.nodeId, (next.get(d.nodeId) ?? '') + d.delta);
          return next;
        });
      }
      const fresh = batch.flatMap((m) => (m.kind === 'event' ? [m.event] : []));
      if (fresh.length === 0) return;
      setEvents((prev) => {
        const last = prev.at(-1)?.seq ?? 0;
        const added = fresh.filter((e) => e.seq > last);
        return added.length === 0 ? prev : [...prev, ...added];
      });
      if (fresh.some((e) => e.type === 'PatchApplied' || e.type === 'PatchReverted')) {
        const irHash = fresh.at(-1)!.irHash;
        (session.client.getRunContent(runId, irHash) as Promise<Definition>)
          .then(setDefinition)
          .catch(fail);
      }
      refreshSoon(
        fresh.some(
          (e) => e.type !== 'NodeLog' && (e.data as { iteration?: number }).iteration === undefined,
        ),
      );
    },
    [session, runId, refreshSoon, fail],
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

  // Folded as the log grows: a batch costs its own events, not the whole log again.
  const [folder] = useState(() => new RunFolder());
  const facts = useMemo(() => folder.of(events), [folder, events]);
  const durations = useMemo(() => nodeDurations(facts, now), [facts, now]);
  // Like the nodes', the run's status comes from the log once it is read.
  const runStatus = facts.status ?? run?.status;
  const nodes: GraphNode[] = useMemo(
    () =>
      (definition?.nodes ?? []).map((n) => ({
        id: n.id,
        type: n.type,
        // From the log as it arrives: the summary is read again after events, a round trip later.
        status: facts.nodes.get(n.id)?.status ?? 'pending',
        attempts: facts.nodes.get(n.id)?.attempts ?? 0,
        ...(durations.has(n.id) ? { durationMs: durations.get(n.id)! } : {}),
        ...(facts.maps.has(n.id) ? { progress: facts.maps.get(n.id)! } : {}),
        ...(facts.children.has(n.id) ? { childRunId: facts.children.get(n.id)! } : {}),
      })),
    [definition, durations, facts],
  );
  const edges: GraphEdge[] = useMemo(() => definition?.edges ?? [], [definition]);

  // The waterfall (beside the graph, a tab): the rows `aob trace` prints, from the log as it grows,
  // with child runs' rows read from their logs.
  const [view, setView] = useState<'graph' | 'waterfall'>('graph');
  const [waterfallFolder] = useState(() => new WaterfallFolder());
  const [childLogs, setChildLogs] = useState<ReadonlyMap<string, AnyRunEvent[]>>(new Map());
  // Only while the tab is shown (the folder catches up on the events it missed when it opens).
  const waterfall = useMemo(
    () => (view === 'waterfall' ? waterfallFolder.of(events, { now, childLogs }) : undefined),
    [view, waterfallFolder, events, now, childLogs],
  );
  useChildLogs(session.client, waterfall, setChildLogs);

  const decide = async (ticketId: string, decision: 'approved' | 'rejected', reason: string) => {
    await session.client.decideApproval(ticketId, { decision, ...(reason ? { reason } : {}) });
    await refresh();
  };
  const answer = async (questionId: string, value: unknown) => {
    await session.client.answer(questionId, value);
    await refresh();
  };
  const raiseBudget = async (budget: Record<string, number>, reason: string) => {
    await session.client.raiseRunBudget(runId, { budget, ...(reason ? { reason } : {}) });
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
    <section className="run-page" data-last-seq={lastSeq}>
      <Banner connection={connection} />
      <header className="page-header">
        <h1>
          <Link href="/runs">Runs</Link> / {runId}
        </h1>
        {run ? (
          <div className="run-summary">
            <span className={`status status-${runStatus}`} data-run-status={runStatus}>
              {STATUS_ICON[runStatus!]} {runStatus}
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
        <div className="run-views">
          <div className="run-tabs" role="tablist" aria-label="run view">
            {(['graph', 'waterfall'] as const).map((v) => (
              <button
                key={v}
                type="button"
                role="tab"
                id={`run-tab-${v}`}
                aria-controls="run-view-panel"
                aria-selected={view === v}
                tabIndex={view === v ? 0 : -1}
                onClick={() => setView(v)}
                onKeyDown={(e) => {
                  if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
                  const other = v === 'graph' ? 'waterfall' : 'graph';
                  setView(other);
                  document.getElementById(`run-tab-${other}`)?.focus();
                }}
              >
                {v === 'graph' ? 'Graph' : 'Waterfall'}
              </button>
            ))}
          </div>
          <div
            className="run-graph"
            id="run-view-panel"
            role="tabpanel"
            aria-labelledby={`run-tab-${view}`}
          >
            {view === 'waterfall' ? (
              <Waterfall waterfall={waterfall} selected={selected} onSelect={setSelected} />
            ) : definition ? (
              <RunGraph nodes={nodes} edges={edges} selected={selected} onOpen={setSelected} />
            ) : (
              <div className="graph-loading">Loading…</div>
            )}
          </div>
        </div>
        <aside className="run-side">
          {tickets.map((t) => (
            <ApprovalCard key={t.ticketId} ticket={t} decide={decide} />
          ))}
          {questions
            .filter((q) => q.status === 'open')
            .map((q) => (
              <QuestionCard key={q.questionId} question={q} answer={answer} />
            ))}
          {run ? <BudgetCard run={run} now={now} raise={raiseBudget} /> : null}
          {selected && detail && detail.nodeId === selected ? (
            <NodePanel
              session={session}
              detail={detail}
              liveText={liveText.get(detail.nodeId)}
              logs={events.filter(
                (e): e is Extract<AnyRunEvent, { type: 'NodeLog' }> =>
                  e.type === 'NodeLog' && e.data.nodeId === detail.nodeId,
              )}
              patches={patches.filter((p) => p.author === `agent:${detail.nodeId}`)}
              questions={questions.filter((q) => q.nodeId === detail.nodeId)}
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
