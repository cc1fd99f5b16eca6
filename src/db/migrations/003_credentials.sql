-- Up Migration

-- Tenants' secrets for the embedded secret store (SECRET_STORE=postgres), envelope-encrypted with
-- AES-256-GCM: the value under a fresh data key per write, the data key wrapped by the master key
-- named in master_key_id. Both are bound to (org_id, name) as additional authenticated data, so a
-- row copied to another tenant or name fails to decrypt. Nothing here is readable without the key.
CREATE TABLE tenant_secrets (
  org_id uuid NOT NULL REFERENCES organizations (id),
  name text NOT NULL,
  value_ciphertext bytea NOT NULL,
  wrapped_data_key bytea NOT NULL,
  master_key_id text NOT NULL,
  version integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, name)
);
-- Key rotation finds the rows still wrapped by an old master key.
CREATE INDEX tenant_secrets_master_key_idx ON tenant_secrets (master_key_id);

-- Down Migration
DROP TABLE tenant_secrets;
