-- Up Migration

-- The gateway records its calls asynchronously, in batches, after answering the agent. Each call has
-- an id of its own, so a batch written again after an unclear failure records each call once.
-- cost is what the tool's price per 1k input and output tokens makes of the call's measured usage.
ALTER TABLE tool_calls
  ADD COLUMN call_id uuid NOT NULL DEFAULT gen_random_uuid(),
  ADD COLUMN cost numeric(30, 10) NOT NULL DEFAULT 0;
ALTER TABLE tool_calls ADD CONSTRAINT tool_calls_call_id_key UNIQUE (call_id);

-- recorded_calls counts the reserved calls whose record is written (calls - recorded_calls are still
-- going, or waiting in a gateway's batch): the run's end waits for them before it sums its usage.
-- tool_cost is what the recorded calls cost at their tools' prices (the budget reads it while the run
-- goes on). settled_at is set, under the row's lock, by the transaction that sums and bills the run's
-- usage: a call recorded after it (a stream that outlived its run) is billed on its own.
ALTER TABLE gateway_tokens
  ADD COLUMN recorded_calls integer NOT NULL DEFAULT 0,
  ADD COLUMN tool_cost numeric(30, 10) NOT NULL DEFAULT 0,
  ADD COLUMN settled_at timestamptz;

-- A listing's cached page carries the tools its versions declare: a change to a tool is announced
-- naming every listing whose versions declare it, like a change to the listing itself.
CREATE FUNCTION announce_tool_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  changed record;
  listing uuid;
BEGIN
  IF TG_OP = 'DELETE' THEN changed := OLD; ELSE changed := NEW; END IF;
  FOR listing IN
    SELECT DISTINCT listing_id FROM listing_versions WHERE manifest->'requiredTools' ? changed.name
  LOOP
    PERFORM pg_notify('bazaar_catalog_changes', listing::text);
  END LOOP;
  RETURN NULL;
END;
$$;
CREATE TRIGGER tools_announce_change AFTER INSERT OR UPDATE OR DELETE ON tools
  FOR EACH ROW EXECUTE FUNCTION announce_tool_change();

-- Down Migration
DROP TRIGGER tools_announce_change ON tools;
DROP FUNCTION announce_tool_change();
ALTER TABLE gateway_tokens DROP COLUMN settled_at, DROP COLUMN tool_cost, DROP COLUMN recorded_calls;
ALTER TABLE tool_calls DROP CONSTRAINT tool_calls_call_id_key;
ALTER TABLE tool_calls DROP COLUMN cost, DROP COLUMN call_id;
