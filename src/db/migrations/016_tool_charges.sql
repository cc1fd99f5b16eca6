-- Up Migration

-- What an event's gateway tool calls cost at the tools' prices (part of its cost, never more), and the
-- tokens of those priced calls: the platform operates and prices the tools, so billing puts them on a
-- line of their own that pays the publisher nothing.
ALTER TABLE usage_events
  ADD COLUMN tool_cost numeric(20, 10) NOT NULL DEFAULT 0,
  ADD COLUMN tool_tokens integer NOT NULL DEFAULT 0;

-- The monthly aggregates keep them apart too, with their billed counterparts (see 007).
ALTER TABLE usage_monthly
  ADD COLUMN tool_cost numeric(30, 10) NOT NULL DEFAULT 0,
  ADD COLUMN tool_tokens bigint NOT NULL DEFAULT 0,
  ADD COLUMN billed_tool_cost numeric(30, 10) NOT NULL DEFAULT 0,
  ADD COLUMN billed_tool_tokens bigint NOT NULL DEFAULT 0;

ALTER TABLE invoice_lines DROP CONSTRAINT invoice_lines_kind_check;
ALTER TABLE invoice_lines ADD CONSTRAINT invoice_lines_kind_check
  CHECK (kind IN ('usage', 'free_allowance', 'subscription', 'one_time', 'adjustment',
                  'adjustment_free_allowance', 'tool_usage'));

-- Events recorded before: a late call's own event is all tool cost; a run's event holds its calls
-- that were not billed on their own.
UPDATE usage_events e SET tool_cost = t.cost,
  tool_tokens = CASE WHEN t.cost > 0 THEN t.tokens_in + t.tokens_out ELSE 0 END
FROM tool_calls t
WHERE e.event_id = 'tool-call:' || t.call_id::text;
UPDATE usage_events e SET tool_cost = s.cost, tool_tokens = s.tokens
FROM (
  SELECT t.execution_id, sum(t.cost) AS cost,
         sum(CASE WHEN t.cost > 0 THEN t.tokens_in + t.tokens_out ELSE 0 END) AS tokens
  FROM tool_calls t
  WHERE NOT EXISTS (SELECT 1 FROM usage_events l WHERE l.event_id = 'tool-call:' || t.call_id::text)
  GROUP BY 1
) s
WHERE e.event_id = 'execution:' || s.execution_id::text;
UPDATE usage_monthly m SET tool_cost = s.cost, tool_tokens = s.tokens
FROM (
  SELECT installation_id, date_trunc('month', occurred_at AT TIME ZONE 'UTC')::date AS month, currency,
         sum(tool_cost) AS cost, sum(tool_tokens) AS tokens
  FROM usage_events WHERE tool_cost <> 0 OR tool_tokens <> 0
  GROUP BY 1, 2, 3
) s
WHERE m.installation_id = s.installation_id AND m.month = s.month AND m.currency = s.currency;
-- Aggregates invoiced in full had their tool cost on the listing's line already: billed, as it was.
UPDATE usage_monthly SET billed_tool_cost = tool_cost, billed_tool_tokens = tool_tokens
WHERE billed_events = events AND (tool_cost <> 0 OR tool_tokens <> 0);

-- Down Migration
-- Lines already issued stay as they were (NOT VALID): an invoice never changes.
ALTER TABLE invoice_lines DROP CONSTRAINT invoice_lines_kind_check;
ALTER TABLE invoice_lines ADD CONSTRAINT invoice_lines_kind_check
  CHECK (kind IN ('usage', 'free_allowance', 'subscription', 'one_time', 'adjustment',
                  'adjustment_free_allowance')) NOT VALID;
ALTER TABLE usage_monthly DROP COLUMN billed_tool_tokens, DROP COLUMN billed_tool_cost, DROP COLUMN tool_tokens,
  DROP COLUMN tool_cost;
ALTER TABLE usage_events DROP COLUMN tool_tokens, DROP COLUMN tool_cost;
