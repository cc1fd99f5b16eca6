import { isIPv4, isIPv6 } from 'node:net';

/** Why an address is not a public unicast address, and whether configuration may still allow it. */
export interface AddressClass {
  /** What the address is, for a reason a person can read (e.g. "loopback", "private"). */
  label: string;
  /** True for addresses nothing may serve an endpoint on (unspecified, multicast, broadcast). */
  never: boolean;
}

type Range = { prefix: number[]; bits: number; label: string; never?: boolean };

// IANA IPv4 Special-Purpose Address Registry (RFC 6890 and successors), plus multicast and class E.
const ipv4Ranges: Range[] = [
  { prefix: [0], bits: 8, label: 'unspecified ("this network")', never: true },
  { prefix: [10], bits: 8, label: 'private' },
  { prefix: [100, 64], bits: 10, label: 'carrier-grade NAT (shared)' },
  { prefix: [127], bits: 8, label: 'loopback' },
  { prefix: [169, 254], bits: 16, label: 'link-local' },
  { prefix: [172, 16], bits: 12, label: 'private' },
  { prefix: [192, 0, 0], bits: 24, label: 'IETF protocol assignment' },
  { prefix: [192, 0, 2], bits: 24, label: 'documentation' },
  { prefix: [192, 88, 99], bits: 24, label: '6to4 relay anycast' },
  { prefix: [192, 168], bits: 16, label: 'private' },
  { prefix: [198, 18], bits: 15, label: 'benchmarking' },
  { prefix: [198, 51, 100], bits: 24, label: 'documentation' },
  { prefix: [203, 0, 113], bits: 24, label: 'documentation' },
  { prefix: [224], bits: 4, label: 'multicast', never: true },
  { prefix: [255, 255, 255, 255], bits: 32, label: 'broadcast', never: true },
  { prefix: [240], bits: 4, label: 'reserved' },
];

// Outside 2000::/3 nothing is global unicast; inside it, these are special-purpose (RFC 6890, 9637).
const ipv6Ranges: Range[] = [
  { prefix: [0x20, 0x01, 0x0d, 0xb8], bits: 32, label: 'documentation' },
  { prefix: [0x20, 0x01, 0, 0], bits: 32, label: 'Teredo tunnel' },
  { prefix: [0x20, 0x01, 0], bits: 23, label: 'IETF protocol assignment' },
  { prefix: [0x3f, 0xff], bits: 20, label: 'documentation' },
  { prefix: [0xfc], bits: 7, label: 'unique-local' },
  { prefix: [0xfe, 0x80], bits: 10, label: 'link-local' },
  { prefix: [0xfe, 0xc0], bits: 10, label: 'site-local' },
  { prefix: [0xff], bits: 8, label: 'multicast', never: true },
  { prefix: [0x01, 0x00, 0, 0, 0, 0, 0, 0], bits: 64, label: 'discard-only' },
  { prefix: [0, 0x64, 0xff, 0x9b, 0, 0x01], bits: 48, label: 'local-use NAT64' },
];

function inRange(bytes: number[], range: Range): boolean {
  for (let bit = 0; bit < range.bits; bit += 8) {
    const width = Math.min(8, range.bits - bit);
    const mask = (0xff << (8 - width)) & 0xff;
    if (((bytes[bit / 8] ?? 0) & mask) !== ((range.prefix[bit / 8] ?? 0) & mask)) return false;
  }
  return true;
}

function ipv4Bytes(address: string): number[] {
  return address.split('.').map(Number);
}

/** The 16 bytes of an IPv6 address (no zone), including forms ending in a dotted IPv4 quad. */
function ipv6Bytes(address: string): number[] {
  let text = address.toLowerCase();
  let tail: number[] = [];
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    tail = ipv4Bytes(dotted[1]!);
    text = text.slice(0, -dotted[1]!.length) + '0:0';
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const groups = (part: string) => (part === '' ? [] : part.split(':').map((group) => parseInt(group, 16)));
  const left = groups(head);
  const right = rest === undefined ? [] : groups(rest);
  const words = [...left, ...new Array(8 - left.length - right.length).fill(0), ...right];
  const bytes = words.flatMap((word) => [word >> 8, word & 0xff]);
  if (tail.length) bytes.splice(12, 4, ...tail);
  return bytes;
}

function classifyIpv4(bytes: number[]): AddressClass | null {
  const range = ipv4Ranges.find((candidate) => inRange(bytes, candidate));
  return range ? { label: range.label, never: range.never ?? false } : null;
}

/** What the IPv4 address embedded in an IPv6 one is, described as reached through that IPv6 form. */
function classifyEmbedded(bytes: number[], form: string): AddressClass | null {
  const inner = classifyIpv4(bytes);
  return inner && { label: `${form} ${bytes.join('.')} (${inner.label})`, never: inner.never };
}

function classifyIpv6(bytes: number[]): AddressClass | null {
  const zeros = (from: number, to: number) => bytes.slice(from, to).every((byte) => byte === 0);
  // IPv4-mapped (::ffff:0:0/96): the socket goes to the IPv4 address itself.
  if (zeros(0, 10) && bytes[10] === 0xff && bytes[11] === 0xff)
    return classifyEmbedded(bytes.slice(12), 'IPv4-mapped');
  if (zeros(0, 12)) {
    if (zeros(12, 15) && bytes[15] === 0) return { label: 'unspecified', never: true };
    if (zeros(12, 15) && bytes[15] === 1) return { label: 'loopback', never: false };
    return { label: 'IPv4-compatible (deprecated)', never: false };
  }
  // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) reach the IPv4 address they embed.
  if (inRange(bytes, { prefix: [0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0], bits: 96, label: '' }))
    return classifyEmbedded(bytes.slice(12), 'NAT64');
  if (bytes[0] === 0x20 && bytes[1] === 0x02) return classifyEmbedded(bytes.slice(2, 6), '6to4');
  const range = ipv6Ranges.find((candidate) => inRange(bytes, candidate));
  if (range) return { label: range.label, never: range.never ?? false };
  if ((bytes[0]! & 0xe0) !== 0x20) return { label: 'reserved (not global unicast)', never: false };
  return null;
}

/**
 * Classifies an IP address: null when it is public unicast (a publisher's endpoint may live there),
 * else what it is. Covers IPv4 and IPv6, IPv4 reached through IPv6 (mapped, NAT64, 6to4) and zoned
 * IPv6 addresses; anything that is not an IP address at all is refused too.
 */
export function classifyAddress(address: string): AddressClass | null {
  if (isIPv4(address)) return classifyIpv4(ipv4Bytes(address));
  if (isIPv6(address)) {
    if (address.includes('%')) return { label: 'scoped to a network interface', never: false };
    return classifyIpv6(ipv6Bytes(address));
  }
  return { label: 'not an IP address', never: true };
}

/** What makes this address one the policy refuses to connect to (e.g. "loopback"), or null when it may. */
export function addressRefusal(address: string, policy: { allowPrivateNetworks: boolean }): string | null {
  const found = classifyAddress(address);
  if (!found || (policy.allowPrivateNetworks && !found.never)) return null;
  return found.label;
}
