// Exact decimal strings as PostgreSQL numeric returns them: money is never a float.

/** Compares two non-negative decimal strings exactly: -1, 0 or 1. */
export function compareDecimals(a: string, b: string): number {
  const [aWhole = '0', aFraction = ''] = a.split('.');
  const [bWhole = '0', bFraction = ''] = b.split('.');
  const width = Math.max(aFraction.length, bFraction.length);
  const scaled = (whole: string, fraction: string) => BigInt(whole + fraction.padEnd(width, '0'));
  const difference = scaled(aWhole, aFraction) - scaled(bWhole, bFraction);
  return difference === 0n ? 0 : difference > 0n ? 1 : -1;
}

/** A decimal string without trailing zeros after the point (12.5000000000 → 12.5). */
export function trimDecimal(value: string): string {
  return value.includes('.') ? value.replace(/\.?0+$/, '') : value;
}
