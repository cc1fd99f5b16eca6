-- Up Migration

-- A version's agent artifact (tar.gz, size-capped) for the local runtime, immutable once the version
-- is submitted. Kept in PostgreSQL so that any worker can read it: Bazaar's own processes stay stateless.
CREATE TABLE version_artifacts (
  version_id uuid PRIMARY KEY REFERENCES listing_versions (id),
  sha256 text NOT NULL,
  size_bytes integer NOT NULL,
  content bytea NOT NULL,
  uploaded_at timestamptz NOT NULL DEFAULT now()
);

-- One invocation of an installed agent.
CREATE TABLE executions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations (id),
  installation_id uuid NOT NULL REFERENCES installations (id),
  version_id uuid NOT NULL REFERENCES listing_versions (id),
  status text NOT NULL DEFAULT 'queued'
    CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'timed_out')),
  input jsonb NOT NULL,
  output jsonb,
  reason text,
  tokens_in integer,
  tokens_out integer,
  duration_ms integer,
  cost numeric(20, 10),
  currency text,
  idempotency_key text,
  request_sha256 text NOT NULL,
  created_by text,
  created_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);
CREATE UNIQUE INDEX executions_idempotency_idx ON executions (org_id, installation_id, idempotency_key)
  WHERE idempotency_key IS NOT NULL;
CREATE INDEX executions_installation_idx ON executions (installation_id, created_at);

-- Metered usage: one event per execution (event_id), so retries and replays never count twice.
CREATE TABLE usage_events (
  event_id text PRIMARY KEY,
  org_id uuid NOT NULL REFERENCES organizations (id),
  installation_id uuid NOT NULL REFERENCES installations (id),
  listing_id uuid NOT NULL REFERENCES listings (id),
  execution_id uuid REFERENCES executions (id),
  invocations integer NOT NULL DEFAULT 1,
  tokens_in integer NOT NULL DEFAULT 0,
  tokens_out integer NOT NULL DEFAULT 0,
  duration_ms integer NOT NULL DEFAULT 0,
  cost numeric(20, 10) NOT NULL,
  currency text NOT NULL,
  occurred_at timestamptz NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX usage_events_org_time_idx ON usage_events (org_id, occurred_at);

-- Down Migration
DROP TABLE usage_events;
DROP TABLE executions;
DROP TABLE version_artifacts;
