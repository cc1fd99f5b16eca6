import semver from 'semver';
import type { Queryable } from '../../db/pool.js';
import type { Principal } from '../auth/principal.js';
import { announceListingChanged } from '../search/search-repository.js';
import { conflict, isUniqueViolation } from '../errors.js';
import type { CreateListing, Manifest, VersionStatus } from './schemas.js';
import { visibleVersionStatuses } from './version-status.js';

/** A listing as stored, without its versions. */
export interface Listing {
  id: string;
  orgId: string;
  slug: string;
  name: string;
  category: string;
  tags: string[];
  visibility: 'public' | 'private';
  latestVersion: string | null;
  createdAt: string;
  updatedAt: string;
}

/** One version of a listing. */
export interface ListingVersion {
  id: string;
  listingId: string;
  version: string;
  status: VersionStatus;
  statusReason: string | null;
  manifest: Manifest;
  /** The manifest's changelog, shown with the versions list. */
  changelog: string | null;
  submission: number;
  submittedAt: string | null;
  decision: 'approve' | 'reject' | null;
  decidedAt: string | null;
  publishedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

// Dates come as Date from a column and as text from json_agg (the listing page's one query).
const iso = (value: unknown) =>
  value ? (value instanceof Date ? value : new Date(value as string)).toISOString() : null;

const UUID_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// By id when it is one (the primary key), else by slug (unique): each side uses its index.
const byIdOrSlug = (idOrSlug: string) => (UUID_SHAPE.test(idOrSlug) ? 'l.id = $1::uuid' : 'l.slug = $1');

const LISTING_COLUMNS = `l.*, (SELECT v.version FROM listing_versions v WHERE v.id = l.latest_version_id) AS latest_version`;

function toListing(row: Record<string, unknown>): Listing {
  return {
    id: row.id as string,
    orgId: row.org_id as string,
    slug: row.slug as string,
    name: row.name as string,
    category: row.category as string,
    tags: row.tags as string[],
    visibility: row.visibility as Listing['visibility'],
    latestVersion: (row.latest_version as string | null) ?? null,
    createdAt: iso(row.created_at)!,
    updatedAt: iso(row.updated_at)!,
  };
}

function toVersion(row: Record<string, unknown>): ListingVersion {
  return {
    id: row.id as string,
    listingId: row.listing_id as string,
    version: row.version as string,
    status: row.status as VersionStatus,
    statusReason: (row.status_reason as string | null) ?? null,
    manifest: row.manifest as Manifest,
    changelog: (row.manifest as Partial<Manifest> | null)?.changelog ?? null,
    submission: row.submission as number,
    submittedAt: iso(row.submitted_at),
    decision: (row.decision as ListingVersion['decision']) ?? null,
    decidedAt: iso(row.decided_at),
    publishedAt: iso(row.published_at),
    createdAt: iso(row.created_at)!,
    updatedAt: iso(row.updated_at)!,
  };
}

/** Creates a listing owned by orgId; 409 when the slug is taken. */
export async function createListing(db: Queryable, orgId: string, input: CreateListing): Promise<Listing> {
  try {
    const { rows } = await db.query(
      `INSERT INTO listings (org_id, slug, name, category, tags, visibility)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING *, NULL AS latest_version`,
      [orgId, input.slug, input.name, input.category, input.tags, input.visibility],
    );
    return toListing(rows[0]);
  } catch (error) {
    if (isUniqueViolation(error)) throw conflict(`the slug "${input.slug}" is already taken`);
    throw error;
  }
}

/** Finds a listing by id or slug, with no access check (callers apply one). */
export async function findListing(db: Queryable, idOrSlug: string): Promise<Listing | null> {
  const { rows } = await db.query(`SELECT ${LISTING_COLUMNS} FROM listings l WHERE ${byIdOrSlug(idOrSlug)}`, [
    idOrSlug,
  ]);
  return rows[0] ? toListing(rows[0]) : null;
}

/** A catalog tool as a listing's page shows it (models for an llm tool only). */
export interface ListingTool {
  name: string;
  kind: 'llm' | 'http';
  description: string;
  credentialName: string;
  models?: string[];
}

/** A listing's page as read: the listing, every version, the rows its stats come from, and the catalog tools its versions declare. */
export interface ListingPage {
  listing: Listing;
  /** The publishing organisation's name. */
  publisherName: string;
  versions: ListingVersion[];
  aggregates: Record<string, unknown>;
  rollups: Array<Record<string, unknown>>;
  /** By name; a change to one of them is announced naming the listing (migration 015). */
  tools: ListingTool[];
}

/** The NOTIFY channel on which a change to a listing's page is announced, naming the listing (migration 014). */
export const CATALOG_CHANGES_CHANNEL = 'bazaar_catalog_changes';

/** The NOTIFY channel on which a change to any of an organisation's listings is announced, naming the organisation (migration 017). */
export const ORG_LISTINGS_CHANGES_CHANNEL = 'bazaar_org_listings_changes';

/**
 * A listing's page in one round trip: the listing, every version (oldest first), the rows its
 * stats are read from (the listing's aggregates and the last `days` daily rollups) and the catalog
 * tools any of its versions declares; null when absent.
 */
export async function findListingPage(
  db: Queryable,
  idOrSlug: string,
  days: number,
): Promise<ListingPage | null> {
  const { rows } = await db.query(
    `SELECT ${LISTING_COLUMNS},
            (SELECT o.name FROM organizations o WHERE o.id = l.org_id) AS publisher_name,
            (SELECT coalesce(json_agg(v ORDER BY v.created_at), '[]') FROM listing_versions v WHERE v.listing_id = l.id) AS versions_json,
            (SELECT coalesce(json_agg(d), '[]') FROM (
               SELECT executions, succeeded, duration_buckets FROM listing_execution_days
               WHERE listing_id = l.id AND day > (now() AT TIME ZONE 'UTC')::date - $2::int) d) AS rollups_json,
            (SELECT coalesce(json_agg(json_build_object('name', t.name, 'kind', t.kind, 'description', t.description,
                                                        'credentialName', t.credential_name, 'models', t.models)
                                      ORDER BY t.name), '[]')
             FROM tools t WHERE t.name IN (
               SELECT jsonb_array_elements_text(v.manifest->'requiredTools') FROM listing_versions v
               WHERE v.listing_id = l.id AND jsonb_typeof(v.manifest->'requiredTools') = 'array')) AS tools_json
     FROM listings l WHERE ${byIdOrSlug(idOrSlug)}`,
    [idOrSlug, days],
  );
  const row = rows[0];
  if (!row) return null;
  return {
    listing: toListing(row),
    publisherName: row.publisher_name as string,
    versions: (row.versions_json as Array<Record<string, unknown>>).map(toVersion),
    aggregates: row,
    rollups: row.rollups_json as Array<Record<string, unknown>>,
    tools: (row.tools_json as Array<ListingTool & { models: string[] }>).map(({ models, ...tool }) =>
      tool.kind === 'llm' ? { ...tool, models } : tool,
    ),
  };
}

/** Lists the listings an organisation publishes, newest first. */
export async function listOwnListings(db: Queryable, orgId: string): Promise<Listing[]> {
  const { rows } = await db.query(
    `SELECT ${LISTING_COLUMNS} FROM listings l WHERE l.org_id = $1 ORDER BY l.created_at DESC`,
    [orgId],
  );
  return rows.map(toListing);
}

/** True when the caller manages the listing: its publisher organisation or a platform admin. */
export function managesListing(principal: Principal, listing: Listing): boolean {
  return principal.role === 'platform-admin' || principal.orgId === listing.orgId;
}

/**
 * The listing and the versions this caller may see, or null when it may see none of it: a listing's
 * publisher and platform admins see every version; a reviewer sees what consumers see plus the
 * versions awaiting review (of private listings too), nothing else; others see public listings'
 * published and deprecated versions, and nothing at all of a private or not-yet-published listing.
 */
export async function findListingForCaller(
  db: Queryable,
  idOrSlug: string,
  principal: Principal,
): Promise<{ listing: Listing; versions: ListingVersion[] } | null> {
  const listing = await findListing(db, idOrSlug);
  if (!listing) return null;
  const versions = versionsForCaller(principal, listing, await listVersions(db, listing.id));
  return versions ? { listing, versions } : null;
}

/** The versions of a listing the caller may see (see findListingForCaller); null when none. */
export function versionsForCaller(
  principal: Principal,
  listing: Listing,
  all: ListingVersion[],
): ListingVersion[] | null {
  if (managesListing(principal, listing)) return all;
  const visibleToAll = listing.visibility === 'public';
  const visible = all.filter(
    (version) =>
      (visibleToAll && visibleVersionStatuses.includes(version.status)) ||
      (principal.role === 'reviewer' && version.status === 'in_review'),
  );
  return visible.length === 0 ? null : visible;
}

/** All versions of a listing, oldest first. */
export async function listVersions(db: Queryable, listingId: string): Promise<ListingVersion[]> {
  const { rows } = await db.query(
    'SELECT * FROM listing_versions WHERE listing_id = $1 ORDER BY created_at',
    [listingId],
  );
  return rows.map(toVersion);
}

/** Adds a draft version; 409 when the version already exists. */
export async function createVersion(
  db: Queryable,
  listingId: string,
  manifest: Manifest,
): Promise<ListingVersion> {
  try {
    const { rows } = await db.query(
      'INSERT INTO listing_versions (listing_id, version, manifest) VALUES ($1, $2, $3) RETURNING *',
      [listingId, manifest.version, JSON.stringify(manifest)],
    );
    return toVersion(rows[0]);
  } catch (error) {
    if (isUniqueViolation(error))
      throw conflict(`version ${manifest.version} already exists; versions are immutable`);
    throw error;
  }
}

/** Replaces a draft version's manifest; 409 once it has been submitted. */
export async function updateDraftVersion(
  db: Queryable,
  versionId: string,
  manifest: Manifest,
): Promise<ListingVersion> {
  const { rows } = await db.query(
    `UPDATE listing_versions SET manifest = $2, updated_at = now() WHERE id = $1 AND status = 'draft' RETURNING *`,
    [versionId, JSON.stringify(manifest)],
  );
  if (!rows[0]) throw conflict('only a draft version can be edited; submitted versions are immutable');
  return toVersion(rows[0]);
}

/** Finds one version of a listing by its semver string. */
export async function findVersion(
  db: Queryable,
  listingId: string,
  version: string,
): Promise<ListingVersion | null> {
  const { rows } = await db.query('SELECT * FROM listing_versions WHERE listing_id = $1 AND version = $2', [
    listingId,
    version,
  ]);
  return rows[0] ? toVersion(rows[0]) : null;
}

/** Finds a version by its id (null when absent or malformed). */
export async function findVersionById(db: Queryable, versionId: string): Promise<ListingVersion | null> {
  const { rows } = await db.query('SELECT * FROM listing_versions WHERE id::text = $1', [versionId]);
  return rows[0] ? toVersion(rows[0]) : null;
}

/**
 * Moves a version to a new status only if it is in one of the expected statuses; returns the updated
 * version, or null when it was not (so callers can tell "already done" from "moved now").
 */
export async function transitionVersion(
  db: Queryable,
  input: { versionId: string; from: readonly VersionStatus[]; to: VersionStatus; reason?: string | null },
): Promise<ListingVersion | null> {
  const { rows } = await db.query(
    `UPDATE listing_versions SET
       status = $3,
       status_reason = $4,
       submission = submission + CASE WHEN $3 = 'in_review' THEN 1 ELSE 0 END,
       submitted_at = CASE WHEN $3 = 'in_review' THEN now() ELSE submitted_at END,
       decision = CASE WHEN $3 = 'in_review' THEN NULL ELSE decision END,
       decided_by = CASE WHEN $3 = 'in_review' THEN NULL ELSE decided_by END,
       decided_at = CASE WHEN $3 = 'in_review' THEN NULL ELSE decided_at END,
       published_at = CASE WHEN $3 = 'published' THEN now() WHEN $3 = 'draft' THEN NULL ELSE published_at END,
       updated_at = now()
     WHERE id = $1 AND status = ANY($2::text[]) RETURNING *`,
    [input.versionId, input.from, input.to, input.reason ?? null],
  );
  return rows[0] ? toVersion(rows[0]) : null;
}

/**
 * Locks a version's row until the transaction ends and reads its status: `share` for a change that
 * needs the version to stay as it is (an install), `update` for a change of its status (deprecate,
 * yank). Share locks do not block one another; an update lock waits for them and they for it, so an
 * install and a yank of the same version take turns. Null when the version does not exist.
 */
export async function lockVersionStatus(
  db: Queryable,
  versionId: string,
  mode: 'share' | 'update',
): Promise<VersionStatus | null> {
  const lock = mode === 'share' ? 'FOR SHARE' : 'FOR NO KEY UPDATE';
  const { rows } = await db.query(`SELECT status FROM listing_versions WHERE id = $1 ${lock}`, [versionId]);
  return rows[0] ? (rows[0].status as VersionStatus) : null;
}

/** Records a reviewer's decision on an in-review version not yet decided; false when it cannot. */
export async function recordReviewDecision(
  db: Queryable,
  input: { versionId: string; decision: 'approve' | 'reject'; reviewerKeyId: string },
): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE listing_versions SET decision = $2, decided_by = $3, decided_at = now(), updated_at = now()
     WHERE id = $1 AND status = 'in_review' AND decided_at IS NULL`,
    [input.versionId, input.decision, input.reviewerKeyId],
  );
  return rowCount === 1;
}

/** Points a listing's default version at its highest published version (semver order); returns it. */
export async function refreshLatestVersion(db: Queryable, listingId: string): Promise<string | null> {
  const { rows } = await db.query(
    `SELECT id, version FROM listing_versions WHERE listing_id = $1 AND status = 'published'`,
    [listingId],
  );
  const latest = semver.rsort(rows.map((row) => row.version as string))[0] ?? null;
  const latestId = rows.find((row) => row.version === latest)?.id ?? null;
  await db.query('UPDATE listings SET latest_version_id = $2, updated_at = now() WHERE id = $1', [
    listingId,
    latestId,
  ]);
  // What search shows for a listing is its latest published version.
  await announceListingChanged(db, listingId);
  return latest;
}

/** A version awaiting review, with its listing, for the review queue. */
export interface PendingReview {
  version: ListingVersion;
  listing: Listing;
}

/**
 * The review queue: in-review versions still awaiting a decision, with their listings, oldest
 * submission first. A decided version leaves the queue at once, while its workflow publishes or rejects it.
 */
export async function listPendingReviews(db: Queryable, limit: number): Promise<PendingReview[]> {
  const versions = await db.query(
    `SELECT * FROM listing_versions WHERE status = 'in_review' AND decided_at IS NULL
     ORDER BY submitted_at, id LIMIT $1`,
    [limit],
  );
  const listingIds = [...new Set(versions.rows.map((row) => row.listing_id as string))];
  const listings = await db.query(`SELECT ${LISTING_COLUMNS} FROM listings l WHERE l.id = ANY($1::uuid[])`, [
    listingIds,
  ]);
  const listingById = new Map(listings.rows.map((row) => [row.id as string, toListing(row)]));
  return versions.rows.map((row) => ({ version: toVersion(row), listing: listingById.get(row.listing_id)! }));
}
