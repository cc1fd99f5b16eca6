-- Up Migration

-- The platform's tool catalog, managed by platform admins. An `llm` tool is an OpenAI-compatible
-- upstream (base_url ends where /chat/completions and /embeddings start) and the models it allows; an
-- `http` tool is any upstream, with the methods and path prefixes an agent may use. Either way the
-- gateway authenticates upstream with the consumer's own credential named credential_name, injected
-- as auth_header: auth_template (with {credential} replaced); an agent never holds it.
CREATE TABLE tools (
  name text PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('llm', 'http')),
  description text NOT NULL,
  base_url text NOT NULL,
  credential_name text NOT NULL,
  auth_header text NOT NULL DEFAULT 'authorization',
  auth_template text NOT NULL DEFAULT 'Bearer {credential}',
  models text[] NOT NULL DEFAULT '{}',
  allowed_methods text[] NOT NULL DEFAULT '{}',
  allowed_path_prefixes text[] NOT NULL DEFAULT '{}',
  price_per_1k_input_tokens numeric(20, 10),
  price_per_1k_output_tokens numeric(20, 10),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- One execution's gateway token: only its SHA-256 is kept. It allows exactly the tools named, until
-- it expires or is revoked (when the run ends). calls and tokens count what was used through it, for
-- the manifest's caps and for the installation's budget while the run is still going.
CREATE TABLE gateway_tokens (
  token_sha256 text PRIMARY KEY,
  execution_id uuid NOT NULL REFERENCES executions (id),
  installation_id uuid NOT NULL REFERENCES installations (id),
  org_id uuid NOT NULL REFERENCES organizations (id),
  tools text[] NOT NULL,
  max_tool_calls integer,
  max_tokens integer,
  calls integer NOT NULL DEFAULT 0,
  tokens_in bigint NOT NULL DEFAULT 0,
  tokens_out bigint NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz
);
CREATE INDEX gateway_tokens_execution_idx ON gateway_tokens (execution_id);
CREATE INDEX gateway_tokens_live_idx ON gateway_tokens (installation_id) WHERE revoked_at IS NULL;

-- One row per upstream call the gateway made for an execution, with the usage the upstream reported.
-- No foreign key to tools: a call stays on record after its tool leaves the catalog.
CREATE TABLE tool_calls (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  execution_id uuid NOT NULL REFERENCES executions (id),
  org_id uuid NOT NULL REFERENCES organizations (id),
  installation_id uuid NOT NULL REFERENCES installations (id),
  tool text NOT NULL,
  model text,
  status text NOT NULL CHECK (status IN ('succeeded', 'failed')),
  upstream_status integer,
  tokens_in integer NOT NULL DEFAULT 0,
  tokens_out integer NOT NULL DEFAULT 0,
  duration_ms integer NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tool_calls_execution_idx ON tool_calls (execution_id, id);

-- Where an execution's tokens came from: measured by the gateway, or reported by the agent itself.
-- What the agent reported is kept apart, and is never billed when the gateway measured the run.
ALTER TABLE executions
  ADD COLUMN usage_source text CHECK (usage_source IN ('gateway', 'agent')),
  ADD COLUMN agent_tokens_in integer,
  ADD COLUMN agent_tokens_out integer;

-- Down Migration
ALTER TABLE executions DROP COLUMN agent_tokens_out, DROP COLUMN agent_tokens_in, DROP COLUMN usage_source;
DROP TABLE tool_calls;
DROP TABLE gateway_tokens;
DROP TABLE tools;
