import type { Queryable } from '../../db/pool.js';
import { compareDecimals, trimDecimal } from '../decimal.js';
import type { ErrorCode } from '../errors.js';

/** Why an execution may not start: a stable error code and a message the caller can act on. */
export interface Refusal {
  code: Extract<ErrorCode, 'forbidden' | 'rate_limited'>;
  message: string;
}

// Everything the rules read, in one round trip. The month is the calendar month in UTC. What is
// spent includes the tokens the gateway has measured for runs still going (their tokens are live),
// at the listing's price and their tools' prices,
// so a runaway agent is stopped mid-run rather than after. The free
// quota counts the organisation's executions of this listing that have not failed, and when an
// execution is given, only those that came before it (so it does not count itself).
const ENTITLEMENT_FACTS = `
WITH month AS (SELECT date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS start)
SELECT o.status AS org_status, o.status_reason AS org_reason, i.monthly_budget::text AS budget,
       m.pricing,
       ((SELECT COALESCE(sum(u.cost), 0) FROM usage_monthly u
         WHERE u.installation_id = i.id AND u.currency = COALESCE(m.pricing->>'currency', 'usd')
           AND u.month = (SELECT start FROM month)::date)
        + COALESCE((SELECT usage_cost(m.pricing, 0, sum(g.tokens_in + g.tokens_out)::bigint) + sum(g.tool_cost)
                    FROM gateway_tokens g
                    WHERE g.installation_id = i.id AND g.revoked_at IS NULL), 0))::text AS spent,
       (SELECT count(*)::int FROM executions e JOIN installations ei ON ei.id = e.installation_id
         WHERE e.org_id = i.org_id AND ei.listing_id = i.listing_id
           AND e.created_at >= (SELECT start FROM month)
           AND e.status IN ('queued', 'running', 'succeeded')
           AND ($2::uuid IS NULL OR (e.created_at, e.id) < (SELECT created_at, id FROM executions WHERE id = $2))
       ) AS used_this_month,
       (SELECT count(*)::int FROM executions e
         WHERE e.installation_id = i.id AND e.created_at > now() - interval '1 minute') AS last_minute
FROM installations i
JOIN organizations o ON o.id = i.org_id
LEFT JOIN usage_meters m ON m.installation_id = i.id
WHERE i.id = $1`;

// One row of ENTITLEMENT_FACTS.
interface EntitlementFacts {
  org_status: string;
  org_reason: string | null;
  budget: string | null;
  pricing: unknown;
  spent: string;
  used_this_month: number;
  last_minute: number;
}

/**
 * Whether this installation may start an execution now: its organisation is not suspended, a free
 * listing's monthly quota is not used up, a usage-based listing's monthly budget is not spent, and
 * (when a limit is given) the per-minute rate is not exceeded. Null when it may; else the refusal.
 */
export async function entitlementRefusal(
  db: Queryable,
  input: { installationId: string; executionId?: string; rateLimitPerMinute?: number },
): Promise<Refusal | null> {
  return (await entitlementVerdict(db, input)).refusal;
}

/**
 * entitlementRefusal's answer, and whether it reads live spend (a usage-based listing with a monthly
 * budget): only then can the answer for a running execution change with each call it makes.
 */
export async function entitlementVerdict(
  db: Queryable,
  input: { installationId: string; executionId?: string; rateLimitPerMinute?: number },
): Promise<{ refusal: Refusal | null; readsLiveSpend: boolean }> {
  const { rows } = await db.query(ENTITLEMENT_FACTS, [input.installationId, input.executionId ?? null]);
  const facts = rows[0] as EntitlementFacts | undefined;
  const pricing = (facts?.pricing ?? {}) as { model?: string };
  const readsLiveSpend = pricing.model === 'usage_based' && facts?.budget != null;
  return { refusal: refusalFrom(facts, input.rateLimitPerMinute), readsLiveSpend };
}

function refusalFrom(facts: EntitlementFacts | undefined, rateLimitPerMinute?: number): Refusal | null {
  if (!facts) return { code: 'forbidden', message: 'the installation no longer exists' };
  if (facts.org_status === 'suspended') {
    const why = facts.org_reason ? `: ${facts.org_reason}` : '';
    return { code: 'forbidden', message: `your organisation is suspended${why}; contact the platform` };
  }
  const pricing = (facts.pricing ?? {}) as { model?: string; freeInvocations?: number; currency?: string };
  if (pricing.model === 'free' && pricing.freeInvocations !== undefined) {
    if (facts.used_this_month >= pricing.freeInvocations) {
      return {
        code: 'rate_limited',
        message: `the free quota of ${pricing.freeInvocations} invocations this month is used up; it renews on the 1st (UTC)`,
      };
    }
  }
  if (
    pricing.model === 'usage_based' &&
    facts.budget !== null &&
    compareDecimals(facts.spent, facts.budget) >= 0
  ) {
    return {
      code: 'rate_limited',
      message: `this installation's monthly budget of ${trimDecimal(facts.budget)} ${pricing.currency ?? 'usd'} is spent (${trimDecimal(facts.spent)} this month); raise it with PATCH /v1/installations/{id}`,
    };
  }
  if (rateLimitPerMinute !== undefined && facts.last_minute >= rateLimitPerMinute) {
    return {
      code: 'rate_limited',
      message: `this installation may start ${rateLimitPerMinute} executions a minute; try again shortly`,
    };
  }
  return null;
}
