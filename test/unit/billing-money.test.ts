import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { formatMinor, minorToNumber } from '../../src/domain/billing/money.js';
import {
  isBillablePeriod,
  isPeriod,
  periodOf,
  periodStartDate,
  previousPeriod,
} from '../../src/domain/billing/period.js';

describe('billing money', () => {
  it('writes minor units as exact decimals in major units, per currency exponent', () => {
    expect(formatMinor('1234', 2)).toBe('12.34');
    expect(formatMinor('5', 2)).toBe('0.05');
    expect(formatMinor('-10', 2)).toBe('-0.10');
    expect(formatMinor('0', 2)).toBe('0.00');
    expect(formatMinor('11', 0)).toBe('11');
    expect(formatMinor('1500', 3)).toBe('1.500');
    expect(formatMinor(123456789012345678n, 2)).toBe('1234567890123456.78');
  });

  it('refuses amounts beyond exact JSON integers', () => {
    expect(minorToNumber('9007199254740991')).toBe(9007199254740991);
    expect(() => minorToNumber('9007199254740993')).toThrow(/beyond/);
  });
});

describe('billing periods', () => {
  it('reads and writes calendar months in UTC', () => {
    expect(isPeriod('2026-09')).toBe(true);
    for (const bad of ['2026-13', '2026-9', '2026-00', '26-09', '2026-09-01'])
      expect(isPeriod(bad)).toBe(false);
    expect(periodOf(new Date('2026-09-30T23:59:59Z'))).toBe('2026-09');
    expect(periodOf(new Date('2026-10-01T00:00:00Z'))).toBe('2026-10');
    expect(previousPeriod(new Date('2026-01-01T01:00:00Z'))).toBe('2025-12');
    expect(previousPeriod(new Date('2026-03-31T12:00:00Z'))).toBe('2026-02');
    expect(periodStartDate('2026-09')).toBe('2026-09-01');
    expect(() => periodStartDate('2026-9')).toThrow();
  });

  it('bills closed months and the current one, never a future one', () => {
    const now = new Date('2026-11-22T10:00:00Z');
    expect(isBillablePeriod('2026-10', now)).toBe(true);
    expect(isBillablePeriod('2026-11', now)).toBe(true);
    expect(isBillablePeriod('2026-12', now)).toBe(false);
    expect(isBillablePeriod('2027-01', now)).toBe(false);
  });
});

describe('billing configuration', () => {
  it('defaults the platform fee to 20% and the schedule on, and refuses a bad fee', () => {
    const config = loadConfig({});
    expect(config.billing).toMatchObject({ platformFeePercent: '20', schedule: true });
    expect(config.billing.stripe.secretKey).toBeUndefined();
    expect(loadConfig({ PLATFORM_FEE_PERCENT: '12.5' }).billing.platformFeePercent).toBe('12.5');
    for (const bad of ['101', '-1', '12.345', 'twenty']) {
      expect(() => loadConfig({ PLATFORM_FEE_PERCENT: bad })).toThrow(/PLATFORM_FEE_PERCENT/);
    }
    const stripe = loadConfig({
      STRIPE_SECRET_KEY: 'sk_test_x',
      STRIPE_API_HOST: '127.0.0.1',
      STRIPE_API_PORT: '12111',
      STRIPE_API_PROTOCOL: 'http',
      BILLING_SCHEDULE: 'false',
    }).billing;
    expect(stripe).toMatchObject({
      schedule: false,
      stripe: { secretKey: 'sk_test_x', host: '127.0.0.1', port: 12111, protocol: 'http' },
    });
  });
});
