import { isIP } from 'node:net';
import { classifyAddress as classifyHost } from '@aob/core';
import type { BaseAddressReason, Embedding } from '@aob/core';

/**
 * IP address classification for SSRF protection (ARCHITECTURE §9), as the `http` executor asks it
 * about the addresses a request would connect to. The rule tables live in `@aob/core` (the patch
 * validator classifies literal URL hosts with the same ones); this layer only narrows the input to
 * an address as a resolver or socket gives it.
 */

export { parseHostLiteral } from '@aob/core';
export type { Embedding, HostLiteral } from '@aob/core';

export type BaseReason = 'invalid' | BaseAddressReason;

/** Why an address is refused; an embedded IPv4 reads e.g. "ipv4-mapped:loopback". */
export type ForbiddenReason = BaseReason | `${Embedding}:${BaseReason}`;

export type AddressClass = 'public' | ForbiddenReason;

/**
 * 'public' when an `http` node may connect to `ip`, else the reason it may not. Only an IP address
 * in standard text (dotted-quad decimal IPv4, or IPv6, with an optional zone id) is classified;
 * any other notation (`127.1`, `2130706433`, `[::1]`, a `:port`) is 'invalid': callers normalise a
 * URL host with `parseHostLiteral` first.
 */
export function classifyAddress(ip: string): AddressClass {
  const pct = ip.indexOf('%');
  const bare = pct === -1 ? ip : ip.slice(0, pct);
  return isIP(bare) === 0 ? 'invalid' : (classifyHost(bare) ?? 'invalid');
}

export function isForbiddenAddress(ip: string): boolean {
  return classifyAddress(ip) !== 'public';
}
