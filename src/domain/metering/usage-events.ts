import type { Queryable } from '../../db/pool.js';

/** Who reported a usage event: Bazaar for its own executions, or a publisher's remote agent. */
export type UsageSource = 'platform' | 'publisher';

/** One metered usage event, with its price already computed from the installation's pricing snapshot. */
export interface UsageEvent {
  /** Unique per event: a retry or replay with the same id is counted once. */
  eventId: string;
  orgId: string;
  installationId: string;
  listingId: string;
  executionId: string | null;
  invocations: number;
  tokensIn: number;
  tokensOut: number;
  durationMs: number;
  /** Exact decimal, tool charges included. */
  cost: string;
  /** The part of cost that is the gateway's tool calls at the tools' prices (exact decimal; none when absent). */
  toolCost?: string;
  /** The tokens of those priced tool calls (none when absent). */
  toolTokens?: number;
  currency: string;
  occurredAt: Date;
  source: UsageSource;
}

// One statement: insert the new events (sorted, so concurrent batches lock in the same order), then
// add exactly the inserted ones to the monthly aggregates. A duplicate id, inside the batch or from
// before, inserts nothing and adds nothing.
const INSERT_EVENTS = `
WITH input AS (
  SELECT * FROM unnest($1::text[], $2::uuid[], $3::uuid[], $4::uuid[], $5::uuid[], $6::int[], $7::int[],
                       $8::int[], $9::int[], $10::numeric[], $11::text[], $12::timestamptz[], $13::text[],
                       $14::numeric[], $15::int[])
    AS t(event_id, org_id, installation_id, listing_id, execution_id, invocations, tokens_in, tokens_out,
         duration_ms, cost, currency, occurred_at, source, tool_cost, tool_tokens)
  ORDER BY event_id
), inserted AS (
  INSERT INTO usage_events (event_id, org_id, installation_id, listing_id, execution_id, invocations, tokens_in,
                            tokens_out, duration_ms, cost, currency, occurred_at, source, tool_cost, tool_tokens)
  SELECT * FROM input
  ON CONFLICT (event_id) DO NOTHING
  RETURNING *
), aggregated AS (
  INSERT INTO usage_monthly AS m (org_id, installation_id, listing_id, month, currency, events, invocations,
                                  tokens_in, tokens_out, duration_ms, cost, tool_cost, tool_tokens)
  SELECT org_id, installation_id, listing_id, date_trunc('month', occurred_at AT TIME ZONE 'UTC')::date, currency,
         count(*), sum(invocations), sum(tokens_in), sum(tokens_out), sum(duration_ms), sum(cost), sum(tool_cost),
         sum(tool_tokens)
  FROM inserted
  GROUP BY 1, 2, 3, 4, 5
  ORDER BY 2, 4, 5
  ON CONFLICT (installation_id, month, currency) DO UPDATE SET
    events = m.events + EXCLUDED.events,
    invocations = m.invocations + EXCLUDED.invocations,
    tokens_in = m.tokens_in + EXCLUDED.tokens_in,
    tokens_out = m.tokens_out + EXCLUDED.tokens_out,
    duration_ms = m.duration_ms + EXCLUDED.duration_ms,
    cost = m.cost + EXCLUDED.cost,
    tool_cost = m.tool_cost + EXCLUDED.tool_cost,
    tool_tokens = m.tool_tokens + EXCLUDED.tool_tokens
)
SELECT event_id FROM inserted`;

/**
 * Records usage events in one statement and keeps the monthly aggregates in step; returns the ids
 * that were new (the others had been recorded before and count once).
 */
export async function insertUsageEvents(db: Queryable, events: UsageEvent[]): Promise<Set<string>> {
  if (events.length === 0) return new Set();
  const column = <T>(pick: (event: UsageEvent) => T) => events.map(pick);
  const { rows } = await db.query<{ event_id: string }>(INSERT_EVENTS, [
    column((e) => e.eventId),
    column((e) => e.orgId),
    column((e) => e.installationId),
    column((e) => e.listingId),
    column((e) => e.executionId),
    column((e) => e.invocations),
    column((e) => e.tokensIn),
    column((e) => e.tokensOut),
    column((e) => e.durationMs),
    column((e) => e.cost),
    column((e) => e.currency),
    column((e) => e.occurredAt),
    column((e) => e.source),
    column((e) => e.toolCost ?? '0'),
    column((e) => e.toolTokens ?? 0),
  ]);
  return new Set(rows.map((row) => row.event_id));
}
