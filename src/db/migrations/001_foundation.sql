-- Up Migration

-- Organisations (tenants) publish agents, consume them, or both.
CREATE TABLE organizations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- API keys: org keys carry admin/member; platform keys (no org) carry platform-admin/reviewer.
-- Only a SHA-256 of the high-entropy secret is stored.
CREATE TABLE api_keys (
  id text PRIMARY KEY,
  org_id uuid REFERENCES organizations (id),
  role text NOT NULL CHECK (role IN ('admin', 'member', 'platform-admin', 'reviewer')),
  name text NOT NULL,
  secret_hash text NOT NULL,
  created_by text,
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz,
  CONSTRAINT api_keys_role_matches_scope CHECK ((org_id IS NULL) = (role IN ('platform-admin', 'reviewer')))
);
CREATE INDEX api_keys_org_idx ON api_keys (org_id);

CREATE TABLE listings (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations (id),
  slug text NOT NULL UNIQUE,
  name text NOT NULL,
  category text NOT NULL,
  tags text[] NOT NULL DEFAULT '{}',
  visibility text NOT NULL CHECK (visibility IN ('public', 'private')),
  latest_version_id uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX listings_org_idx ON listings (org_id);

-- A version is a manifest; it is immutable once submitted (status leaves 'draft').
CREATE TABLE listing_versions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  listing_id uuid NOT NULL REFERENCES listings (id),
  version text NOT NULL,
  manifest jsonb NOT NULL,
  status text NOT NULL DEFAULT 'draft'
    CHECK (status IN ('draft', 'in_review', 'published', 'rejected', 'deprecated', 'suspended')),
  status_reason text,
  submission integer NOT NULL DEFAULT 0,
  submitted_at timestamptz,
  decision text CHECK (decision IN ('approve', 'reject')),
  decided_by text,
  decided_at timestamptz,
  published_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (listing_id, version)
);
CREATE INDEX listing_versions_status_idx ON listing_versions (status);

ALTER TABLE listings
  ADD CONSTRAINT listings_latest_version_fk FOREIGN KEY (latest_version_id) REFERENCES listing_versions (id);

-- Who did what, when and why; org_id says whose trail the event belongs to (NULL: platform only).
CREATE TABLE audit_events (
  id bigserial PRIMARY KEY,
  org_id uuid REFERENCES organizations (id),
  actor_key_id text,
  actor_role text,
  action text NOT NULL,
  subject_type text NOT NULL,
  subject_id text NOT NULL,
  reason text,
  details jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_events_org_time_idx ON audit_events (org_id, created_at);

-- Which organisation started (owns) each workflow, so GET /v1/workflows/{id} can authorise.
CREATE TABLE workflow_owners (
  workflow_id text PRIMARY KEY,
  org_id uuid REFERENCES organizations (id),
  kind text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE workflow_owners;
DROP TABLE audit_events;
ALTER TABLE listings DROP CONSTRAINT listings_latest_version_fk;
DROP TABLE listing_versions;
DROP TABLE listings;
DROP TABLE api_keys;
DROP TABLE organizations;
