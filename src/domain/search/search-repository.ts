import type { QueryResultRow } from 'pg';
import { createHash } from 'node:crypto';
import type { Queryable } from '../../db/pool.js';
import { readListingsStats, type ListingStats } from '../catalog/listing-stats.js';
import type { VectorFilter, VectorPoint } from '../../adapters/vector-index/index.js';
import type { VectorPayload } from '../../adapters/vector-index/vector-index.js';
import type { RankedCandidate } from './hybrid-fusion.js';
import type { QualitySignals } from './quality-tie-break.js';
import {
  lexicalMatchSql,
  lexicalRankSql,
  listingSearchDocumentSql,
  toLexicalQueryText,
} from './lexical-query.js';
import { listingEmbeddingText } from './listing-search-text.js';

/** PostgreSQL channel announcing listings whose searchable state changed (payload: listing id). */
export const SEARCH_CHANGES_CHANNEL = 'bazaar_search_changes';

/** Announces a listing's searchable state changed; delivered to listeners when the transaction commits. */
export async function announceListingChanged(db: Queryable, listingId: string): Promise<void> {
  await db.query('SELECT pg_notify($1, $2)', [SEARCH_CHANGES_CHANNEL, listingId]);
}

/** The text of a version to embed, its hash, and its listing; null when the version does not exist. */
export async function loadEmbeddingText(
  db: Queryable,
  versionId: string,
): Promise<{ listingId: string; text: string; sha256: string } | null> {
  const { rows } = await db.query(
    `SELECT l.id AS listing_id, l.name, l.category, l.tags,
            v.manifest->>'description' AS description, v.manifest->>'longDescription' AS long_description,
            v.manifest->'exampleTasks' AS example_tasks
     FROM listing_versions v JOIN listings l ON l.id = v.listing_id WHERE v.id = $1`,
    [versionId],
  );
  const row = rows[0];
  if (!row) return null;
  const text = listingEmbeddingText({
    name: row.name,
    category: row.category,
    tags: row.tags,
    description: row.description,
    longDescription: row.long_description,
    exampleTasks: row.example_tasks,
  });
  return { listingId: row.listing_id, text, sha256: createHash('sha256').update(text).digest('hex') };
}

const searchDocumentSql = listingSearchDocumentSql(
  `l.name || ' ' || array_to_string(l.tags, ' ')`,
  // Same text as listingLexicalFields: the description, then each example task on its own line.
  `concat_ws(E'\\n', v.manifest->>'description',
     (SELECT string_agg(task, E'\\n') FROM jsonb_array_elements_text(
        CASE jsonb_typeof(v.manifest->'exampleTasks') WHEN 'array' THEN v.manifest->'exampleTasks' ELSE '[]' END) task))`,
  `v.manifest->>'longDescription'`,
);

/** Writes a version's weighted full-text document from its listing and manifest. */
export async function writeSearchDocument(db: Queryable, versionId: string): Promise<void> {
  await db.query(
    `UPDATE listing_versions v SET search_document = ${searchDocumentSql}
     FROM listings l WHERE l.id = v.listing_id AND v.id = $1`,
    [versionId],
  );
}

/** True when the version already has an embedding of this exact text by this model. */
export async function hasEmbedding(
  db: Queryable,
  versionId: string,
  model: string,
  sha256: string,
): Promise<boolean> {
  const { rowCount } = await db.query(
    'SELECT 1 FROM version_embeddings WHERE version_id = $1 AND model = $2 AND text_sha256 = $3',
    [versionId, model, sha256],
  );
  return rowCount === 1;
}

/** Stores (or replaces) a version's embedding for a model. */
export async function storeEmbedding(
  db: Queryable,
  input: { versionId: string; model: string; vector: Float32Array; sha256: string },
): Promise<void> {
  await db.query(
    `INSERT INTO version_embeddings (version_id, model, dimensions, vector, text_sha256) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (version_id, model) DO UPDATE SET vector = EXCLUDED.vector, dimensions = EXCLUDED.dimensions,
       text_sha256 = EXCLUDED.text_sha256, created_at = now()`,
    [input.versionId, input.model, input.vector.length, Array.from(input.vector), input.sha256],
  );
}

/** Removes a version from search: its embeddings and its full-text document. */
export async function removeFromSearch(db: Queryable, versionId: string): Promise<void> {
  await db.query('DELETE FROM version_embeddings WHERE version_id = $1', [versionId]);
  await db.query('UPDATE listing_versions SET search_document = NULL WHERE id = $1', [versionId]);
}

/** Versions that are searchable or may become so but have no embedding by this model yet. */
export async function versionsMissingEmbedding(
  db: Queryable,
  model: string,
  limit: number,
): Promise<string[]> {
  const { rows } = await db.query(
    `SELECT v.id FROM listing_versions v
     WHERE v.status IN ('in_review', 'published')
       AND NOT EXISTS (SELECT 1 FROM version_embeddings e WHERE e.version_id = v.id AND e.model = $1)
     ORDER BY v.id LIMIT $2`,
    [model, limit],
  );
  return rows.map((row) => row.id as string);
}

/** A vector index point with its stamp, which changes whenever the point must be replaced. */
export interface StampedPoint extends VectorPoint {
  stamp: string;
}

// One row per listing with a searchable point: its latest version's embedding by the model.
function indexRowsSql(columns: string): string {
  return `SELECT l.id, l.org_id, l.visibility, l.category, l.tags, l.rating_average, v.id AS version_id,
            v.manifest->'pricing'->>'model' AS pricing_model, e.text_sha256${columns}
     FROM listings l
     JOIN listing_versions v ON v.id = l.latest_version_id
     JOIN version_embeddings e ON e.version_id = v.id AND e.model = $1
     WHERE $2::uuid[] IS NULL OR l.id = ANY($2::uuid[])`;
}

function indexPayload(row: QueryResultRow, model: string): VectorPayload {
  return {
    listingId: row.id,
    versionId: row.version_id,
    orgId: row.org_id,
    visibility: row.visibility,
    published: true,
    category: row.category,
    pricingModel: row.pricing_model,
    tags: row.tags,
    rating: row.rating_average === null ? null : Number(row.rating_average),
    embeddingModel: model,
  };
}

// The embedded text's hash and the payload: the same stamp means the same vector and payload.
// Changing what a payload holds makes every snapshot's points stale: bump FORMAT in
// vector-index-snapshot.ts with it, so the next start rebuilds instead of replacing every point.
function indexStamp(textSha256: string, payload: VectorPayload): string {
  return createHash('sha256')
    .update(JSON.stringify([textSha256, payload]))
    .digest('base64url');
}

/**
 * The stamp of each listing's index point, without reading vectors: what the index sync compares
 * to its own to fetch only the points that changed. Limited to the given listings when passed.
 */
export async function loadIndexStamps(
  db: Queryable,
  model: string,
  listingIds?: string[],
): Promise<Map<string, string>> {
  const { rows } = await db.query(indexRowsSql(''), [model, listingIds ?? null]);
  return new Map(
    rows.map((row) => [row.id as string, indexStamp(row.text_sha256, indexPayload(row, model))]),
  );
}

/**
 * Vector index points, one per listing: the embedding (by this model) of the listing's latest
 * published version. Limited to the given listings when listingIds is passed.
 */
export async function loadIndexPoints(
  db: Queryable,
  model: string,
  listingIds?: string[],
): Promise<StampedPoint[]> {
  const { rows } = await db.query(indexRowsSql(', e.vector::text AS vector'), [model, listingIds ?? null]);
  return rows.map((row) => {
    const payload = indexPayload(row, model);
    return {
      id: row.id,
      // As text, parsed with JSON.parse: node-pg's real[] parser was the start-up rebuild's largest cost.
      vector: Float32Array.from(JSON.parse(`[${(row.vector as string).slice(1, -1)}]`) as number[]),
      payload,
      stamp: indexStamp(row.text_sha256, payload),
    };
  });
}

/**
 * Full-text candidates, best first: listings whose latest published version matches the query,
 * visible to the viewer (public, or its own private ones) and passing the filters.
 */
export async function lexicalCandidates(
  db: Queryable,
  input: { query: string; filter: VectorFilter; limit: number },
): Promise<RankedCandidate[]> {
  const { filter } = input;
  const { rows } = await db.query(
    `SELECT l.id, ${lexicalRankSql('v.search_document', '$1')} AS score
     FROM listings l JOIN listing_versions v ON v.id = l.latest_version_id
     WHERE ${lexicalMatchSql('v.search_document', '$1')}
       AND (l.visibility = 'public' OR l.org_id = $2)
       AND ($3::text IS NULL OR l.category = $3)
       AND ($4::text IS NULL OR v.manifest->'pricing'->>'model' = $4)
       AND ($5::text[] IS NULL OR l.tags @> $5::text[])
       AND ($6::numeric IS NULL OR l.rating_average >= $6)
     ORDER BY score DESC, l.id LIMIT $7`,
    [
      toLexicalQueryText(input.query),
      filter.viewerOrgId,
      filter.category ?? null,
      filter.pricingModel ?? null,
      filter.tags?.length ? filter.tags : null,
      filter.minRating ?? null,
      input.limit,
    ],
  );
  return rows.map((row) => ({ id: row.id as string, score: Number(row.score) }));
}

/** What a search result shows about a listing. */
export interface SearchListingSummary {
  id: string;
  slug: string;
  name: string;
  category: string;
  tags: string[];
  visibility: 'public' | 'private';
  latestVersion: string;
  description: string;
  pricingModel: string;
  rating: number | null;
}

/** Loads result summaries for listings, re-checking visibility and publication at read time. */
export async function loadSearchListings(
  db: Queryable,
  listingIds: string[],
  viewerOrgId: string | null,
): Promise<Map<string, SearchListingSummary>> {
  const { rows } = await db.query(
    `SELECT l.id, l.slug, l.name, l.category, l.tags, l.visibility, l.rating_average, v.version,
            v.manifest->>'description' AS description, v.manifest->'pricing'->>'model' AS pricing_model
     FROM listings l JOIN listing_versions v ON v.id = l.latest_version_id
     WHERE l.id = ANY($1::uuid[]) AND (l.visibility = 'public' OR l.org_id = $2)`,
    [listingIds, viewerOrgId],
  );
  return new Map(rows.map((row) => [row.id as string, summaryOf(row)]));
}

/** Quality signals of listings from the catalog's aggregates (ratings, installations, 30-day rollups). */
export async function loadQualitySignals(
  db: Queryable,
  listingIds: string[],
): Promise<Map<string, QualitySignals>> {
  if (listingIds.length === 0) return new Map();
  const { rows } = await db.query(
    `SELECT l.id, l.rating_average, l.rating_count, l.active_installation_count,
            COALESCE(d.executions, 0)::int AS executions, COALESCE(d.succeeded, 0)::int AS succeeded
     FROM listings l
     LEFT JOIN LATERAL (
       SELECT sum(executions) AS executions, sum(succeeded) AS succeeded FROM listing_execution_days
       WHERE listing_id = l.id AND day > (now() AT TIME ZONE 'UTC')::date - 30
     ) d ON true
     WHERE l.id = ANY($1::uuid[])`,
    [listingIds],
  );
  return new Map(
    rows.map((row) => [
      row.id as string,
      {
        ratingAverage: row.rating_average === null ? null : Number(row.rating_average),
        ratingCount: row.rating_count as number,
        activeInstallations: row.active_installation_count as number,
        executions30d: row.executions as number,
        succeeded30d: row.succeeded as number,
      },
    ]),
  );
}

/**
 * What search shows and ranks by for one listing, whoever asks: its summary, owner, stats and quality
 * signals. Cached per listing (catalog announcements name the listing), so a result seen recently
 * costs no query; visibility is still decided per viewer with visibleTo().
 */
export interface SearchCard {
  listing: SearchListingSummary;
  orgId: string;
  stats: ListingStats;
  quality: QualitySignals;
}

/** Whether a viewer (an organisation, or null for none) may see a card's listing. */
export function visibleTo(card: SearchCard, viewerOrgId: string | null): boolean {
  return card.listing.visibility === 'public' || card.orgId === viewerOrgId;
}

/** Cards of listings with a latest published version; three queries in one round trip. */
export async function loadSearchCards(db: Queryable, listingIds: string[]): Promise<Map<string, SearchCard>> {
  if (listingIds.length === 0) return new Map();
  const [summaries, stats, quality] = await Promise.all([
    db.query(
      `SELECT l.id, l.org_id, l.slug, l.name, l.category, l.tags, l.visibility, l.rating_average, v.version,
              v.manifest->>'description' AS description, v.manifest->'pricing'->>'model' AS pricing_model
       FROM listings l JOIN listing_versions v ON v.id = l.latest_version_id
       WHERE l.id = ANY($1::uuid[])`,
      [listingIds],
    ),
    readListingsStats(db, listingIds),
    loadQualitySignals(db, listingIds),
  ]);
  const cards = new Map<string, SearchCard>();
  for (const row of summaries.rows) {
    const listingStats = stats.get(row.id);
    const signals = quality.get(row.id);
    if (!listingStats || !signals) continue;
    cards.set(row.id, {
      listing: summaryOf(row),
      orgId: row.org_id,
      stats: listingStats,
      quality: signals,
    });
  }
  return cards;
}

function summaryOf(row: QueryResultRow): SearchListingSummary {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    category: row.category,
    tags: row.tags,
    visibility: row.visibility,
    latestVersion: row.version,
    description: row.description,
    pricingModel: row.pricing_model,
    rating: row.rating_average === null ? null : Number(row.rating_average),
  };
}
