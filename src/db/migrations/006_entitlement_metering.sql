-- Up Migration

-- A platform admin can suspend an organisation: it keeps reading its data but can neither install
-- nor invoke agents until reinstated.
ALTER TABLE organizations
  ADD COLUMN status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
  ADD COLUMN status_reason text;

-- A consumer's optional spending cap per installation and calendar month (UTC), in the currency of
-- the installation's pricing; executions are refused once the month's metered cost reaches it.
ALTER TABLE installations ADD COLUMN monthly_budget numeric(20, 10) CHECK (monthly_budget >= 0);

-- Usage comes from Bazaar's own executions or from a publisher's remote agent reporting its own.
ALTER TABLE usage_events
  ADD COLUMN source text NOT NULL DEFAULT 'platform' CHECK (source IN ('platform', 'publisher'));

-- The metered price of some usage under an installation's pricing snapshot, in exact decimals: the
-- one formula that executions, publisher-reported events and billing share. Only usage-based pricing
-- charges per use; free, subscription and one-time listings cost nothing per invocation.
CREATE FUNCTION usage_cost(pricing jsonb, invocations bigint, tokens bigint) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN pricing->>'model' = 'usage_based' THEN
      invocations * COALESCE((pricing->>'pricePerInvocation')::numeric, 0)
      + tokens::numeric / 1000 * COALESCE((pricing->>'pricePer1kTokens')::numeric, 0)
    ELSE 0 END
$$;

-- Per tenant, installation, listing and month (UTC): the aggregates quota, budget and summaries
-- read, maintained in the same statement that inserts the events, so they never drift.
CREATE TABLE usage_monthly (
  org_id uuid NOT NULL REFERENCES organizations (id),
  installation_id uuid NOT NULL REFERENCES installations (id),
  listing_id uuid NOT NULL REFERENCES listings (id),
  month date NOT NULL,
  currency text NOT NULL,
  events bigint NOT NULL,
  invocations bigint NOT NULL,
  tokens_in bigint NOT NULL,
  tokens_out bigint NOT NULL,
  duration_ms bigint NOT NULL,
  cost numeric(30, 10) NOT NULL,
  PRIMARY KEY (installation_id, month, currency)
);
CREATE INDEX usage_monthly_org_idx ON usage_monthly (org_id, month, listing_id);

INSERT INTO usage_monthly
SELECT org_id, installation_id, listing_id, date_trunc('month', occurred_at AT TIME ZONE 'UTC')::date, currency,
       count(*), sum(invocations), sum(tokens_in), sum(tokens_out), sum(duration_ms), sum(cost)
FROM usage_events
GROUP BY 1, 2, 3, 4, 5;

-- The free-quota check counts an organisation's executions of one listing this month.
CREATE INDEX executions_org_created_idx ON executions (org_id, created_at);

-- Down Migration
DROP INDEX executions_org_created_idx;
DROP TABLE usage_monthly;
DROP FUNCTION usage_cost;
ALTER TABLE usage_events DROP COLUMN source;
ALTER TABLE installations DROP COLUMN monthly_budget;
ALTER TABLE organizations DROP COLUMN status_reason, DROP COLUMN status;
