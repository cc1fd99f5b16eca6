// Formatting shared by the pages: money, dates, durations, and the pricing explained with an example.
import type { Schemas } from './api';

/** An amount in a currency, e.g. "$2.00" (amounts come as exact decimal strings or numbers). */
export function money(amount: string | number, currency = 'usd'): string {
  const value = typeof amount === 'string' ? Number(amount) : amount;
  const digits = Math.abs(value) > 0 && Math.abs(value) < 0.01 ? 4 : 2;
  return new Intl.NumberFormat('en-US', {
    style: 'currency',
    currency: currency.toUpperCase(),
    minimumFractionDigits: 2,
    maximumFractionDigits: digits,
  }).format(value);
}

/** A timestamp in the person's locale, to the minute. */
export function when(iso: string | null | undefined): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' });
}

/** A duration in ms as "1.2 s" or "340 ms". */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${ms} ms`;
}

type Pricing = Schemas['Version']['manifest']['pricing'];

/** The pricing in one line, and a worked example (e.g. "100 runs ≈ $2.00"). */
export function explainPricing(pricing: Pricing): { summary: string; example: string | null } {
  const c = pricing.currency;
  switch (pricing.model) {
    case 'free':
      return { summary: 'Free', example: null };
    case 'subscription':
      return {
        summary: `${money(pricing.monthlyPrice ?? 0, c)} per month`,
        example: `A full month ≈ ${money(pricing.monthlyPrice ?? 0, c)}; a partial month is prorated`,
      };
    case 'one_time':
      return {
        summary: `${money(pricing.oneTimePrice ?? 0, c)} once`,
        example: `Installing once costs ${money(pricing.oneTimePrice ?? 0, c)}`,
      };
    case 'usage_based': {
      const perRun = pricing.pricePerInvocation ?? 0;
      const free = pricing.freeInvocations ?? 0;
      const parts = [`${money(perRun, c)} per run`];
      if (pricing.pricePer1kTokens) parts.push(`${money(pricing.pricePer1kTokens, c)} per 1,000 tokens`);
      if (free) parts.push(`first ${free} runs of each month free`);
      const runs = 100;
      const billed = Math.max(0, runs - free);
      const tokens = pricing.pricePer1kTokens ? ' plus tokens' : '';
      return {
        summary: parts.join(', '),
        example: `${runs} runs ≈ ${money(billed * perRun, c)}${tokens}${free ? ` (after ${free} free)` : ''}`,
      };
    }
  }
}

/** Midnight (UTC) `days` days ago, as an ISO timestamp: the start of a "last N days" period. */
export function daysAgo(days: number): string {
  const start = new Date(Date.now() - days * 86_400_000);
  start.setUTCHours(0, 0, 0, 0);
  return start.toISOString();
}
