// Billing periods are calendar months in UTC, written YYYY-MM.

const PERIOD_PATTERN = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** True for a well-formed period such as 2026-10. */
export function isPeriod(value: string): boolean {
  return PERIOD_PATTERN.test(value);
}

/** The period a moment falls in (UTC). */
export function periodOf(moment: Date): string {
  return `${moment.getUTCFullYear()}-${String(moment.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** The period before the one a moment falls in: what the monthly schedule bills. */
export function previousPeriod(moment: Date): string {
  return periodOf(new Date(Date.UTC(moment.getUTCFullYear(), moment.getUTCMonth() - 1, 1)));
}

/** The first day of a period as a date string (YYYY-MM-01), as invoices store it. */
export function periodStartDate(period: string): string {
  if (!isPeriod(period)) throw new Error(`not a billing period: ${period}`);
  return `${period}-01`;
}

/** True when a period has closed or is the current one at `now`, i.e. may be billed. */
export function isBillablePeriod(period: string, now: Date): boolean {
  return isPeriod(period) && period <= periodOf(now);
}
