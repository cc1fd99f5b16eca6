-- Up Migration

-- The event log (outbox): one row per change worth telling an organisation about, written in the
-- same transaction as the change. `data` names ids and names, never secret values.
CREATE TABLE events (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations (id),
  type text NOT NULL,
  occurred_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  data jsonb NOT NULL
);
-- GET /v1/events: an organisation's events newest first, keyset-paged on (occurred_at, id).
CREATE INDEX events_org_time_idx ON events (org_id, occurred_at DESC, id DESC);
CREATE INDEX events_type_idx ON events (type);
-- usage.budget_threshold: once per installation, month and threshold (80, 100), however often checked.
CREATE UNIQUE INDEX events_budget_threshold_once_idx
  ON events ((data->>'installationId'), (data->>'month'), (data->>'threshold'))
  WHERE type = 'usage.budget_threshold';

-- Down Migration
DROP TABLE events;
