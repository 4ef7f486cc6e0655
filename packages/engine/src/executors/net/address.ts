import { isIP } from 'node:net';

/**
 * IP address classification for SSRF protection (DESIGN.md §4): which addresses an `http` node
 * may connect to. Everything that is not routable on the public internet, or that reaches cloud
 * metadata services, is refused. IPv6 forms that embed an IPv4 address (IPv4-mapped, SIIT, NAT64,
 * 6to4, Teredo) are judged by the IPv4 address they carry, so a private IPv4 cannot be smuggled
 * through an IPv6 spelling. IPv6 outside 2000::/3 (the only block IANA allocates from) is refused.
 */

export type BaseReason =
  | 'invalid'
  | 'unspecified'
  | 'this-network'
  | 'loopback'
  | 'private'
  | 'cgnat'
  | 'link-local'
  | 'metadata'
  | 'multicast'
  | 'broadcast'
  | 'reserved'
  | 'documentation'
  | 'benchmarking'
  | 'unique-local'
  | 'site-local'
  | 'discard'
  | 'ipv4-compatible';

/** IPv6 spellings that carry an IPv4 address. */
export type Embedding = 'ipv4-mapped' | 'ipv4-translated' | 'nat64' | '6to4' | 'teredo';

/** Why an address is refused; an embedded IPv4 reads e.g. "ipv4-mapped:loopback". */
export type ForbiddenReason = BaseReason | `${Embedding}:${BaseReason}`;

export type AddressClass = 'public' | ForbiddenReason;

interface Rule<R> {
  bytes: Uint8Array;
  bits: number;
  reason: R;
}

// First match wins, so the more specific prefixes come first.
const V4_RULES = rules<BaseReason>([
  ['255.255.255.255/32', 'broadcast'],
  ['169.254.169.254/32', 'metadata'], // AWS, GCP, Azure, OpenStack instance metadata
  ['168.63.129.16/32', 'metadata'], // Azure platform (wireserver)
  ['100.100.100.200/32', 'metadata'], // Alibaba Cloud instance metadata
  ['0.0.0.0/32', 'unspecified'],
  ['0.0.0.0/8', 'this-network'],
  ['10.0.0.0/8', 'private'],
  ['100.64.0.0/10', 'cgnat'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local'],
  ['172.16.0.0/12', 'private'],
  ['192.0.0.0/24', 'reserved'], // IETF protocol assignments
  ['192.0.2.0/24', 'documentation'],
  ['192.88.99.0/24', 'reserved'], // deprecated 6to4 relay anycast
  ['192.168.0.0/16', 'private'],
  ['198.18.0.0/15', 'benchmarking'],
  ['198.51.100.0/24', 'documentation'],
  ['203.0.113.0/24', 'documentation'],
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved'],
]);

type V6Action = BaseReason | { embed: Embedding };

const V6_RULES = rules<V6Action>([
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['fd00:ec2::254/128', 'metadata'], // AWS instance metadata over IPv6
  ['::ffff:0:0/96', { embed: 'ipv4-mapped' }],
  ['::ffff:0:0:0/96', { embed: 'ipv4-translated' }], // SIIT, RFC 6145
  ['::/96', 'ipv4-compatible'], // deprecated (RFC 4291 §2.5.5.1): refused whatever it carries
  ['64:ff9b::/96', { embed: 'nat64' }], // RFC 6052 well-known prefix
  ['64:ff9b:1::/48', 'private'], // local-use NAT64, RFC 8215
  ['100::/64', 'discard'],
  ['2001::/32', { embed: 'teredo' }],
  ['2001:db8::/32', 'documentation'],
  ['3fff::/20', 'documentation'],
  ['2002::/16', { embed: '6to4' }],
  ['fc00::/7', 'unique-local'],
  ['fe80::/10', 'link-local'],
  ['fec0::/10', 'site-local'],
  ['ff00::/8', 'multicast'],
]);

const GLOBAL_UNICAST_V6 = rule('2000::/3', 'public');

/** 'public' when an `http` node may connect to `ip`, else the reason it may not. */
export function classifyAddress(ip: string): AddressClass {
  const bare = stripZone(ip);
  const family = isIP(bare);
  if (family === 4) return classifyV4(v4Bytes(bare));
  if (family === 6) return classifyV6(v6Bytes(bare));
  return 'invalid';
}

export function isForbiddenAddress(ip: string): boolean {
  return classifyAddress(ip) !== 'public';
}

export interface HostLiteral {
  family: 4 | 6;
  /** Canonical text: dotted-quad IPv4, or compressed lower-case IPv6 without brackets or zone. */
  address: string;
}

/**
 * The IP address a URL host denotes literally, or undefined when it is a DNS name (or not a valid
 * host). Accepts a bracketed or bare IPv6 literal and every IPv4 notation the WHATWG URL parser
 * accepts — decimal `2130706433`, hex `0x7f.1`, octal `0177.0.0.1`, short `127.1`,
 * percent-encoded and full-width digits, a trailing dot — by letting `new URL()` normalise them
 * exactly as a request would. A `:port` suffix is ignored.
 */
export function parseHostLiteral(host: string): HostLiteral | undefined {
  const unbracketed = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (isIP(stripZone(unbracketed)) === 6) {
    // Zone ids are not valid in URLs; the address itself is what gets classified.
    return { family: 6, address: canonicalV6(stripZone(unbracketed)) };
  }
  // Anything that would make the URL parser read a different host is not a bare host.
  if (host === '' || /[/?#@\\\s]/.test(host)) return undefined;
  let hostname: string;
  try {
    hostname = new URL(`http://${host}/`).hostname;
  } catch {
    return undefined;
  }
  if (isIP(hostname) === 4) return { family: 4, address: hostname };
  if (hostname.startsWith('[')) return { family: 6, address: hostname.slice(1, -1) };
  return undefined;
}

function classifyV4(bytes: Uint8Array): BaseReason | 'public' {
  return V4_RULES.find((r) => matches(bytes, r))?.reason ?? 'public';
}

function classifyV6(bytes: Uint8Array): AddressClass {
  const hit = V6_RULES.find((r) => matches(bytes, r));
  if (hit === undefined) return matches(bytes, GLOBAL_UNICAST_V6) ? 'public' : 'reserved';
  if (typeof hit.reason === 'string') return hit.reason;
  const embed = hit.reason.embed;
  if (embed === 'teredo') {
    // Teredo: server IPv4 in bits 32..63, client IPv4 inverted in bits 96..127. Refuse if
    // either is not public.
    const server = classifyV4(bytes.subarray(4, 8));
    if (server !== 'public') return `teredo:${server}`;
    const client = classifyV4(bytes.subarray(12, 16).map((b) => b ^ 0xff));
    return client === 'public' ? 'public' : `teredo:${client}`;
  }
  const inner = classifyV4(embed === '6to4' ? bytes.subarray(2, 6) : bytes.subarray(12, 16));
  return inner === 'public' ? 'public' : `${embed}:${inner}`;
}

function matches(bytes: Uint8Array, r: Rule<unknown>): boolean {
  if (bytes.length !== r.bytes.length) return false;
  const whole = r.bits >> 3;
  for (let i = 0; i < whole; i++) if (bytes[i] !== r.bytes[i]) return false;
  const rest = r.bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((bytes[whole] ?? 0) & mask) === ((r.bytes[whole] ?? 0) & mask);
}

function rules<R>(table: readonly (readonly [cidr: string, reason: R])[]): readonly Rule<R>[] {
  return table.map(([cidr, reason]) => rule(cidr, reason));
}

function rule<R>(cidr: string, reason: R): Rule<R> {
  const [net = '', bits = ''] = cidr.split('/');
  return { bytes: isIP(net) === 4 ? v4Bytes(net) : v6Bytes(net), bits: Number(bits), reason };
}

function stripZone(ip: string): string {
  const pct = ip.indexOf('%');
  return pct === -1 ? ip : ip.slice(0, pct);
}

/** Dotted-quad to bytes; the caller has checked `isIP(ip) === 4` (node's isIP accepts only dotted-quad decimal). */
function v4Bytes(ip: string): Uint8Array {
  return Uint8Array.from(ip.split('.').map(Number));
}

/** Valid IPv6 text (checked by `isIP`) to 16 bytes; handles `::` and a dotted IPv4 tail. */
function v6Bytes(ip: string): Uint8Array {
  const groups = (part: string): number[] => {
    if (part === '') return [];
    const out: number[] = [];
    for (const g of part.split(':')) {
      if (g.includes('.')) {
        const [a = 0, b = 0, c = 0, d = 0] = v4Bytes(g);
        out.push((a << 8) | b, (c << 8) | d);
      } else {
        out.push(parseInt(g, 16));
      }
    }
    return out;
  };
  const gap = ip.indexOf('::');
  const head = groups(gap === -1 ? ip : ip.slice(0, gap));
  const tail = gap === -1 ? [] : groups(ip.slice(gap + 2));
  const words = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  words.forEach((w, i) => {
    bytes[2 * i] = w >> 8;
    bytes[2 * i + 1] = w & 0xff;
  });
  return bytes;
}

function canonicalV6(ip: string): string {
  try {
    return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  } catch {
    return ip.toLowerCase();
  }
}
