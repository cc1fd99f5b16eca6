-- Up Migration

-- Consumers' ratings, summarised per listing (search filters on minRating).
ALTER TABLE listings
  ADD COLUMN rating_average numeric(3, 2) CHECK (rating_average >= 0 AND rating_average <= 5),
  ADD COLUMN rating_count integer NOT NULL DEFAULT 0;

-- The full-text document of a version: listing name and tags (A), description (B), long description
-- (C). Written when the version is indexed; search reads the listing's latest published version's.
ALTER TABLE listing_versions ADD COLUMN search_document tsvector;
CREATE INDEX listing_versions_search_document_idx ON listing_versions USING gin (search_document);

-- Embeddings per version and model: the source of truth every vector index is rebuilt from. A new
-- model adds rows beside the old ones, so vectors of different models never mix.
CREATE TABLE version_embeddings (
  version_id uuid NOT NULL REFERENCES listing_versions (id),
  model text NOT NULL,
  dimensions integer NOT NULL CHECK (dimensions > 0),
  vector real[] NOT NULL,
  text_sha256 text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (version_id, model),
  CHECK (cardinality(vector) = dimensions)
);

-- Down Migration
DROP TABLE version_embeddings;
DROP INDEX listing_versions_search_document_idx;
ALTER TABLE listing_versions DROP COLUMN search_document;
ALTER TABLE listings DROP COLUMN rating_count, DROP COLUMN rating_average;
