// The framework's own errors as problems with this API's codes. fastify raises some errors
// before any route runs (a URL it cannot decode, a path parameter past its length limit, a body
// too large): each becomes problem+json like every other answer. A framework code this table
// does not know is a fault of the server (set-up, serialisation), answered as 500 INTERNAL
// without the framework's text.
import { problem } from './problem.js';
import type { ProblemBody } from './problem.js';

interface FrameworkError {
  code?: string;
  message?: string;
}

type Answer = (e: FrameworkError) => ProblemBody;

const said = (e: FrameworkError, fallback: string) => e.message ?? fallback;

/** The errors a client can cause, by fastify code. */
const CLIENT_ERRORS: Readonly<Record<string, Answer>> = {
  FST_ERR_BAD_URL: () =>
    problem(400, 'BAD_URL', 'the URL has an invalid percent-encoding (each % must start %XX)', [
      { code: 'BAD_URL', path: 'url', message: 'is not a valid URL component' },
    ]),
  FST_ERR_INVALID_URL: () =>
    problem(400, 'BAD_URL', 'the URL is not valid', [
      { code: 'BAD_URL', path: 'url', message: 'is not a valid URL' },
    ]),
  FST_ERR_MAX_PARAM_LENGTH: () =>
    problem(414, 'PARAM_TOO_LONG', 'a path parameter is longer than 500 characters', [
      { code: 'PARAM_TOO_LONG', path: 'params', message: 'is longer than 500 characters' },
    ]),
  FST_ERR_NOT_FOUND: () => problem(404, 'NO_ROUTE', 'no such route'),
  FST_ERR_CTP_BODY_TOO_LARGE: () =>
    problem(413, 'BODY_TOO_LARGE', 'the request body is larger than this server accepts'),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () =>
    problem(415, 'UNSUPPORTED_MEDIA_TYPE', 'send the body as application/json'),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () =>
    problem(400, 'BAD_CONTENT_LENGTH', 'the Content-Length header does not match the body', [
      { code: 'BAD_CONTENT_LENGTH', path: 'headers/content-length', message: 'does not match' },
    ]),
  FST_ERR_CTP_EMPTY_JSON_BODY: () =>
    problem(400, 'EMPTY_BODY', 'the request says it is JSON but has no body', [
      { code: 'EMPTY_BODY', path: 'body', message: 'is empty' },
    ]),
  FST_ERR_CTP_INVALID_JSON_BODY: (e) =>
    problem(400, 'MALFORMED_JSON', `the request body is not valid JSON: ${said(e, '')}`, [
      { code: 'MALFORMED_JSON', path: 'body', message: said(e, 'is not valid JSON') },
    ]),
  FST_ERR_HANDLER_TIMEOUT: () =>
    problem(503, 'TIMEOUT', 'the server did not finish the request in time; try again'),
};

/** Whether `err` is one of fastify's own errors. */
export function isFrameworkError(err: unknown): err is FrameworkError & Error {
  const code = (err as FrameworkError | null)?.code;
  return typeof code === 'string' && code.startsWith('FST_');
}

/** The problem for a fastify error: a client error by the table, anything else 500 INTERNAL. */
export function frameworkProblem(err: FrameworkError): ProblemBody {
  const answer = err.code !== undefined ? CLIENT_ERRORS[err.code] : undefined;
  if (answer) return answer(err);
  return problem(500, 'INTERNAL', 'the server failed to handle this request');
}
