-- Up Migration

-- API processes also cache each organisation's own listings (GET /v1/listings, src/services/
-- own-listings.ts). That list is made of `listings` rows only (a version's number never changes
-- once written, and the latest one is chosen on the listing row), so a change to a listing is
-- announced a second time naming its organisation (both, should it ever move between two).
CREATE OR REPLACE FUNCTION announce_catalog_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  changed record;
BEGIN
  IF TG_OP = 'DELETE' THEN changed := OLD; ELSE changed := NEW; END IF;
  IF TG_TABLE_NAME = 'listings' THEN
    PERFORM pg_notify('bazaar_catalog_changes', changed.id::text);
    PERFORM pg_notify('bazaar_org_listings_changes', changed.org_id::text);
    IF TG_OP = 'UPDATE' AND OLD.org_id IS DISTINCT FROM NEW.org_id THEN
      PERFORM pg_notify('bazaar_org_listings_changes', OLD.org_id::text);
    END IF;
  ELSE
    PERFORM pg_notify('bazaar_catalog_changes', changed.listing_id::text);
  END IF;
  RETURN NULL;
END;
$$;

-- Down Migration
CREATE OR REPLACE FUNCTION announce_catalog_change() RETURNS trigger LANGUAGE plpgsql AS $$
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
