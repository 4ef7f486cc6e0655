// Sign in with a token (a person pastes one; `aob dev` prints a URL that does it for them).
import { useState } from 'react';

export function LoginPage(props: { reason?: string; onToken: (token: string) => Promise<void> }) {
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  return (
    <main className="login">
      <h1>aob canvas</h1>
      {props.reason ? (
        <p role="alert" className="error">
          {props.reason}
        </p>
      ) : (
        <p>Paste an API token (aob token create), or open the URL aob dev printed.</p>
      )}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setBusy(true);
          void props.onToken(token.trim()).finally(() => setBusy(false));
        }}
      >
        <label>
          Token
          <input
            type="password"
            autoComplete="off"
            value={token}
            onChange={(e) => setToken(e.target.value)}
            autoFocus
          />
        </label>
        <button type="submit" disabled={busy || token.trim() === ''}>
          Sign in
        </button>
      </form>
    </main>
  );
}
