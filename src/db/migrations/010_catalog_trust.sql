-- Up Migration

-- Consumers' ratings: one per organisation per listing, by an organisation that has used the agent.
-- Text is plain text, stored as written. A hidden rating stays stored but leaves lists and averages.
CREATE TABLE listing_ratings (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  listing_id uuid NOT NULL REFERENCES listings (id),
  org_id uuid NOT NULL REFERENCES organizations (id),
  version text NOT NULL,
  stars smallint NOT NULL CHECK (stars BETWEEN 1 AND 5),
  title text CHECK (char_length(title) <= 200),
  body text CHECK (char_length(body) <= 4000),
  reply text CHECK (char_length(reply) <= 4000),
  replied_at timestamptz,
  hidden_at timestamptz,
  hidden_reason text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (listing_id, org_id)
);
CREATE INDEX listing_ratings_page_idx ON listing_ratings (listing_id, created_at DESC, id DESC)
  WHERE hidden_at IS NULL;

-- Installations per listing, counted when an installation's status changes: every installation that
-- became active, and those active now.
ALTER TABLE listings
  ADD COLUMN installation_count integer NOT NULL DEFAULT 0 CHECK (installation_count >= 0),
  ADD COLUMN active_installation_count integer NOT NULL DEFAULT 0 CHECK (active_installation_count >= 0);
UPDATE listings l SET
  installation_count = c.ever,
  active_installation_count = c.active
FROM (
  SELECT listing_id,
         count(*) FILTER (WHERE status IN ('active', 'deprovisioning', 'removed')) AS ever,
         count(*) FILTER (WHERE status = 'active') AS active
  FROM installations GROUP BY listing_id
) c
WHERE c.listing_id = l.id;

-- Finished executions per listing and UTC day, written when each execution finishes: how many, how
-- many succeeded, and a histogram of durations in log buckets (bucket b counts durations in
-- [1.25^b, 1.25^(b+1)) ms; bucket 0 also takes 0 ms), from which a 30-day p50 is read to within ±12 %.
CREATE TABLE listing_execution_days (
  listing_id uuid NOT NULL REFERENCES listings (id),
  day date NOT NULL,
  executions integer NOT NULL DEFAULT 0,
  succeeded integer NOT NULL DEFAULT 0,
  duration_buckets integer[] NOT NULL DEFAULT '{}',
  PRIMARY KEY (listing_id, day)
);
INSERT INTO listing_execution_days (listing_id, day, executions, succeeded)
SELECT i.listing_id, (e.finished_at AT TIME ZONE 'UTC')::date, count(*), count(*) FILTER (WHERE e.status = 'succeeded')
FROM executions e JOIN installations i ON i.id = e.installation_id
WHERE e.finished_at IS NOT NULL
GROUP BY 1, 2;
WITH counted AS (
  SELECT i.listing_id, (e.finished_at AT TIME ZONE 'UTC')::date AS day,
         LEAST(71, GREATEST(0, floor(ln(GREATEST(e.duration_ms, 1)) / ln(1.25))::int)) AS bucket,
         count(*)::int AS n
  FROM executions e JOIN installations i ON i.id = e.installation_id
  WHERE e.finished_at IS NOT NULL AND e.duration_ms IS NOT NULL
  GROUP BY 1, 2, 3
)
UPDATE listing_execution_days d SET duration_buckets = (
  SELECT array_agg(COALESCE(c.n, 0) ORDER BY b)
  FROM generate_series(0, 71) AS b
  LEFT JOIN counted c ON c.listing_id = d.listing_id AND c.day = d.day AND c.bucket = b
)
WHERE EXISTS (SELECT 1 FROM counted c WHERE c.listing_id = d.listing_id AND c.day = d.day);

-- Ratings, written into the listing's rating_average / rating_count (migration 002) by every rating
-- change, so search's minRating filter sees them.

-- Down Migration
DROP TABLE listing_execution_days;
ALTER TABLE listings DROP COLUMN active_installation_count, DROP COLUMN installation_count;
DROP TABLE listing_ratings;
