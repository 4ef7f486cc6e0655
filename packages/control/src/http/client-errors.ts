// Requests Node's HTTP parser refuses before fastify sees them (a header block too large, a
// request line that is no HTTP, bad chunked framing, a missing Host): answered on the raw socket
// as problem+json with this API's code, like every other answer, and the connection closed (the
// stream cannot be trusted after a framing error).
import type { Socket } from 'node:net';
import { STATUS_CODES } from 'node:http';
import { problem } from './problem.js';
import type { ProblemBody } from './problem.js';

/** Node's parser and server error codes, by what the client did wrong. */
function clientProblem(code: string | undefined): ProblemBody {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return problem(431, 'HEADERS_TOO_LARGE', 'the request line and headers exceed 16 KiB');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
    case 'ERR_HTTP_HEADERS_TIMEOUT':
      return problem(408, 'REQUEST_TIMEOUT', 'the request was not received in time');
    case 'HPE_INVALID_METHOD':
      return problem(400, 'BAD_REQUEST', 'the request method is not an HTTP method');
    case 'HPE_INVALID_CHUNK_SIZE':
      return problem(400, 'BAD_REQUEST', 'the chunked body has an invalid chunk size');
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
      return problem(
        400,
        'BAD_REQUEST',
        'the request has both Transfer-Encoding and Content-Length; send one',
      );
    case 'HPE_INVALID_HEADER_TOKEN':
    case 'HPE_INVALID_CONTENT_LENGTH':
    case 'HPE_INVALID_TRANSFER_ENCODING':
      return problem(400, 'BAD_REQUEST', 'a request header is malformed');
    default:
      return problem(400, 'BAD_REQUEST', 'the request is not well-formed HTTP/1.1');
  }
}

/** Writes the problem for a refused request to the socket and closes it. */
export function answerClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  // A reset connection has no one to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  if (socket.writable) socket.write(rawProblemResponse(clientProblem(err.code)));
  socket.destroy();
}

/** An HTTP/1.1 response carrying `body`, for writing to a socket whose parser gave up. */
export function rawProblemResponse(body: ProblemBody): string {
  const text = JSON.stringify(body);
  return (
    `HTTP/1.1 ${body.status} ${STATUS_CODES[body.status] ?? 'Error'}\r\n` +
    `Content-Type: application/problem+json\r\n` +
    `Content-Length: ${Buffer.byteLength(text)}\r\n` +
    `Connection: close\r\n\r\n${text}`
  );
}
