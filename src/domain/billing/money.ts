// Invoice amounts are integers in a currency's minor units; these helpers never use floats.

/** Writes an integer amount of minor units as a decimal string in major units (1234, 2 → "12.34"). */
export function formatMinor(minor: string | bigint, exponent: number): string {
  const value = BigInt(minor);
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(exponent + 1, '0');
  const whole = digits.slice(0, digits.length - exponent);
  const fraction = exponent > 0 ? `.${digits.slice(digits.length - exponent)}` : '';
  return `${negative ? '-' : ''}${whole}${fraction}`;
}

/** An integer amount of minor units from PostgreSQL's bigint text, as a JSON-safe number. */
export function minorToNumber(minor: string | bigint): number {
  const value = Number(minor);
  if (!Number.isSafeInteger(value)) throw new Error(`amount ${minor} is beyond exact JSON integers`);
  return value;
}
