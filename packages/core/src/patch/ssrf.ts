// SSRF checks a validator can make without I/O (ARCHITECTURE §4): the scheme allow-list, and URL hosts
// that are literal addresses (or names) which must never be reached from an `http` node. The
// WHATWG URL parser (`new URL`, a pure global) normalises every IPv4 notation a request would
// accept — decimal `2130706433`, hex `0x7f.1`, octal `017700000001`, short `127.1`, a trailing
// dot — and compresses IPv6, so what is classified here is exactly what a request would reach.
// The `http` executor checks again after DNS resolution and on every redirect: a DNS name that
// resolves to a private address is not something a static check can see.

/** Why an address is refused, apart from the IPv4 an IPv6 spelling may carry. */
export type BaseAddressReason =
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

/** Why an address is refused; an IPv6 spelling that carries an IPv4 reads e.g. "ipv4-mapped:loopback". */
export type AddressReason = BaseAddressReason | `${Embedding}:${BaseAddressReason}`;

export type AddressClass = 'public' | AddressReason;

type V4Reason = BaseAddressReason;

interface Rule<R> {
  bytes: Uint8Array;
  bits: number;
  reason: R;
}

// First match wins, so the more specific prefixes come first.
const V4_RULES = rules<V4Reason>([
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

type V6Action = V4Reason | { embed: Embedding };

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

// IANA allocates global unicast only from 2000::/3; everything else is refused as reserved.
const GLOBAL_UNICAST_V6 = rule('2000::/3', 'public' as const);

/** Host names that always mean "this machine" or a metadata service, whatever DNS says. */
const FORBIDDEN_NAMES = new Set(['localhost', 'metadata.google.internal', 'metadata']);

export const ALLOWED_SCHEMES: readonly string[] = ['http:', 'https:'];

export interface HostLiteral {
  family: 4 | 6;
  /** Canonical text: dotted-quad IPv4, or compressed lower-case IPv6 without brackets or zone. */
  address: string;
}

/**
 * The IP address a URL host denotes literally, or undefined when it is a DNS name (or not a valid
 * host). Accepts a bracketed or bare IPv6 literal (a zone id is ignored) and every IPv4 notation
 * the WHATWG URL parser accepts. A `:port` suffix is ignored.
 */
export function parseHostLiteral(host: string): HostLiteral | undefined {
  if (!host.startsWith('[') && host.split(':').length > 2) {
    // A bare IPv6 address (a `:port` cannot follow one without brackets).
    const v6 = canonicalV6(stripZone(host));
    return v6 === undefined ? undefined : { family: 6, address: v6 };
  }
  // Anything that would make the URL parser read a different host is not a bare host.
  if (host === '' || /[/?#@\\\s]/.test(host)) return undefined;
  let hostname: string;
  try {
    // Zone ids are not valid in URLs; the address itself is what gets classified.
    hostname = new URL(`http://${host.replace(/%[^\]]*\]/, ']')}/`).hostname;
  } catch {
    return undefined;
  }
  return literalOfHostname(hostname);
}

/** 'public' when an `http` node may connect to the address, else why not; undefined when `ip` is not an IP address. */
export function classifyAddress(ip: string): AddressClass | undefined {
  const literal = parseHostLiteral(ip);
  if (literal === undefined) return undefined;
  return literal.family === 4
    ? classifyV4(v4Bytes(literal.address))
    : classifyV6(v6Bytes(literal.address));
}

export function isForbiddenAddress(ip: string): boolean {
  const c = classifyAddress(ip);
  return c !== undefined && c !== 'public';
}

/** Why a URL host name is refused: `localhost`, `*.localhost`, and cloud metadata names. */
export function forbiddenHostName(hostname: string): 'loopback' | 'metadata' | undefined {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  if (name === 'localhost' || name.endsWith('.localhost')) return 'loopback';
  if (FORBIDDEN_NAMES.has(name)) return 'metadata';
  return undefined;
}

export type UrlVerdict =
  | { ok: true; host: string; literal?: HostLiteral }
  | { ok: false; reason: 'invalid' | 'scheme' | AddressReason; message: string };

/**
 * The validation-time SSRF check of one literal URL: it must parse, use http or https, and not
 * name a forbidden host or a literal forbidden address (userinfo, ports and brackets are read the
 * way a request would read them). Passing does not make the URL safe to fetch: DNS may still lead
 * somewhere private, so the executor re-checks the resolved address and every redirect.
 */
export function checkUrl(url: string): UrlVerdict {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, reason: 'invalid', message: `'${url}' is not a valid URL` };
  }
  if (!ALLOWED_SCHEMES.includes(parsed.protocol)) {
    return {
      ok: false,
      reason: 'scheme',
      message: `scheme '${parsed.protocol.slice(0, -1)}' is not allowed (only http and https)`,
    };
  }
  const hostname = parsed.hostname;
  const literal = literalOfHostname(hostname);
  if (literal) {
    const c =
      literal.family === 4
        ? classifyV4(v4Bytes(literal.address))
        : classifyV6(v6Bytes(literal.address));
    if (c !== 'public') {
      return {
        ok: false,
        reason: c,
        message: `'${url}' reaches ${literal.address}, which is not a public address (${c})`,
      };
    }
    return { ok: true, host: hostname, literal };
  }
  const named = forbiddenHostName(hostname);
  if (named) {
    return {
      ok: false,
      reason: named,
      message: `'${url}' reaches '${hostname}', which is never a public host (${named})`,
    };
  }
  return { ok: true, host: hostname };
}

/** A hostname as `new URL().hostname` gives it: dotted-quad IPv4, bracketed IPv6, or a name. */
function literalOfHostname(hostname: string): HostLiteral | undefined {
  if (hostname.startsWith('[') && hostname.endsWith(']')) {
    return { family: 6, address: hostname.slice(1, -1) };
  }
  // The WHATWG parser turns every host whose last label is numeric into a dotted quad (or fails),
  // so a dotted quad here is an IPv4 address and nothing else is.
  if (/^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname))
    return { family: 4, address: hostname };
  return undefined;
}

function classifyV4(bytes: Uint8Array): V4Reason | 'public' {
  return V4_RULES.find((r) => matches(bytes, r))?.reason ?? 'public';
}

function classifyV6(bytes: Uint8Array): AddressClass {
  const hit = V6_RULES.find((r) => matches(bytes, r));
  if (hit === undefined) return matches(bytes, GLOBAL_UNICAST_V6) ? 'public' : 'reserved';
  if (typeof hit.reason === 'string') return hit.reason;
  const embed = hit.reason.embed;
  if (embed === 'teredo') {
    // Teredo: server IPv4 in bits 32..63, client IPv4 inverted in bits 96..127; both must be public.
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
  const bytes = net.includes(':') ? v6Bytes(canonicalV6(net)!) : v4Bytes(net);
  return { bytes, bits: Number(bits), reason };
}

function stripZone(ip: string): string {
  const pct = ip.indexOf('%');
  return pct === -1 ? ip : ip.slice(0, pct);
}

/** Valid IPv6 text in the URL parser's compressed form, or undefined when it is not IPv6. */
function canonicalV6(ip: string): string | undefined {
  try {
    const h = new URL(`http://[${ip}]/`).hostname;
    return h.slice(1, -1);
  } catch {
    return undefined;
  }
}

/** Dotted-quad to 4 bytes. */
function v4Bytes(ip: string): Uint8Array {
  return Uint8Array.from(ip.split('.').map(Number));
}

/** Compressed IPv6 as the URL parser writes it (hex groups, at most one `::`) to 16 bytes. */
function v6Bytes(ip: string): Uint8Array {
  const groups = (part: string): number[] =>
    part === '' ? [] : part.split(':').map((g) => parseInt(g, 16));
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
