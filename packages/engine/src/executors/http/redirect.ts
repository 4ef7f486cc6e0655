import { AobError } from '@aob/core';
import type { HttpRequestSpec } from './config.js';

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/** Credentials that must not follow a request to another origin. */
const CREDENTIAL_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];

export function isRedirect(status: number, location: string | undefined): location is string {
  return REDIRECT_STATUSES.has(status) && location !== undefined && location !== '';
}

/**
 * The request for the next hop, as the Fetch standard does it: 303 (and 301/302 after a POST)
 * becomes a GET without a body; 307/308 repeat the method and body. Credential headers are dropped
 * when the origin changes; URL userinfo survives only a relative (hence same-origin) Location.
 */
export function nextHop(prev: HttpRequestSpec, status: number, location: string): HttpRequestSpec {
  let url: URL;
  try {
    url = new URL(location, prev.url);
  } catch {
    throw new AobError('HTTP_BAD_REDIRECT', `${prev.url.origin} redirected to an invalid URL`, {
      retryable: false,
      details: { status },
    });
  }
  const headers = { ...prev.headers };
  if (url.origin !== prev.url.origin) for (const h of CREDENTIAL_HEADERS) delete headers[h];

  const toGet =
    (status === 303 && prev.method !== 'HEAD') ||
    ((status === 301 || status === 302) && prev.method === 'POST');
  if (toGet) {
    delete headers['content-type'];
    return { method: 'GET', url, headers };
  }
  const next: HttpRequestSpec = { method: prev.method, url, headers };
  if (prev.body !== undefined) next.body = prev.body;
  return next;
}
