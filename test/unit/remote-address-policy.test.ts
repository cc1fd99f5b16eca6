import { describe, expect, it } from 'vitest';
import { addressRefusal, classifyAddress } from '../../src/runtime/remote/address-policy.js';
import { resolveEndpoint, RemoteEndpointRefusedError } from '../../src/runtime/remote/resolve-endpoint.js';
import { UnsupportedRuntimeError } from '../../src/runtime/runtime-router.js';

const strict = { allowPrivateNetworks: false };
const lenient = { allowPrivateNetworks: true };

describe('remote endpoint address policy', () => {
  it.each([
    // IPv4 special-purpose ranges
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['10.0.0.1', 'private'],
    ['10.255.255.255', 'private'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['100.127.255.254', 'carrier-grade NAT'],
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['169.254.169.254', 'link-local'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.0.0.8', 'IETF protocol assignment'],
    ['192.0.2.10', 'documentation'],
    ['192.88.99.1', '6to4 relay'],
    ['192.168.1.1', 'private'],
    ['198.18.0.1', 'benchmarking'],
    ['198.19.255.255', 'benchmarking'],
    ['198.51.100.7', 'documentation'],
    ['203.0.113.200', 'documentation'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'broadcast'],
    // IPv6
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['::ffff:127.0.0.1', 'IPv4-mapped 127.0.0.1 (loopback)'],
    ['::ffff:7f00:1', 'IPv4-mapped 127.0.0.1 (loopback)'],
    ['::ffff:10.1.2.3', 'IPv4-mapped 10.1.2.3 (private)'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::ffff:0.0.0.0', 'unspecified'],
    ['::127.0.0.1', 'IPv4-compatible'],
    ['64:ff9b::a00:1', 'NAT64 10.0.0.1 (private)'],
    ['64:ff9b::127.0.0.1', 'NAT64 127.0.0.1 (loopback)'],
    ['64:ff9b:1::1', 'local-use NAT64'],
    ['2002:7f00:1::1', '6to4 127.0.0.1 (loopback)'],
    ['2002:c0a8:101::', '6to4 192.168.1.1 (private)'],
    ['2001:db8::1', 'documentation'],
    ['2001::1', 'Teredo'],
    ['2001:2::1', 'IETF protocol assignment'],
    ['3fff::1', 'documentation'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456:789a::1', 'unique-local'],
    ['fe80::1', 'link-local'],
    ['febf:ffff::1', 'link-local'],
    ['fec0::1', 'site-local'],
    ['ff02::1', 'multicast'],
    ['100::1', 'discard-only'],
    ['fe80::1%eth0', 'scoped to a network interface'],
    ['4000::1', 'reserved (not global unicast)'],
    ['::2:3:4', 'reserved'],
    ['localhost', 'not an IP address'],
    ['', 'not an IP address'],
  ])('refuses %s (%s)', (address, label) => {
    expect(addressRefusal(address, strict)).toContain(label);
  });

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '100.63.255.255',
    '100.128.0.0',
    '172.15.255.255',
    '172.32.0.0',
    '192.167.255.255',
    '198.17.255.255',
    '198.20.0.0',
    '223.255.255.255',
    '2606:4700:4700::1111',
    '2a00:1450:4001:80b::200e',
    '2001:4860:4860::8888',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
    '2002:808:808::1',
  ])('allows the public address %s', (address) => {
    expect(classifyAddress(address)).toBeNull();
    expect(addressRefusal(address, strict)).toBeNull();
  });

  it('with private networks allowed, still refuses what no endpoint can live on', () => {
    for (const address of ['127.0.0.1', '10.0.0.1', '::1', 'fd00::1', 'fe80::1', '::ffff:192.168.0.1'])
      expect(addressRefusal(address, lenient)).toBeNull();
    for (const address of ['0.0.0.0', '::', '224.0.0.1', 'ff02::1', '255.255.255.255', '::ffff:0.0.0.0'])
      expect(addressRefusal(address, lenient)).not.toBeNull();
  });
});

describe('resolving a remote endpoint', () => {
  const resolvesTo =
    (...addresses: string[]) =>
    async () =>
      addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

  it('returns every checked address of a public host, with its port', async () => {
    const endpoint = await resolveEndpoint(
      'https://agents.example.com:8443/run?x=1',
      strict,
      resolvesTo('93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'),
    );
    expect(endpoint).toMatchObject({ hostname: 'agents.example.com', port: 8443 });
    expect(endpoint.addresses.map((a) => a.address)).toEqual([
      '93.184.216.34',
      '2606:2800:220:1:248:1893:25c8:1946',
    ]);
  });

  it('refuses a host with one private address among public ones (DNS games)', async () => {
    await expect(
      resolveEndpoint('https://agents.example.com/run', strict, resolvesTo('93.184.216.34', '10.0.0.7')),
    ).rejects.toThrow(
      /agents\.example\.com, which resolves to 10\.0\.0\.7, is not a public address \(private\)/,
    );
  });

  it.each([
    ['https://127.0.0.1/run', /127\.0\.0\.1 is not a public address \(loopback\)/],
    ['https://[::1]:8443/run', /::1 is not a public address \(loopback\)/],
    ['https://[::ffff:169.254.169.254]/latest', /IPv4-mapped 169\.254\.169\.254 \(link-local\)/],
    ['https://0.0.0.0/run', /unspecified/],
    ['https://2130706433/run', /127\.0\.0\.1 is not a public address/],
    ['https://0x7f.1/run', /127\.0\.0\.1 is not a public address/],
    ['http://agents.example.com/run', /must be https/],
    ['https://user:pass@agents.example.com/run', /user name or password/],
    ['not a url', /not a valid URL/],
  ])('refuses %s without asking DNS, as a permanent problem', async (url, message) => {
    const error = await resolveEndpoint(url, strict, async () => {
      throw new Error('DNS must not be asked');
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RemoteEndpointRefusedError);
    expect(error).toBeInstanceOf(UnsupportedRuntimeError);
    expect((error as Error).message).toMatch(message);
  });

  it('allows private addresses when configuration says so', async () => {
    const endpoint = await resolveEndpoint('https://127.0.0.1:9443/run', lenient);
    expect(endpoint.addresses).toEqual([{ address: '127.0.0.1', family: 4 }]);
  });

  it('reports a host that does not resolve as worth retrying, not as refused', async () => {
    const error = await resolveEndpoint('https://nowhere.invalid/run', strict, async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
    }).catch((caught: unknown) => caught);
    expect(error).not.toBeInstanceOf(RemoteEndpointRefusedError);
    expect((error as Error).message).toMatch(/nowhere\.invalid does not resolve \(ENOTFOUND\)/);
  });
});
