// The shell: sign-in, navigation, and the page for the current path.
import { Suspense, lazy, useCallback, useEffect, useState } from 'react';
import { clientFor, forgetToken, initialToken, refusal, storeToken } from './session.js';
import type { Session } from './session.js';
import { Link, navigate, usePath } from './router.js';
import { LoginPage } from './views/LoginPage.js';
import { RunsPage } from './views/RunsPage.js';
import { RunPage } from './views/RunPage.js';
import { ApprovalsPage } from './views/ApprovalsPage.js';
import { PatchPage } from './views/PatchPage.js';
import { WorkflowsPage } from './views/WorkflowsPage.js';
import { WorkflowDiffPage } from './views/WorkflowDiffPage.js';
import { DraftsPage } from './drafts/DraftsPage.js';
import { SchedulesPage } from './schedules/SchedulesPage.js';

// The editor (its forms, the schema, JSONata) is loaded when first opened.
const EditorPage = lazy(() => import('./editor/EditorPage.js'));
const DraftEditorPage = lazy(() => import('./drafts/DraftEditorPage.js'));

type Auth =
  { state: 'checking' } | { state: 'out'; reason?: string } | { state: 'in'; session: Session };

export function App() {
  const [auth, setAuth] = useState<Auth>({ state: 'checking' });
  const path = usePath();

  const signIn = useCallback(async (token: string) => {
    const client = clientFor(token);
    try {
      const me = await client.whoami();
      storeToken(token);
      setAuth({ state: 'in', session: { client, me, token } });
    } catch (err) {
      forgetToken();
      setAuth({ state: 'out', reason: refusal(err) });
    }
  }, []);
  useEffect(() => {
    const token = initialToken();
    if (token) void signIn(token);
    else setAuth({ state: 'out' });
  }, [signIn]);
  useEffect(() => {
    if (path === '/') navigate('/runs');
  }, [path]);

  // An expired or revoked token ends the session with the server's reason.
  const onAuthFailure = useCallback((err: unknown) => {
    forgetToken();
    setAuth({ state: 'out', reason: refusal(err) });
  }, []);

  if (auth.state === 'checking') return <p className="empty">Signing in…</p>;
  if (auth.state === 'out') return <LoginPage reason={auth.reason} onToken={signIn} />;
  const { session } = auth;
  const runMatch = /^\/runs\/([^/]+)$/.exec(path);
  const patchMatch = /^\/patches\/([^/]+)$/.exec(path);
  const editMatch = /^\/workflows\/([^/]+)\/([^/]+)\/edit$/.exec(path);
  const diffMatch = /^\/workflows\/([^/]+)\/diff\/([^/]+)\/([^/]+)$/.exec(path);
  const draftMatch = /^\/drafts\/([^/]+)$/.exec(path);
  const part = (m: RegExpExecArray, i: number) => decodeURIComponent(m[i]!);
  return (
    <div className="app">
      <nav aria-label="main">
        <strong className="brand">aob</strong>
        <Link href="/runs" aria-current={path.startsWith('/runs') ? 'page' : undefined}>
          Runs
        </Link>
        <Link href="/approvals" aria-current={path === '/approvals' ? 'page' : undefined}>
          Approvals &amp; questions
        </Link>
        <Link href="/workflows" aria-current={path.startsWith('/workflows') ? 'page' : undefined}>
          Workflows
        </Link>
        <Link href="/drafts" aria-current={path.startsWith('/drafts') ? 'page' : undefined}>
          Drafts
        </Link>
        <Link href="/schedules" aria-current={path === '/schedules' ? 'page' : undefined}>
          Schedules
        </Link>
        <span className="who">
          {session.me.subject} · {session.me.role} · {session.me.namespace}
        </span>
        <button
          type="button"
          onClick={() => {
            forgetToken();
            setAuth({ state: 'out' });
          }}
        >
          Sign out
        </button>
      </nav>
      <main>
        {runMatch ? (
          <RunPage
            key={runMatch[1]}
            session={session}
            runId={decodeURIComponent(runMatch[1]!)}
            onAuthFailure={onAuthFailure}
          />
        ) : patchMatch ? (
          <PatchPage
            key={patchMatch[1]}
            session={session}
            patchId={decodeURIComponent(patchMatch[1]!)}
            onAuthFailure={onAuthFailure}
          />
        ) : editMatch || path === '/workflows/new' ? (
          <Suspense fallback={<p className="empty">Loading the editor…</p>}>
            <EditorPage
              key={path}
              session={session}
              {...(editMatch
                ? { workflow: { name: part(editMatch, 1), version: part(editMatch, 2) } }
                : {})}
              onAuthFailure={onAuthFailure}
            />
          </Suspense>
        ) : draftMatch ? (
          <Suspense fallback={<p className="empty">Loading the editor…</p>}>
            <DraftEditorPage
              key={path}
              session={session}
              draftId={part(draftMatch, 1)}
              onAuthFailure={onAuthFailure}
            />
          </Suspense>
        ) : path === '/schedules' ? (
          <SchedulesPage session={session} onAuthFailure={onAuthFailure} />
        ) : path === '/drafts' ? (
          <DraftsPage session={session} onAuthFailure={onAuthFailure} />
        ) : diffMatch ? (
          <WorkflowDiffPage
            key={path}
            session={session}
            name={part(diffMatch, 1)}
            from={part(diffMatch, 2)}
            to={part(diffMatch, 3)}
            onAuthFailure={onAuthFailure}
          />
        ) : path === '/workflows' ? (
          <WorkflowsPage session={session} onAuthFailure={onAuthFailure} />
        ) : path === '/approvals' ? (
          <ApprovalsPage session={session} onAuthFailure={onAuthFailure} />
        ) : (
          <RunsPage session={session} onAuthFailure={onAuthFailure} />
        )}
      </main>
    </div>
  );
}
