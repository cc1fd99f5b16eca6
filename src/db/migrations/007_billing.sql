-- Up Migration

-- Minor units per major unit, as Stripe counts them: zero-decimal currencies (jpy, krw, ...) have
-- exponent 0, a few have 3, the rest 2. The one place amounts are scaled to integers.
CREATE FUNCTION currency_exponent(currency text) RETURNS integer
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE
    WHEN lower(currency) IN ('bif', 'clp', 'djf', 'gnf', 'jpy', 'kmf', 'krw', 'mga', 'pyg', 'rwf', 'ugx',
                             'vnd', 'vuv', 'xaf', 'xof', 'xpf') THEN 0
    WHEN lower(currency) IN ('bhd', 'jod', 'kwd', 'omr', 'tnd') THEN 3
    ELSE 2 END
$$;

-- One invoice per consumer organisation, billing period (a calendar month, UTC) and currency.
-- Built once: its lines are fixed when it is created; 'final' once it is synced to Stripe (when
-- configured) and can no longer change.
CREATE TABLE invoices (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations (id),
  period date NOT NULL CHECK (extract(day FROM period) = 1),
  currency text NOT NULL,
  currency_exponent integer NOT NULL,
  status text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'final')),
  total_minor bigint NOT NULL,
  stripe_customer_id text,
  stripe_invoice_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  finalized_at timestamptz,
  UNIQUE (org_id, period, currency)
);
CREATE INDEX invoices_org_idx ON invoices (org_id, period DESC);

-- One line per listing, charge kind and service period. Amounts in integer minor units, rounded
-- half away from zero once per line from the exact decimal sum it came from (amount_exact).
CREATE TABLE invoice_lines (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  invoice_id uuid NOT NULL REFERENCES invoices (id),
  org_id uuid NOT NULL REFERENCES organizations (id),
  listing_id uuid NOT NULL REFERENCES listings (id),
  publisher_org_id uuid NOT NULL REFERENCES organizations (id),
  kind text NOT NULL CHECK (kind IN ('usage', 'free_allowance', 'subscription', 'one_time', 'adjustment',
                                     'adjustment_free_allowance')),
  -- The month the charge is for: the invoice's period, or an earlier one for late usage.
  service_period date NOT NULL,
  description text NOT NULL,
  invocations bigint NOT NULL DEFAULT 0,
  tokens bigint NOT NULL DEFAULT 0,
  days integer,
  amount_exact numeric(30, 10) NOT NULL,
  amount_minor bigint NOT NULL,
  platform_fee_percent numeric(5, 2) NOT NULL,
  platform_fee_minor bigint NOT NULL,
  payout_minor bigint NOT NULL CHECK (payout_minor + platform_fee_minor = amount_minor),
  -- Derived from tenant, period, currency, kind, listing and service period: what Stripe sees.
  idempotency_key text NOT NULL UNIQUE,
  stripe_invoice_item_id text,
  UNIQUE (invoice_id, kind, listing_id, service_period)
);
CREATE INDEX invoice_lines_publisher_idx ON invoice_lines (publisher_org_id, listing_id);

-- The free allowance of late usage reads the tenant's earlier lines of the same listing.
CREATE INDEX invoice_lines_org_idx ON invoice_lines (org_id, listing_id);

-- How much of each monthly aggregate has been invoiced: billing charges the difference to the current
-- sums and moves these up to them, so its cost follows the aggregates, not the events. A late event
-- (recorded after its month was invoiced) raises the sums again and its difference is billed once, on
-- the next invoice. No extra index: a tenant's rows are found by usage_monthly_org_idx.
ALTER TABLE usage_monthly
  ADD COLUMN billed_events bigint NOT NULL DEFAULT 0,
  ADD COLUMN billed_invocations bigint NOT NULL DEFAULT 0,
  ADD COLUMN billed_tokens_in bigint NOT NULL DEFAULT 0,
  ADD COLUMN billed_tokens_out bigint NOT NULL DEFAULT 0,
  ADD COLUMN billed_cost numeric(30, 10) NOT NULL DEFAULT 0;

-- Billing reads one tenant's meters at a time.
CREATE INDEX usage_meters_org_idx ON usage_meters (org_id);

-- One-time fees billed, once per installation.
CREATE TABLE billed_one_time_fees (
  installation_id uuid PRIMARY KEY REFERENCES installations (id),
  invoice_id uuid NOT NULL REFERENCES invoices (id)
);

-- The Stripe customer of each organisation, created once.
CREATE TABLE stripe_customers (
  org_id uuid PRIMARY KEY REFERENCES organizations (id),
  customer_id text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE stripe_customers;
DROP TABLE billed_one_time_fees;
DROP INDEX usage_meters_org_idx;
ALTER TABLE usage_monthly DROP COLUMN billed_events, DROP COLUMN billed_invocations, DROP COLUMN billed_tokens_in,
  DROP COLUMN billed_tokens_out, DROP COLUMN billed_cost;
DROP TABLE invoice_lines;
DROP TABLE invoices;
DROP FUNCTION currency_exponent;
