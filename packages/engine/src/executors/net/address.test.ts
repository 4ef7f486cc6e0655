import { describe, expect, it } from 'vitest';
import { classifyAddress, isForbiddenAddress, parseHostLiteral } from './address.js';

describe('classifyAddress', () => {
  it.each([
    // IPv4
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'this-network'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.0.0.1', 'private'],
    ['10.255.255.255', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'cgnat'],
    ['100.127.255.255', 'cgnat'],
    ['169.254.0.1', 'link-local'],
    ['169.254.169.254', 'metadata'],
    ['168.63.129.16', 'metadata'],
    ['100.100.100.200', 'metadata'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.254', 'reserved'],
    ['255.255.255.255', 'broadcast'],
    ['192.0.0.8', 'reserved'],
    ['192.0.2.1', 'documentation'],
    ['198.18.0.1', 'benchmarking'],
    // IPv6
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['fc00::1', 'unique-local'],
    ['fdff:ffff::1', 'unique-local'],
    ['fd00:ec2::254', 'metadata'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['febf::1', 'link-local'],
    ['fec0::1', 'site-local'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'documentation'],
    ['100::1', 'discard'],
    ['4000::1', 'reserved'],
    // IPv6 carrying IPv4
    ['::ffff:127.0.0.1', 'ipv4-mapped:loopback'],
    ['::ffff:7f00:1', 'ipv4-mapped:loopback'],
    ['::ffff:169.254.169.254', 'ipv4-mapped:metadata'],
    ['::ffff:10.0.0.1', 'ipv4-mapped:private'],
    ['::ffff:0:10.0.0.1', 'ipv4-translated:private'],
    ['::127.0.0.1', 'ipv4-compatible'],
    ['::8.8.8.8', 'ipv4-compatible'],
    ['64:ff9b::10.0.0.1', 'nat64:private'],
    ['64:ff9b::7f00:1', 'nat64:loopback'],
    ['64:ff9b:1::1', 'private'],
    ['2002:7f00:1::', '6to4:loopback'],
    ['2002:a9fe:a9fe::1', '6to4:metadata'],
    ['2002:c0a8:0101::1', '6to4:private'],
    ['2001:0:7f00:1::', 'teredo:loopback'], // server 127.0.0.1
    ['2001:0:808:808::f5ff:fffe', 'teredo:private'], // client ~f5ff:fffe = 10.0.0.1
    // invalid
    ['', 'invalid'],
    ['localhost', 'invalid'],
    ['127.1', 'invalid'], // only canonical dotted-quad: callers normalise with parseHostLiteral
    ['1.2.3.256', 'invalid'],
  ])('%s → %s', (ip, expected) => {
    expect(classifyAddress(ip)).toBe(expected);
    expect(isForbiddenAddress(ip)).toBe(true);
  });

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '93.184.216.34',
    '100.63.255.255', // just below CGNAT
    '100.128.0.0', // just above CGNAT
    '172.15.255.255',
    '172.32.0.0',
    '169.253.255.255',
    '223.255.255.255',
    '2606:4700::1111',
    '2001:4860:4860::8888',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
    '2002:808:808::1',
  ])('%s is public', (ip) => {
    expect(classifyAddress(ip)).toBe('public');
    expect(isForbiddenAddress(ip)).toBe(false);
  });
});

describe('parseHostLiteral', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['2130706433', '127.0.0.1'],
    ['0x7f.1', '127.0.0.1'],
    ['0x7f000001', '127.0.0.1'],
    ['017700000001', '127.0.0.1'],
    ['0177.0.0.1', '127.0.0.1'],
    ['127.1', '127.0.0.1'],
    ['127.0.1', '127.0.0.1'],
    ['127.0.0.1.', '127.0.0.1'],
    ['%31%32%37.0.0.1', '127.0.0.1'],
    ['１２７.０.０.１', '127.0.0.1'],
    ['127.0.0.1:8080', '127.0.0.1'],
    ['0xa9.0xfe.0xa9.0xfe', '169.254.169.254'],
    ['2852039166', '169.254.169.254'],
  ])('IPv4 %s → %s', (host, address) => {
    expect(parseHostLiteral(host)).toEqual({ family: 4, address });
  });

  it.each([
    ['[::1]', '::1'],
    ['::1', '::1'],
    ['[0:0:0:0:0:0:0:1]', '::1'],
    ['[::ffff:127.0.0.1]', '::ffff:7f00:1'],
    ['[::FFFF:7F00:1]', '::ffff:7f00:1'],
    ['[FD00:EC2::254]', 'fd00:ec2::254'],
    ['[::1]:8080', '::1'],
    ['fe80::1%eth0', 'fe80::1'],
  ])('IPv6 %s → %s', (host, address) => {
    expect(parseHostLiteral(host)).toEqual({ family: 6, address });
  });

  it.each(['example.com', 'localhost', '127.0.0.1.nip.io', '', 'a@127.0.0.1', '1.2.3.256', 'x/y'])(
    '%j is not a literal',
    (host) => {
      expect(parseHostLiteral(host)).toBeUndefined();
    },
  );

  it('agrees with the URL a request would be sent to', () => {
    // The guarantee the validator relies on: whatever the notation, the literal is what new URL()
    // would connect to.
    for (const host of ['2130706433', '0x7f.1', '017700000001', '127.1']) {
      expect(new URL(`http://${host}/`).hostname).toBe('127.0.0.1');
      expect(classifyAddress(parseHostLiteral(host)?.address ?? '')).toBe('loopback');
    }
  });
});
