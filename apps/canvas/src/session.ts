// Who the browser is: a bearer token, kept in sessionStorage (this tab only, gone with it). `aob
// dev` prints a URL carrying a token in its fragment (#token=…), which never reaches a server or
// its logs; the app takes it, stores it and removes it from the address bar. Elsewhere the person
// pastes a token. A 401 from the API ends the session and brings the login back with the reason.
import { AobHttpClient } from '@aob/client';
import type { WhoAmI } from '@aob/client';

const KEY = 'aob.token';

/** Takes a token from `#token=…` (then forgets the fragment); else the stored one. */
export function initialToken(): string | undefined {
  const hash = new URLSearchParams(window.location.hash.slice(1));
  const fromUrl = hash.get('token');
  if (fromUrl) {
    sessionStorage.setItem(KEY, fromUrl);
    const clean = window.location.pathname + window.location.search;
    window.history.replaceState(null, '', clean === '/' ? '/runs' : clean);
    return fromUrl;
  }
  return sessionStorage.getItem(KEY) ?? undefined;
}

export function storeToken(token: string): void {
  sessionStorage.setItem(KEY, token);
}

export function forgetToken(): void {
  sessionStorage.removeItem(KEY);
}

export function clientFor(token: string): AobHttpClient {
  return new AobHttpClient({ baseUrl: window.location.origin, token });
}

export interface Session {
  client: AobHttpClient;
  me: WhoAmI;
  /** The bearer token `client` sends, for the feeds it has no method for (drafts/api.ts). */
  token: string;
}

/** Why a token was refused, in words a person can act on. */
export function refusal(err: unknown): string {
  const e = err as { status?: number; code?: string; detail?: string; message?: string };
  if (e.status === 401) {
    return e.code === 'TOKEN_REVOKED'
      ? 'This token was revoked. Ask an admin for a new one (aob token create).'
      : `The server does not accept this token${e.detail ? `: ${e.detail}` : ''}.`;
  }
  return `Cannot reach the server: ${e.detail ?? e.message ?? String(err)}`;
}
