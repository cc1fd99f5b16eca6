-- Up Migration

-- Webhook endpoints: where an organisation wants its events delivered. The signing secrets live in
-- the secret store (bazaar-webhook-<id>), never here.
CREATE TABLE webhook_endpoints (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations (id),
  url text NOT NULL,
  event_types text[] NOT NULL,
  description text,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  disabled_reason text,
  disabled_at timestamptz,
  -- The first failed attempt since the last success: disabled once it is WEBHOOKS_DISABLE_AFTER old.
  failing_since timestamptz,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX webhook_endpoints_org_idx ON webhook_endpoints (org_id, created_at DESC, id DESC);

-- One event to deliver to one endpoint (the outbox, fanned out per endpoint by the trigger below).
CREATE TABLE webhook_deliveries (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  endpoint_id uuid NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
  event_id uuid NOT NULL REFERENCES events (id),
  org_id uuid NOT NULL REFERENCES organizations (id),
  event_type text NOT NULL,
  event_occurred_at timestamptz NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  -- Index into the retry schedule of the next attempt (0: the first, sent at once).
  schedule_step integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz DEFAULT clock_timestamp(),
  last_status_code integer,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  UNIQUE (endpoint_id, event_id)
);
-- What an endpoint's delivery loop sends next, in event order.
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (endpoint_id, event_occurred_at, event_id)
  WHERE status = 'pending';
-- The sweep: endpoints with something due.
CREATE INDEX webhook_deliveries_sweep_idx ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
-- GET /v1/webhooks/{id}/deliveries: newest first, keyset-paged.
CREATE INDEX webhook_deliveries_list_idx ON webhook_deliveries (endpoint_id, created_at DESC, id DESC);

-- Every attempt to send a delivery, with what came back.
CREATE TABLE webhook_attempts (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  delivery_id uuid NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
  attempted_at timestamptz NOT NULL,
  status_code integer,
  latency_ms integer NOT NULL,
  response_excerpt text,
  error text,
  next_retry_at timestamptz
);
CREATE INDEX webhook_attempts_delivery_idx ON webhook_attempts (delivery_id, attempted_at DESC);

-- Fan-out, in the transaction that records the event: one delivery per active endpoint of the
-- organisation subscribed to its type, and a wake-up (NOTIFY, sent at commit) naming the endpoint.
-- webhook.test goes only to the endpoint it was sent for, which inserts that delivery itself.
CREATE FUNCTION webhook_fan_out() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  delivered record;
BEGIN
  IF NEW.type = 'webhook.test' THEN
    RETURN NEW;
  END IF;
  FOR delivered IN
    INSERT INTO webhook_deliveries (endpoint_id, event_id, org_id, event_type, event_occurred_at)
    SELECT e.id, NEW.id, NEW.org_id, NEW.type, NEW.occurred_at
    FROM webhook_endpoints e
    WHERE e.org_id = NEW.org_id AND e.status = 'active' AND NEW.type = ANY (e.event_types)
    RETURNING endpoint_id
  LOOP
    PERFORM pg_notify('webhook_deliveries', delivered.endpoint_id::text);
  END LOOP;
  RETURN NEW;
END;
$$;
CREATE TRIGGER events_webhook_fan_out AFTER INSERT ON events
  FOR EACH ROW EXECUTE FUNCTION webhook_fan_out();

-- quota.free_exhausted: once per organisation, listing and month.
CREATE UNIQUE INDEX events_free_exhausted_once_idx
  ON events (org_id, (data->>'listingId'), (data->>'month'))
  WHERE type = 'quota.free_exhausted';

-- Down Migration
DROP INDEX events_free_exhausted_once_idx;
DROP TRIGGER events_webhook_fan_out ON events;
DROP FUNCTION webhook_fan_out;
DROP TABLE webhook_attempts;
DROP TABLE webhook_deliveries;
DROP TABLE webhook_endpoints;
