import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkUrl, classifyAddress, parseHostLiteral } from './ssrf.js';

describe('checkUrl', () => {
  it.each([
    ['http://127.0.0.1', 'loopback'],
    ['http://2130706433', 'loopback'],
    ['http://0x7f.1', 'loopback'],
    ['http://017700000001', 'loopback'],
    ['http://127.1', 'loopback'],
    ['http://0177.0.0.1.', 'loopback'],
    ['http://[::1]', 'loopback'],
    ['http://[::ffff:127.0.0.1]', 'ipv4-mapped:loopback'],
    ['http://[::ffff:7f00:1]', 'ipv4-mapped:loopback'],
    ['http://[::127.0.0.1]', 'ipv4-compatible'],
    ['http://[64:ff9b::a9fe:a9fe]', 'nat64:metadata'],
    ['http://[2002:a00:1::]', '6to4:private'],
    ['http://169.254.169.254/latest/meta-data', 'metadata'],
    ['http://[fd00:ec2::254]', 'metadata'],
    ['http://100.100.100.200', 'metadata'],
    ['http://168.63.129.16', 'metadata'],
    ['http://10.0.0.1', 'private'],
    ['http://172.16.5.4', 'private'],
    ['http://100.64.0.1', 'cgnat'],
    ['http://169.254.1.1', 'link-local'],
    ['http://[fe80::1]', 'link-local'],
    ['http://[fc00::1]', 'unique-local'],
    ['http://224.0.0.1', 'multicast'],
    ['http://[ff02::1]', 'multicast'],
    ['http://0.0.0.0', 'unspecified'],
    ['http://[::]', 'unspecified'],
    ['http://user:pass@192.168.1.1', 'private'],
    ['http://user@[::1]:8080/x', 'loopback'],
    ['http://localhost:8080', 'loopback'],
    ['http://LOCALHOST.', 'loopback'],
    ['http://api.localhost', 'loopback'],
    ['http://metadata.google.internal/computeMetadata/v1/', 'metadata'],
    ['ftp://example.com', 'scheme'],
    ['file:///etc/passwd', 'scheme'],
    ['gopher://example.com', 'scheme'],
    ['not a url', 'invalid'],
  ])('refuses %s (%s)', (url, reason) => {
    const verdict = checkUrl(url);
    expect(verdict).toMatchObject({ ok: false, reason });
  });

  it.each([
    'https://example.com',
    'http://8.8.8.8',
    'http://user:pass@8.8.8.8:8080/x',
    'https://[2606:4700:4700::1111]/',
    'http://[::ffff:8.8.8.8]',
    'https://localhost.example.com',
  ])('allows %s', (url) => {
    expect(checkUrl(url).ok).toBe(true);
  });
});

describe('parseHostLiteral and classifyAddress', () => {
  it('normalise every IPv4 notation and IPv6 spelling', () => {
    expect(parseHostLiteral('0x7f.1')).toEqual({ family: 4, address: '127.0.0.1' });
    expect(parseHostLiteral('127.0.0.1:8080')).toEqual({ family: 4, address: '127.0.0.1' });
    expect(parseHostLiteral('[::ffff:127.0.0.1]:80')).toEqual({
      family: 6,
      address: '::ffff:7f00:1',
    });
    expect(parseHostLiteral('fe80::1%eth0')).toEqual({ family: 6, address: 'fe80::1' });
    expect(parseHostLiteral('example.com')).toBeUndefined();
    expect(parseHostLiteral('a@b')).toBeUndefined();
  });

  it('classify addresses, and say undefined for names', () => {
    expect(classifyAddress('8.8.8.8')).toBe('public');
    expect(classifyAddress('2130706433')).toBe('loopback');
    expect(classifyAddress('2001:db8::1')).toBe('documentation');
    expect(classifyAddress('4000::1')).toBe('reserved');
    expect(classifyAddress('example.com')).toBeUndefined();
  });
});

describe('checkUrl over generated IPv4 addresses', () => {
  // An oracle written apart from the rule table: the blocks that must never be reachable.
  const mustRefuse = (a: number, b: number): boolean =>
    a === 0 ||
    a === 10 ||
    a === 127 ||
    a >= 224 ||
    (a === 100 && b >= 64 && b < 128) ||
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b < 32) ||
    (a === 192 && b === 168);

  it('judges every notation of an address as its dotted quad, and refuses the private blocks', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.nat(0xffffffff),
          // Bias towards the interesting blocks.
          fc
            .tuple(fc.constantFrom(0, 10, 100, 127, 169, 172, 192, 224, 255), fc.nat(0xffffff))
            .map(([a, rest]) => a * 2 ** 24 + rest),
        ),
        fc.constantFrom('', 'user:pw@'),
        (x, userinfo) => {
          const bytes = [x >>> 24, (x >>> 16) & 255, (x >>> 8) & 255, x & 255];
          const dotted = bytes.join('.');
          const expected = checkUrl(`http://${dotted}/`);
          const [a, b, c, d] = bytes as [number, number, number, number];
          const forms = [
            String(x),
            `0x${x.toString(16)}`,
            `0${x.toString(8)}`,
            `${a}.${(b << 16) | (c << 8) | d}`,
            `${a}.${b}.${(c << 8) | d}`,
            `0x${a.toString(16)}.0${b.toString(8)}.${c}.0x${d.toString(16)}`,
            `${dotted}.`,
          ];
          for (const form of forms) {
            const verdict = checkUrl(`http://${userinfo}${form}:8080/x`);
            expect(verdict.ok, form).toBe(expected.ok);
            if (!verdict.ok && !expected.ok) expect(verdict.reason).toBe(expected.reason);
          }
          const mapped = checkUrl(`http://[::ffff:${dotted}]/`);
          expect(mapped.ok).toBe(expected.ok);
          if (mustRefuse(a, b)) expect(expected.ok).toBe(false);
        },
      ),
      { numRuns: 3000 },
    );
  });
});
