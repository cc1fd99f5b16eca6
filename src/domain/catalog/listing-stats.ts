// A listing's trust signals, kept as aggregates written with the change they count: rating average
// and count (in the rating's transaction), installation counts (when an installation's status
// changes, src/domain/installations/repository.ts) and daily execution rollups (when an execution
// finishes). Reading them never scans executions.
import { z } from 'zod';
import type { Queryable } from '../../db/pool.js';
import { addHistograms, medianDuration, oneDuration } from './duration-histogram.js';

/** A listing's usage and rating signals, as the API shows them. */
export const listingStatsSchema = z.object({
  ratingAverage: z.number().nullable(),
  ratingCount: z.number().int(),
  installations: z.number().int(),
  activeInstallations: z.number().int(),
  executions30d: z.number().int(),
  successRate30d: z.number().nullable(),
  p50DurationMs30d: z.number().int().nullable(),
});
/** A listing's stats. */
export type ListingStats = z.infer<typeof listingStatsSchema>;

/** How many days "the last 30 days" spans: today (UTC) and the 29 before. */
/** How many days of daily rollups a listing's stats cover. */
export const LISTING_STATS_WINDOW_DAYS = 30;

/** Counts one finished execution into its listing's rollup for today (UTC); call in the finishing transaction. */
export async function recordExecutionDay(
  db: Queryable,
  input: { installationId: string; succeeded: boolean; durationMs: number | null },
): Promise<void> {
  await db.query(
    `INSERT INTO listing_execution_days (listing_id, day, executions, succeeded, duration_buckets)
     SELECT i.listing_id, (now() AT TIME ZONE 'UTC')::date, 1, $2, $3::int[] FROM installations i WHERE i.id = $1
     ON CONFLICT (listing_id, day) DO UPDATE SET
       executions = listing_execution_days.executions + 1,
       succeeded = listing_execution_days.succeeded + EXCLUDED.succeeded,
       duration_buckets = (
         SELECT array_agg(COALESCE(old, 0) + COALESCE(new, 0) ORDER BY position)
         FROM unnest(listing_execution_days.duration_buckets, EXCLUDED.duration_buckets)
           WITH ORDINALITY AS t(old, new, position)
       )`,
    [
      input.installationId,
      input.succeeded ? 1 : 0,
      input.durationMs === null ? [] : oneDuration(input.durationMs),
    ],
  );
}

/** One UTC day of a listing's finished executions, every organisation counted. */
export interface ListingDay {
  day: string;
  executions: number;
  succeeded: number;
}

/** A listing's daily rollups for the last `days` UTC days (today included), oldest first, zeros filled in. */
export async function readListingDays(db: Queryable, listingId: string, days: number): Promise<ListingDay[]> {
  const { rows } = await db.query(
    `SELECT to_char(d.day, 'YYYY-MM-DD') AS day, COALESCE(x.executions, 0) AS executions,
            COALESCE(x.succeeded, 0) AS succeeded
     FROM generate_series((now() AT TIME ZONE 'UTC')::date - ($2::int - 1), (now() AT TIME ZONE 'UTC')::date,
                          interval '1 day') AS d(day)
     LEFT JOIN listing_execution_days x ON x.listing_id = $1 AND x.day = d.day::date
     ORDER BY d.day`,
    [listingId, days],
  );
  return rows.map((row) => ({
    day: row.day as string,
    executions: row.executions as number,
    succeeded: row.succeeded as number,
  }));
}

/** A listing's stats from its aggregate columns and its daily rollups (the last LISTING_STATS_WINDOW_DAYS). */
export function listingStatsFrom(
  row: Record<string, unknown>,
  rollups: Array<Record<string, unknown>>,
): ListingStats {
  return statsOf(
    row,
    rollups.map((day) => ({
      executions: day.executions as number,
      succeeded: day.succeeded as number,
      duration_buckets: day.duration_buckets as number[],
    })),
  );
}

/**
 * Stats of many listings (a search page) in two queries whatever their number: the listing rows and
 * their daily rollups of the window. Unknown ids are left out of the map.
 */
export async function readListingsStats(
  db: Queryable,
  listingIds: string[],
): Promise<Map<string, ListingStats>> {
  if (listingIds.length === 0) return new Map();
  const [listings, days] = await Promise.all([
    db.query(
      `SELECT id, rating_average, rating_count, installation_count, active_installation_count
       FROM listings WHERE id = ANY($1::uuid[])`,
      [listingIds],
    ),
    db.query(
      // As text, parsed with JSON.parse: node-pg's int[] parser took twice as long on a page of 20
      // listings × 30 days × 72 buckets (bench/quality-signals.bench.ts).
      `SELECT listing_id, executions, succeeded, duration_buckets::text AS duration_buckets FROM listing_execution_days
       WHERE listing_id = ANY($1::uuid[]) AND day > (now() AT TIME ZONE 'UTC')::date - $2::int`,
      [listingIds, LISTING_STATS_WINDOW_DAYS],
    ),
  ]);
  const daysByListing = new Map<string, DayRow[]>();
  for (const row of days.rows as {
    listing_id: string;
    executions: number;
    succeeded: number;
    duration_buckets: string;
  }[]) {
    const list = daysByListing.get(row.listing_id) ?? [];
    list.push({
      executions: row.executions,
      succeeded: row.succeeded,
      duration_buckets: JSON.parse(`[${row.duration_buckets.slice(1, -1)}]`) as number[],
    });
    daysByListing.set(row.listing_id, list);
  }
  return new Map(
    listings.rows.map((row) => [row.id as string, statsOf(row, daysByListing.get(row.id) ?? [])]),
  );
}

interface DayRow {
  executions: number;
  succeeded: number;
  duration_buckets: number[];
}

function statsOf(row: Record<string, unknown>, days: DayRow[]): ListingStats {
  const executions = days.reduce((sum, day) => sum + day.executions, 0);
  const succeeded = days.reduce((sum, day) => sum + day.succeeded, 0);
  return {
    ratingAverage: row['rating_average'] == null ? null : Number(row['rating_average']),
    ratingCount: (row['rating_count'] as number | undefined) ?? 0,
    installations: (row['installation_count'] as number | undefined) ?? 0,
    activeInstallations: (row['active_installation_count'] as number | undefined) ?? 0,
    executions30d: executions,
    successRate30d: executions === 0 ? null : Math.round((succeeded / executions) * 10_000) / 10_000,
    p50DurationMs30d: medianDuration(addHistograms(days.map((day) => day.duration_buckets))),
  };
}

/**
 * Recomputes a listing's rating average and count from its visible ratings. Call in the rating's
 * transaction after lockListingForRating, so two concurrent ratings cannot both miss each other.
 */
export async function refreshRatingAggregates(db: Queryable, listingId: string): Promise<void> {
  await db.query(
    `UPDATE listings l SET rating_average = r.average, rating_count = r.count
     FROM (SELECT round(avg(stars), 2) AS average, count(*)::int AS count
           FROM listing_ratings WHERE listing_id = $1 AND hidden_at IS NULL) r
     WHERE l.id = $1`,
    [listingId],
  );
}

/** Locks the listing's row until the transaction ends: rating changes of one listing take turns. */
export async function lockListingForRating(db: Queryable, listingId: string): Promise<void> {
  await db.query('SELECT 1 FROM listings WHERE id = $1 FOR UPDATE', [listingId]);
}
