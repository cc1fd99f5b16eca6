import { describe, expect, it } from 'vitest';
import { compareDecimals, trimDecimal } from '../../src/domain/decimal.js';

describe('exact decimal strings', () => {
  it.each([
    ['0.03', '0.0300000000', 0],
    ['0.0400000001', '0.04', 1],
    ['12', '12.5', -1],
    ['100.1', '99.99', 1],
    ['0', '0.0000000001', -1],
  ])('compares %s with %s', (a, b, expected) => {
    expect(compareDecimals(a, b)).toBe(expected);
    expect(compareDecimals(b, a)).toBe(0 - expected);
  });

  it('trims trailing zeros after the point only', () => {
    expect(trimDecimal('12.5000000000')).toBe('12.5');
    expect(trimDecimal('5.0000000000')).toBe('5');
    expect(trimDecimal('100')).toBe('100');
    expect(trimDecimal('0.0000000000')).toBe('0');
  });
});
