// Named seeders for tests and benchmarks, instead of SQL copied into each. No vitest imports.
//
// Two kinds, on purpose:
// - Straight to PostgreSQL (seedOrg, seedPublishedListing, seedActiveInstallation(s), seedUsage,
//   seedMonthlyUsage): fast, and bulk-capable for benchmarks. For code that only reads these rows
//   (billing, metering), where going through the API would test nothing more and cost a workflow run
//   per listing and installation. The rows are what the real paths write (a published version, an
//   active installation with its meter, usage recorded through insertUsageEvents so the monthly
//   aggregates stay in step), but no runtime, secret or search entry exists behind them.
// - Through the API and the real publish-review workflow (publishThroughReview): slower but honest,
//   for anything that will install or run the listing.
import { randomUUID } from 'node:crypto';
import type { Queryable } from '../../src/db/pool.js';
import { insertUsageEvents } from '../../src/domain/metering/usage-events.js';
import { waitFor } from './wait-for.js';

/** Anything that can call the API the way test-bazaar.ts does (a harness or a bench Bazaar). */
interface ApiCaller {
  request(
    method: string,
    path: string,
    init?: { token?: string | null; body?: unknown; headers?: Record<string, string> },
  ): Promise<{ status: number; body: any }>;
  temporal: { workflow: { getHandle(workflowId: string): { result(): Promise<unknown> } } };
}

/** A listing and its published version, as seeders return them. */
export interface SeededListing {
  id: string;
  slug: string;
  versionId: string;
}

/** An organisation (no API key: for rows that only need its id). */
export async function seedOrg(db: Queryable, name = `org-${randomUUID().slice(0, 8)}`) {
  const { rows } = await db.query(`INSERT INTO organizations (name) VALUES ($1) RETURNING id`, [name]);
  return { id: rows[0].id as string, name };
}

/** `count` organisations named `<namePrefix><n>` (n from 1); their ids in id order. */
export async function seedOrgs(db: Queryable, input: { count: number; namePrefix: string }) {
  const { rows } = await db.query(
    `INSERT INTO organizations (name) SELECT $1 || n FROM generate_series(1, $2::int) AS n RETURNING id`,
    [input.namePrefix, input.count],
  );
  return rows.map((row) => row.id as string).sort();
}

/** A public listing of the publisher with version 1.0.0 published (its manifest `{}` unless given). */
export async function seedPublishedListing(
  db: Queryable,
  input: {
    publisherOrgId: string;
    name: string;
    slug?: string;
    category?: string;
    manifest?: Record<string, unknown>;
  },
): Promise<SeededListing> {
  const [listing] = await seedPublishedListings(db, {
    publisherOrgId: input.publisherOrgId,
    listings: [{ slug: input.slug ?? `listing-${randomUUID().slice(0, 8)}`, name: input.name }],
    category: input.category,
    manifest: input.manifest,
  });
  return listing!;
}

/** Many published listings of one publisher in one statement each (benchmarks); in the order given. */
export async function seedPublishedListings(
  db: Queryable,
  input: {
    publisherOrgId: string;
    listings: Array<{ slug: string; name: string }>;
    category?: string;
    manifest?: Record<string, unknown>;
  },
): Promise<SeededListing[]> {
  const slugs = input.listings.map((l) => l.slug);
  const created = await db.query(
    `INSERT INTO listings (org_id, slug, name, category, visibility)
     SELECT $1, slug, name, $4, 'public' FROM unnest($2::text[], $3::text[]) AS t(slug, name)
     RETURNING id, slug`,
    [input.publisherOrgId, slugs, input.listings.map((l) => l.name), input.category ?? 'test'],
  );
  const versions = await db.query(
    `INSERT INTO listing_versions (listing_id, version, manifest, status)
     SELECT id, '1.0.0', $2, 'published' FROM unnest($1::uuid[]) AS id
     RETURNING id, listing_id`,
    [created.rows.map((row) => row.id), input.manifest ?? {}],
  );
  const idOf = new Map(created.rows.map((row) => [row.slug as string, row.id as string]));
  const versionOf = new Map(versions.rows.map((row) => [row.listing_id as string, row.id as string]));
  return slugs.map((slug) => ({ id: idOf.get(slug)!, slug, versionId: versionOf.get(idOf.get(slug)!)! }));
}

/** What one seeded installation is: whose, of what, its meter's pricing, and when the meter opened/closed. */
export interface InstallationSeed {
  orgId: string;
  listing: { id: string; versionId: string };
  /** The meter's pricing snapshot; currency defaults to usd. */
  pricing: Record<string, unknown>;
  /** Default: now. */
  openedAt?: string | Date;
  /** When given, the meter is closed at that moment. */
  closedAt?: string | Date;
  /** The installation's status; default active. */
  status?: string;
}

/** An installation (active unless told) with its usage meter; returns its id. */
export async function seedActiveInstallation(db: Queryable, input: InstallationSeed): Promise<string> {
  const [id] = await seedActiveInstallations(db, [input]);
  return id!;
}

/** Many installations with their meters in one statement (benchmarks); ids in the order given. */
export async function seedActiveInstallations(
  db: Queryable,
  installations: InstallationSeed[],
): Promise<string[]> {
  const ids = installations.map(() => randomUUID());
  const column = <T>(pick: (install: InstallationSeed) => T) => installations.map(pick);
  await db.query(
    `WITH input AS (
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::jsonb[],
                            $7::timestamptz[], $8::timestamptz[])
         AS t(id, org_id, listing_id, version_id, status, pricing, opened_at, closed_at)
     ), inst AS (
       INSERT INTO installations (id, org_id, listing_id, version_id, status)
       SELECT id, org_id, listing_id, version_id, status FROM input
     )
     INSERT INTO usage_meters (installation_id, org_id, listing_id, pricing, status, opened_at, closed_at)
     SELECT id, org_id, listing_id, pricing, CASE WHEN closed_at IS NULL THEN 'open' ELSE 'closed' END,
            COALESCE(opened_at, now()), closed_at
     FROM input`,
    [
      ids,
      column((i) => i.orgId),
      column((i) => i.listing.id),
      column((i) => i.listing.versionId),
      column((i) => i.status ?? 'active'),
      column((i) => JSON.stringify({ currency: 'usd', ...i.pricing })),
      column((i) => i.openedAt ?? null),
      column((i) => i.closedAt ?? null),
    ],
  );
  return ids;
}

/**
 * `count` usage events of one installation at one moment, each of one invocation with the given
 * tokens and exact cost, recorded as ingestion records them (so the monthly aggregates billing reads
 * are kept in step). Throws unless every one is new.
 */
export async function seedUsage(
  db: Queryable,
  input: {
    orgId: string;
    installationId: string;
    listingId: string;
    count: number;
    occurredAt: string | Date;
    cost: string;
    currency?: string;
    tokensIn?: number;
    tokensOut?: number;
    /** The part of cost that is gateway tool charges, and the tokens of those calls. */
    toolCost?: string;
    toolTokens?: number;
  },
): Promise<void> {
  const inserted = await insertUsageEvents(
    db,
    Array.from({ length: input.count }, () => ({
      eventId: randomUUID(),
      orgId: input.orgId,
      installationId: input.installationId,
      listingId: input.listingId,
      executionId: null,
      invocations: 1,
      tokensIn: input.tokensIn ?? 0,
      tokensOut: input.tokensOut ?? 0,
      durationMs: 0,
      cost: input.cost,
      toolCost: input.toolCost,
      toolTokens: input.toolTokens,
      currency: input.currency ?? 'usd',
      occurredAt: new Date(input.occurredAt),
      source: 'platform' as const,
    })),
  );
  if (inserted.size !== input.count)
    throw new Error(`seedUsage: ${inserted.size} of ${input.count} events recorded`);
}

/** `events` usage events of `cost` each in a month (`YYYY-MM`), on its 10th (inside any billing of it). */
export function seedMonthlyUsage(
  db: Queryable,
  input: {
    orgId: string;
    installation: { id: string; listingId: string };
    month: string;
    events: number;
    cost: string;
  },
): Promise<void> {
  return seedUsage(db, {
    orgId: input.orgId,
    installationId: input.installation.id,
    listingId: input.installation.listingId,
    count: input.events,
    cost: input.cost,
    occurredAt: `${input.month}-10T00:00:00Z`,
  });
}

/**
 * Creates a listing and takes version 1.0.0 through the real publish-review workflow: created,
 * code uploaded (when given), submitted, approved by the reviewer, published. Needs a worker.
 */
export async function publishThroughReview(
  t: ApiCaller,
  input: {
    publisherToken: string;
    reviewerToken: string;
    /** The listing's body (slug, name, category, …). */
    listing: Record<string, unknown>;
    /** The whole manifest of version 1.0.0. */
    manifest: Record<string, unknown> & { version: string };
    /** The agent's code (tar.gz), uploaded before submission. */
    artifact?: Uint8Array;
  },
): Promise<{ id: string; slug: string; versionId: string }> {
  const expectStatus = (what: string, response: { status: number; body: unknown }, status: number) => {
    if (response.status !== status)
      throw new Error(`${what}: ${response.status} ${JSON.stringify(response.body)}`);
  };
  const token = input.publisherToken;
  const listing = await t.request('POST', '/v1/listings', { token, body: input.listing });
  expectStatus('create listing', listing, 201);
  const version = await t.request('POST', `/v1/listings/${listing.body.id}/versions`, {
    token,
    body: input.manifest,
  });
  expectStatus('create version', version, 201);
  const versionPath = `/v1/listings/${listing.body.id}/versions/${input.manifest.version}`;
  if (input.artifact) {
    const upload = await t.request('PUT', `${versionPath}/artifact`, {
      token,
      body: input.artifact,
      headers: { 'content-type': 'application/gzip' },
    });
    expectStatus('upload artifact', upload, 200);
  }
  const submitted = await t.request('POST', `${versionPath}/submit`, { token });
  expectStatus('submit', submitted, 202);
  await approveReview(t, submitted.body.workflowId, input.reviewerToken);
  return { id: listing.body.id, slug: listing.body.slug, versionId: version.body.id };
}

/** Approves a submitted version as soon as its review accepts a decision, and waits for publication. */
export async function approveReview(t: ApiCaller, workflowId: string, reviewerToken: string): Promise<void> {
  const versionId = workflowId.replace('publish:', '');
  const decide = () =>
    t.request('POST', `/v1/reviews/${versionId}/decision`, {
      token: reviewerToken,
      body: { decision: 'approve' },
    });
  await waitFor(async () => (await decide()).status === 202, 'the approval');
  await t.temporal.workflow.getHandle(workflowId).result();
}

/**
 * `count` published listings that search can find (benchmarks), straight into PostgreSQL: each
 * listing's latest version set, its full-text document written, and an embedding borrowed from one of
 * the given versions (already embedded by the real model) with a little noise, so the vector index
 * holds `count` distinct points without running the model `count` times. A Bazaar started afterwards
 * indexes them in its start-up rebuild.
 */
export async function seedSearchableListings(
  db: Queryable,
  input: {
    publisherOrgId: string;
    count: number;
    slugPrefix: string;
    /** Descriptions, used in turn. */
    descriptions: string[];
    /** Versions whose embeddings the seeded ones borrow, in turn. */
    embeddingsOf: string[];
  },
): Promise<SeededListing[]> {
  const listings = await seedPublishedListings(db, {
    publisherOrgId: input.publisherOrgId,
    listings: Array.from({ length: input.count }, (_, n) => ({
      slug: `${input.slugPrefix}-${n}`,
      name: `${input.slugPrefix} ${n}`,
    })),
    category: 'seeded',
  });
  const versionIds = listings.map((listing) => listing.versionId);
  await db.query(
    `UPDATE listing_versions v SET
       manifest = jsonb_build_object('description', ($2::text[])[1 + (t.n - 1) % cardinality($2::text[])],
                                     'pricing', jsonb_build_object('model', 'free', 'currency', 'usd')),
       search_document = setweight(to_tsvector('english', l.name), 'A') ||
         setweight(to_tsvector('english', ($2::text[])[1 + (t.n - 1) % cardinality($2::text[])]), 'B'),
       published_at = now()
     FROM unnest($1::uuid[]) WITH ORDINALITY AS t(id, n), listings l
     WHERE v.id = t.id AND l.id = v.listing_id`,
    [versionIds, input.descriptions],
  );
  await db.query(
    `UPDATE listings l SET latest_version_id = v.id FROM listing_versions v
     WHERE v.listing_id = l.id AND v.id = ANY($1::uuid[])`,
    [versionIds],
  );
  await db.query(
    `WITH source AS (
       SELECT e.model, e.dimensions, e.vector, e.text_sha256, row_number() OVER (ORDER BY s.n) - 1 AS k
       FROM unnest($2::uuid[]) WITH ORDINALITY AS s(id, n)
       JOIN version_embeddings e ON e.version_id = s.id
     )
     INSERT INTO version_embeddings (version_id, model, dimensions, vector, text_sha256)
     SELECT t.id, src.model, src.dimensions,
            ARRAY(SELECT x + (random()::real - 0.5) * 0.02 FROM unnest(src.vector) AS x), src.text_sha256
     FROM unnest($1::uuid[]) WITH ORDINALITY AS t(id, n)
     JOIN source src ON src.k = (t.n - 1) % (SELECT count(*) FROM source)`,
    [versionIds, input.embeddingsOf],
  );
  return listings;
}
