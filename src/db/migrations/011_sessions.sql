-- Up Migration

-- Console sessions: a person signs in by pasting an API key once; the browser then holds only a random
-- session id in an HttpOnly cookie. Only a SHA-256 of that id is stored (like API keys' secrets), so a
-- copy of this table signs nobody in. A session acts as its key: it dies with the key's revocation
-- (authentication joins api_keys) and at expires_at, whichever comes first.
CREATE TABLE console_sessions (
  id_hash text PRIMARY KEY,
  key_id text NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX console_sessions_key_idx ON console_sessions (key_id);
CREATE INDEX console_sessions_expiry_idx ON console_sessions (expires_at);

-- Down Migration
DROP TABLE console_sessions;
