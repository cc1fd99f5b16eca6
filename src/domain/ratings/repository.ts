import { z } from 'zod';
import type { Queryable } from '../../db/pool.js';
import { AppError } from '../errors.js';
import { decodeOpaqueCursor, encodeOpaqueCursor, fingerprintOf } from '../opaque-cursor.js';

/** A consumer organisation's rating of a listing, as the API shows it (plain text, as written). */
export const ratingSchema = z.object({
  id: z.uuid(),
  listingId: z.uuid(),
  stars: z.number().int().min(1).max(5),
  title: z.string().nullable(),
  text: z.string().nullable(),
  version: z.string().meta({ description: 'The version the organisation ran when it wrote the rating' }),
  organizationName: z.string(),
  reply: z
    .object({ text: z.string(), repliedAt: z.iso.datetime() })
    .nullable()
    .meta({ description: "The publisher's public answer" }),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
/** One rating. */
export type Rating = z.infer<typeof ratingSchema>;

/** A rating with what only Bazaar reads: whose it is and whether a platform admin hid it. */
export interface StoredRating extends Rating {
  orgId: string;
  hiddenAt: string | null;
}

const SELECT_RATING = `SELECT r.*, o.name AS organization_name,
    to_char(r.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS position
  FROM listing_ratings r JOIN organizations o ON o.id = r.org_id`;

function toRating(row: Record<string, unknown>): StoredRating {
  const iso = (value: unknown) => (value as Date).toISOString();
  return {
    id: row.id as string,
    listingId: row.listing_id as string,
    orgId: row.org_id as string,
    stars: row.stars as number,
    title: (row.title as string | null) ?? null,
    text: (row.body as string | null) ?? null,
    version: row.version as string,
    organizationName: row.organization_name as string,
    reply: row.reply ? { text: row.reply as string, repliedAt: iso(row.replied_at) } : null,
    hiddenAt: row.hidden_at ? iso(row.hidden_at) : null,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

/** Strips what only Bazaar reads. */
export function toPublicRating(rating: StoredRating): Rating {
  const { orgId: _orgId, hiddenAt: _hiddenAt, ...shown } = rating;
  return shown;
}

/**
 * The version an organisation has used a listing at: that of its installation (the active one first,
 * then the most recently changed) with at least one succeeded execution; null when it never used it.
 */
export async function versionUsedBy(db: Queryable, orgId: string, listingId: string): Promise<string | null> {
  const { rows } = await db.query(
    `SELECT v.version FROM installations i JOIN listing_versions v ON v.id = i.version_id
     WHERE i.org_id = $1 AND i.listing_id = $2
       AND EXISTS (SELECT 1 FROM executions e WHERE e.installation_id = i.id AND e.status = 'succeeded')
     ORDER BY (i.status = 'active') DESC, i.updated_at DESC LIMIT 1`,
    [orgId, listingId],
  );
  return rows[0]?.version ?? null;
}

/** The organisation's rating of the listing, hidden or not; null when it has none. */
export async function findOrgRating(
  db: Queryable,
  listingId: string,
  orgId: string,
): Promise<StoredRating | null> {
  const { rows } = await db.query(`${SELECT_RATING} WHERE r.listing_id = $1 AND r.org_id = $2`, [
    listingId,
    orgId,
  ]);
  return rows[0] ? toRating(rows[0]) : null;
}

/** How many visible ratings of the listing give each number of stars, 5 down to 1 (zeros included). */
export async function ratingHistogram(
  db: Queryable,
  listingId: string,
): Promise<Array<{ stars: number; count: number }>> {
  const { rows } = await db.query(
    `SELECT s.stars, count(r.id)::int AS count
     FROM generate_series(5, 1, -1) AS s(stars)
     LEFT JOIN listing_ratings r ON r.listing_id = $1 AND r.hidden_at IS NULL AND r.stars = s.stars
     GROUP BY s.stars ORDER BY s.stars DESC`,
    [listingId],
  );
  return rows.map((row) => ({ stars: row.stars as number, count: row.count as number }));
}

/** Creates or replaces the organisation's rating of the listing; says whether it was created now. */
export async function upsertRating(
  db: Queryable,
  input: { listingId: string; orgId: string; version: string; stars: number; title?: string; text?: string },
): Promise<{ rating: StoredRating; created: boolean }> {
  const { rows } = await db.query(
    `INSERT INTO listing_ratings (listing_id, org_id, version, stars, title, body) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (listing_id, org_id) DO UPDATE SET version = EXCLUDED.version, stars = EXCLUDED.stars,
       title = EXCLUDED.title, body = EXCLUDED.body, updated_at = now()
     RETURNING id, (xmax = 0) AS created`,
    [input.listingId, input.orgId, input.version, input.stars, input.title ?? null, input.text ?? null],
  );
  return { rating: (await findRating(db, rows[0].id))!, created: rows[0].created };
}

/** Deletes the organisation's rating of the listing; the deleted rating's id, or null when it had none. */
export async function deleteRating(db: Queryable, listingId: string, orgId: string): Promise<string | null> {
  const { rows } = await db.query(
    'DELETE FROM listing_ratings WHERE listing_id = $1 AND org_id = $2 RETURNING id',
    [listingId, orgId],
  );
  return rows[0]?.id ?? null;
}

/** A rating by id (null when absent or malformed), hidden or not. */
export async function findRating(db: Queryable, ratingId: string): Promise<StoredRating | null> {
  const { rows } = await db.query(`${SELECT_RATING} WHERE r.id::text = $1`, [ratingId]);
  return rows[0] ? toRating(rows[0]) : null;
}

/** Sets or replaces the publisher's reply to a rating. */
export async function setReply(db: Queryable, ratingId: string, text: string): Promise<void> {
  await db.query('UPDATE listing_ratings SET reply = $2, replied_at = now() WHERE id = $1', [ratingId, text]);
}

/** Hides a rating with a reason; false when it was already hidden. */
export async function hideRating(db: Queryable, ratingId: string, reason: string): Promise<boolean> {
  const { rowCount } = await db.query(
    'UPDATE listing_ratings SET hidden_at = now(), hidden_reason = $2 WHERE id = $1 AND hidden_at IS NULL',
    [ratingId, reason],
  );
  return rowCount === 1;
}

const positionShape = { t: z.iso.datetime({ offset: true, precision: 6 }), i: z.uuid() };

/** A listing's visible ratings, newest first, a page after the opaque cursor; nextCursor null on the last. */
export async function listRatings(
  db: Queryable,
  input: { listingId: string; cursor?: string; limit: number },
): Promise<{ ratings: Rating[]; nextCursor: string | null }> {
  const fingerprint = fingerprintOf(['ratings', input.listingId]);
  let after: { t: string; i: string } | null = null;
  if (input.cursor) {
    const decoded = decodeOpaqueCursor(input.cursor, positionShape, fingerprint);
    if ('refused' in decoded) {
      const message = 'cursor is not one this listing’s ratings issued; start again without a cursor';
      throw new AppError('invalid_request', message, [{ path: 'query.cursor', message }]);
    }
    after = decoded.position;
  }
  const { rows } = await db.query(
    `${SELECT_RATING}
     WHERE r.listing_id = $1 AND r.hidden_at IS NULL
       AND ($2::timestamptz IS NULL OR (r.created_at, r.id) < ($2::timestamptz, $3::uuid))
     ORDER BY r.created_at DESC, r.id DESC LIMIT $4`,
    [input.listingId, after?.t ?? null, after?.i ?? null, input.limit + 1],
  );
  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  return {
    ratings: page.map((row) => toPublicRating(toRating(row))),
    nextCursor:
      rows.length > input.limit && last
        ? encodeOpaqueCursor(fingerprint, { t: last.position, i: last.id })
        : null,
  };
}
