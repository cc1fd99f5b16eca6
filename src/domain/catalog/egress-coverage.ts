import { isIPv4 } from 'node:net';

/** One egress rule as a manifest declares it. */
export interface EgressRule {
  cidr: string;
  ports: number[];
  protocol?: 'TCP' | 'UDP';
}

interface Block {
  family: 4 | 6;
  base: bigint;
  prefix: number;
}

function parseIPv6(address: string): bigint {
  const [head, tail] = address.includes('::') ? address.split('::') : [address, undefined];
  const groups = (part: string | undefined) => (part ? part.split(':') : []);
  const expand = (parts: string[]) =>
    parts.flatMap((part) => {
      if (!part.includes('.')) return [part];
      // An embedded IPv4 address fills the last two groups.
      const [a, b, c, d] = part.split('.').map(Number) as [number, number, number, number];
      return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
    });
  const left = expand(groups(head));
  const right = expand(groups(tail));
  const fill = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...fill, ...right].reduce(
    (acc, group) => (acc << 16n) | BigInt(parseInt(group || '0', 16)),
    0n,
  );
}

function parseBlock(cidr: string): Block {
  const [address = '', prefixText] = cidr.split('/');
  const family = isIPv4(address) ? 4 : 6;
  const bits = family === 4 ? 32 : 128;
  const value =
    family === 4
      ? address.split('.').reduce((acc, octet) => (acc << 8n) | BigInt(Number(octet)), 0n)
      : parseIPv6(address);
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  const mask = prefix === 0 ? 0n : ((1n << BigInt(prefix)) - 1n) << BigInt(bits - prefix);
  return { family, base: value & mask, prefix };
}

/** True when every address of block `inner` lies inside block `outer`. */
function contains(outer: Block, inner: Block): boolean {
  if (outer.family !== inner.family || inner.prefix < outer.prefix) return false;
  const bits = outer.family === 4 ? 32 : 128;
  const mask = outer.prefix === 0 ? 0n : ((1n << BigInt(outer.prefix)) - 1n) << BigInt(bits - outer.prefix);
  return (inner.base & mask) === outer.base;
}

/**
 * The new rules' destinations the old rules did not already allow: a (block, port, protocol) is
 * covered when one old rule of that protocol contains the block and lists the port. Each uncovered
 * rule is returned with only its uncovered ports.
 */
export function widenedEgress(from: readonly EgressRule[], to: readonly EgressRule[]): EgressRule[] {
  const before = from.map((rule) => ({
    ...rule,
    block: parseBlock(rule.cidr),
    protocol: rule.protocol ?? 'TCP',
  }));
  const widened: EgressRule[] = [];
  for (const rule of to) {
    const block = parseBlock(rule.cidr);
    const protocol = rule.protocol ?? 'TCP';
    const ports = rule.ports.filter(
      (port) =>
        !before.some(
          (old) => old.protocol === protocol && old.ports.includes(port) && contains(old.block, block),
        ),
    );
    if (ports.length > 0) widened.push({ cidr: rule.cidr, ports, protocol });
  }
  return widened;
}
