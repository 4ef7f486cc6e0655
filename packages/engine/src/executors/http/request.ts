import type * as Http from 'node:http';
import type { IncomingMessage } from 'node:http';
import type * as Https from 'node:https';
import { createRequire } from 'node:module';
import { pipeline } from 'node:stream';
import type { Readable } from 'node:stream';
import type * as Zlib from 'node:zlib';
import { AobError } from '@aob/core';
import { abortError } from '../abort.js';
import { pinnedLookup } from '../net/guard.js';
import type { DialTarget } from '../net/guard.js';
import type { HttpRequestSpec } from './config.js';

// node:http, node:https and node:zlib are required at the first request, not when the engine is
// imported: loading them (TLS and compression included) costs every CLI command a few milliseconds
// and ~2 MiB of resident memory, and most runs send no http node.
const require = createRequire(import.meta.url);
const http = (): typeof Http => require('node:http') as typeof Http;
const https = (): typeof Https => require('node:https') as typeof Https;
const zlib = (): typeof Zlib => require('node:zlib') as typeof Zlib;

/** TLS failures that will fail the same way on every retry. */
const TLS_CODES =
  /^(CERT_|ERR_TLS_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_)/;

/**
 * Sends one request to a checked target and resolves with the response head; the body is left
 * unread (see readBody / discard). The socket is connected only to `target.addresses` via a pinned
 * lookup, and each request gets its own agent: a pooled keep-alive socket could have been opened
 * under a different policy.
 */
export function send(
  spec: HttpRequestSpec,
  target: DialTarget,
  signal: AbortSignal,
): Promise<IncomingMessage> {
  const { url } = spec;
  const client = url.protocol === 'https:' ? https() : http();
  return new Promise<IncomingMessage>((resolve, reject) => {
    const headers: Record<string, string> = { 'user-agent': 'aob-http', ...spec.headers };
    if (spec.body !== undefined) headers['content-length'] = String(spec.body.length);
    let req: Http.ClientRequest;
    try {
      req = client.request({
        protocol: url.protocol,
        hostname: target.hostname,
        port: target.port,
        path: `${url.pathname}${url.search}`,
        method: spec.method,
        headers,
        auth:
          url.username || url.password
            ? `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`
            : undefined,
        agent: false,
        lookup: pinnedLookup(target.addresses),
        signal,
      });
    } catch (err) {
      // node validates names and values synchronously (e.g. non-Latin-1 header values).
      reject(new AobError('BAD_CONFIG', `invalid HTTP request: ${(err as Error).message}`));
      return;
    }
    req.once('response', resolve);
    // `on`, not `once`: a socket can report more than one error and none may go unhandled.
    req.on('error', (err) => reject(networkError(err, signal, url)));
    req.end(spec.body);
  });
}

/** Drops a response body nobody will read, freeing the socket. */
export function discard(res: IncomingMessage): void {
  res.resume();
  res.on('error', () => undefined);
}

/**
 * Reads the whole body, decompressing gzip/deflate/br, and refuses ('RESPONSE_TOO_LARGE',
 * non-retryable) once more than `maxBytes` have arrived after decompression, so neither a large
 * body nor a compression bomb is buffered.
 */
export async function readBody(
  res: IncomingMessage,
  maxBytes: number,
  signal: AbortSignal,
  method: string,
  url: URL,
): Promise<Buffer> {
  const tooLarge = (): AobError =>
    new AobError('RESPONSE_TOO_LARGE', `response from ${url.origin} exceeds ${maxBytes} bytes`, {
      retryable: false,
      details: { limit: maxBytes },
    });
  // A HEAD response declares the length of a body it does not send.
  const declared = method === 'HEAD' ? NaN : Number(res.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    res.destroy();
    throw tooLarge();
  }
  const stream = decoded(res);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream) {
      const buf = chunk as Buffer;
      size += buf.length;
      if (size > maxBytes) throw tooLarge();
      chunks.push(buf);
    }
  } catch (err) {
    if (err instanceof AobError) throw err;
    throw networkError(err, signal, url);
  } finally {
    res.destroy();
  }
  return Buffer.concat(chunks, size);
}

function decoded(res: IncomingMessage): Readable {
  const encoding = (res.headers['content-encoding'] ?? '').trim().toLowerCase();
  const decoder =
    encoding === 'gzip' || encoding === 'x-gzip'
      ? zlib().createGunzip()
      : encoding === 'deflate'
        ? zlib().createInflate()
        : encoding === 'br'
          ? zlib().createBrotliDecompress()
          : undefined;
  if (decoder === undefined) return res;
  // Errors of either stream surface on the decoder, which the caller iterates.
  return pipeline(res, decoder, () => undefined);
}

function networkError(err: unknown, signal: AbortSignal, url: URL): AobError {
  if (signal.aborted) return abortError(signal);
  const code = (err as { code?: unknown }).code;
  const message = `request to ${url.origin} failed: ${(err as Error).message}`;
  if (typeof code === 'string' && TLS_CODES.test(code)) {
    return new AobError('HTTP_TLS', message, { retryable: false, details: { code } });
  }
  return new AobError('HTTP_NETWORK', message, {
    retryable: true,
    details: typeof code === 'string' ? { code } : undefined,
  });
}
