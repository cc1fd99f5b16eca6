-- Up Migration

-- An organisation's installation of one listing version into an isolated runtime.
CREATE TABLE installations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations (id),
  listing_id uuid NOT NULL REFERENCES listings (id),
  version_id uuid NOT NULL REFERENCES listing_versions (id),
  status text NOT NULL DEFAULT 'provisioning'
    CHECK (status IN ('provisioning', 'active', 'failed', 'deprovisioning', 'removed')),
  status_reason text,
  -- The credential names the version declares; values live only in the secret store and runtime.
  credential_names text[] NOT NULL DEFAULT '{}',
  -- Where the runtime driver put this installation's runtime (driver kind and its own reference).
  runtime jsonb,
  created_by text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX installations_org_idx ON installations (org_id, created_at);
CREATE INDEX installations_credentials_idx ON installations USING gin (credential_names);

-- One usage meter per installation, with the version's pricing as it was when installed.
CREATE TABLE usage_meters (
  installation_id uuid PRIMARY KEY REFERENCES installations (id),
  org_id uuid NOT NULL REFERENCES organizations (id),
  listing_id uuid NOT NULL REFERENCES listings (id),
  pricing jsonb NOT NULL,
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
  opened_at timestamptz NOT NULL DEFAULT now(),
  closed_at timestamptz
);

-- Down Migration
DROP TABLE usage_meters;
DROP TABLE installations;
