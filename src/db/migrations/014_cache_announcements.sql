-- Up Migration

-- API processes cache the keys they authenticated (src/db/notified-cache.ts). Any change to
-- a key (revocation, the bootstrap key's new secret, a deletion) is announced at commit, naming the
-- key, so every process drops it at once, whoever made the change and however.
CREATE FUNCTION announce_api_key_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('bazaar_api_key_changes', OLD.id);
  RETURN NULL;
END;
$$;
CREATE TRIGGER api_keys_announce_change AFTER UPDATE OR DELETE ON api_keys
  FOR EACH ROW EXECUTE FUNCTION announce_api_key_change();

-- They also cache public listings' pages (src/services/show-listing.ts): a change to a listing, its
-- versions or its daily execution rollups (its stats) is announced naming the listing.
CREATE FUNCTION announce_catalog_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  changed record;
BEGIN
  IF TG_OP = 'DELETE' THEN changed := OLD; ELSE changed := NEW; END IF;
  IF TG_TABLE_NAME = 'listings' THEN
    PERFORM pg_notify('bazaar_catalog_changes', changed.id::text);
  ELSE
    PERFORM pg_notify('bazaar_catalog_changes', changed.listing_id::text);
  END IF;
  RETURN NULL;
END;
$$;
CREATE TRIGGER listings_announce_change AFTER INSERT OR UPDATE OR DELETE ON listings
  FOR EACH ROW EXECUTE FUNCTION announce_catalog_change();
CREATE TRIGGER listing_versions_announce_change AFTER INSERT OR UPDATE OR DELETE ON listing_versions
  FOR EACH ROW EXECUTE FUNCTION announce_catalog_change();
CREATE TRIGGER listing_execution_days_announce_change AFTER INSERT OR UPDATE OR DELETE ON listing_execution_days
  FOR EACH ROW EXECUTE FUNCTION announce_catalog_change();

-- Down Migration
DROP TRIGGER api_keys_announce_change ON api_keys;
DROP FUNCTION announce_api_key_change();
DROP TRIGGER listing_execution_days_announce_change ON listing_execution_days;
DROP TRIGGER listing_versions_announce_change ON listing_versions;
DROP TRIGGER listings_announce_change ON listings;
DROP FUNCTION announce_catalog_change();
