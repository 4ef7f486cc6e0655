import type { LookupFunction } from 'node:net';
import { isIP } from 'node:net';
import { AobError } from '@aob/core';
import { raceAbort } from '../abort.js';
import { classifyAddress } from './address.js';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a DNS name to every address it has (the guard must see all of them, not one). */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

/** What the address policy is asked about: one resolved address of one request (hop). */
export interface DialCandidate extends ResolvedAddress {
  port: number;
  url: URL;
}

/** True when the request may connect to this address. */
export type AddressPolicy = (candidate: DialCandidate) => boolean;

/** A request target whose every address passed the policy; connect only to these. */
export interface DialTarget {
  /** Without IPv6 brackets; still used for the Host header, SNI and certificate checks. */
  hostname: string;
  port: number;
  addresses: readonly ResolvedAddress[];
}

/** The system's resolver; `node:dns` loads at the first lookup, not in every CLI process. */
export const systemResolver: Resolver = async (hostname) => {
  const { lookup } = await import('node:dns/promises');
  const found = await lookup(hostname, { all: true, verbatim: true });
  return found.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

/** The production policy: public addresses only. */
export const publicOnly: AddressPolicy = (c) => classifyAddress(c.address) === 'public';

export const allowAll: AddressPolicy = () => true;

/**
 * The SSRF gate for one hop (ARCHITECTURE §9): the scheme must be http or https; the host is resolved
 * (an IP literal is its own single address) and the request is refused ('SSRF', non-retryable) if
 * ANY address fails the policy, since the connection could land on any of them. The caller must
 * connect only through `pinnedLookup(target.addresses)`, so a DNS answer that changes between this
 * check and the connection (rebinding) is never used.
 */
export async function resolveTarget(
  url: URL,
  policy: AddressPolicy,
  resolve: Resolver,
  signal: AbortSignal,
): Promise<DialTarget> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new AobError('SSRF', `refused ${url.protocol} URL: only http and https are allowed`, {
      retryable: false,
      details: { scheme: url.protocol.slice(0, -1) },
    });
  }
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
  const literal = isIP(hostname);
  let addresses: ResolvedAddress[];
  if (literal === 4 || literal === 6) {
    addresses = [{ address: hostname, family: literal }];
  } else {
    try {
      addresses = await raceAbort(resolve(hostname), signal);
    } catch (err) {
      if (signal.aborted || err instanceof AobError) throw err;
      const code = (err as { code?: unknown }).code;
      throw new AobError('HTTP_NETWORK', `cannot resolve ${hostname}: ${(err as Error).message}`, {
        retryable: true,
        details: { host: hostname, code: typeof code === 'string' ? code : undefined },
      });
    }
    if (addresses.length === 0) {
      throw new AobError('HTTP_NETWORK', `cannot resolve ${hostname}: no addresses`, {
        retryable: true,
        details: { host: hostname },
      });
    }
  }
  for (const a of addresses) {
    if (policy({ ...a, port, url })) continue;
    const reason = classifyAddress(a.address);
    throw new AobError(
      'SSRF',
      `refused to connect to ${hostname}: ${a.address} is ${reason === 'public' ? 'not allowed' : reason}` +
        (reason === 'public'
          ? ''
          : ' (to let http nodes reach such addresses: --allow-private-network locally, AOB_ALLOW_PRIVATE_NETWORK=true on a server)'),
      { retryable: false, details: { host: hostname, address: a.address, reason } },
    );
  }
  return { hostname, port, addresses };
}

/**
 * A `lookup` for http.request that answers only with the checked addresses and never asks DNS.
 * Handles both call shapes node uses: single (`all` unset) and all (`autoSelectFamily`).
 */
export function pinnedLookup(addresses: readonly ResolvedAddress[]): LookupFunction {
  return (hostname, options, callback) => {
    const requested: unknown = options.family;
    const family =
      requested === 4 || requested === 'IPv4'
        ? 4
        : requested === 6 || requested === 'IPv6'
          ? 6
          : undefined;
    const usable = addresses.filter((a) => family === undefined || a.family === family);
    const first = usable[0];
    if (first === undefined) {
      const err: NodeJS.ErrnoException = new Error(
        `no checked IPv${family ?? ''} address for ${hostname}`,
      );
      err.code = 'ENOTFOUND';
      callback(err, '', 0);
      return;
    }
    if (options.all)
      callback(
        null,
        usable.map((a) => ({ address: a.address, family: a.family })),
      );
    else callback(null, first.address, first.family);
  };
}
