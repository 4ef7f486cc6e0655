// The errors of AobHttpClient. Both are plain data with a stable `code` (compare by code, never by
// class: a caller may hold another copy of this package). An `AobApiError` is the server's answer
// (an RFC 9457 problem document); an `AobUnreachableError` means no answer came at all.

/** One invalid field of a request, as the server names it. */
export interface ApiProblem {
  code: string;
  path: string;
  message: string;
}

/** The server answered with an error status; `errors` lists every problem it named. */
export class AobApiError extends Error {
  readonly code: string;
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  readonly type: string;
  readonly errors: ApiProblem[];
  /** 5xx answers may succeed when tried again; 4xx answers never do. */
  readonly retryable: boolean;
  constructor(init: {
    status: number;
    code: string;
    title?: string;
    detail?: string;
    type?: string;
    errors?: ApiProblem[];
  }) {
    const detail = init.detail ?? init.title ?? `HTTP ${init.status}`;
    super(detail);
    this.name = 'AobApiError';
    this.status = init.status;
    this.code = init.code;
    this.title = init.title ?? '';
    this.detail = detail;
    this.type = init.type ?? 'about:blank';
    this.errors = init.errors ?? [];
    this.retryable = init.status >= 500;
  }
}

/** No HTTP answer: connection refused, unknown host, TLS failure, timeout, dropped connection. */
export class AobUnreachableError extends Error {
  readonly code = 'SERVER_UNREACHABLE';
  readonly retryable = true;
  /** What the network layer said, e.g. ECONNREFUSED, ENOTFOUND, TIMEOUT. */
  readonly reason: string;
  readonly url: string;
  constructor(url: string, reason: string, message: string) {
    super(message);
    this.name = 'AobUnreachableError';
    this.url = url;
    this.reason = reason;
  }
}

/** The code an HTTP status means when the body names none. */
export function codeForStatus(status: number): string {
  switch (status) {
    case 400:
      return 'BAD_REQUEST';
    case 401:
      return 'UNAUTHENTICATED';
    case 403:
      return 'FORBIDDEN';
    case 404:
      return 'NOT_FOUND';
    case 409:
      return 'CONFLICT';
    case 413:
      return 'PAYLOAD_TOO_LARGE';
    case 415:
      return 'UNSUPPORTED_MEDIA_TYPE';
    case 429:
      return 'RATE_LIMITED';
    default:
      return status >= 500 ? 'SERVER_ERROR' : `HTTP_${status}`;
  }
}

/**
 * The error an HTTP error answer means. The body is read as a problem document when it is one
 * (whatever its content type claims); otherwise its text (cut short) becomes the detail, so an
 * HTML page from a proxy still says something.
 */
export function apiErrorFrom(status: number, statusText: string, body: string): AobApiError {
  let doc: Record<string, unknown> | undefined;
  try {
    const parsed = JSON.parse(body) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
      doc = parsed as Record<string, unknown>;
    }
  } catch {
    doc = undefined;
  }
  if (!doc) {
    const text = body.trim().slice(0, 200);
    return new AobApiError({
      status,
      code: codeForStatus(status),
      title: statusText,
      detail: text ? `HTTP ${status} ${statusText}: ${text}` : `HTTP ${status} ${statusText}`,
    });
  }
  const str = (v: unknown): string | undefined =>
    typeof v === 'string' && v !== '' ? v : undefined;
  const errors = Array.isArray(doc.errors) ? doc.errors.map(toProblem) : [];
  const title = str(doc.title);
  const init: ConstructorParameters<typeof AobApiError>[0] = {
    status,
    code: str(doc.code) ?? codeForStatus(status),
    errors,
  };
  if (title !== undefined) init.title = title;
  const detail = str(doc.detail) ?? title;
  if (detail !== undefined) init.detail = detail;
  else init.detail = `HTTP ${status} ${statusText}`;
  const type = str(doc.type);
  if (type !== undefined) init.type = type;
  return new AobApiError(init);
}

function toProblem(p: unknown): ApiProblem {
  if (!p || typeof p !== 'object') return { code: 'INVALID', path: '', message: String(p) };
  const o = p as Record<string, unknown>;
  return {
    code: typeof o.code === 'string' ? o.code : 'INVALID',
    path: typeof o.path === 'string' ? o.path : '',
    message: typeof o.message === 'string' ? o.message : JSON.stringify(p),
  };
}

/**
 * The unreachable error a failed fetch means. Node's fetch throws `TypeError('fetch failed')`
 * with the socket error as `cause` (its `code`: ECONNREFUSED, ENOTFOUND, ECONNRESET, …), or an
 * AbortError / TimeoutError when a signal ended it.
 */
export function unreachableFrom(
  url: string,
  err: unknown,
  timeoutMs?: number,
): AobUnreachableError {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') {
    const after = timeoutMs !== undefined ? ` after ${timeoutMs} ms` : '';
    return new AobUnreachableError(url, 'TIMEOUT', `no answer from ${origin(url)}${after}`);
  }
  const reason = e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err);
  const what =
    reason === 'ECONNREFUSED'
      ? 'connection refused'
      : reason === 'ENOTFOUND' || reason === 'EAI_AGAIN'
        ? 'unknown host'
        : reason === 'ECONNRESET' || reason === 'UND_ERR_SOCKET'
          ? 'connection dropped'
          : reason;
  return new AobUnreachableError(url, reason, `cannot reach ${origin(url)}: ${what}`);
}

function origin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}
