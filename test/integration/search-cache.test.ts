// GET /v1/search answers repeated identical searches from memory: what it serves stays correct when
// the catalog changes elsewhere (PostgreSQL's announcement clears it), and one organisation's private
// listings never reach another's cached answers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATALOG_CHANGES_CHANNEL } from '../../src/domain/catalog/repository.js';
import { startHarness, type Harness } from '../support/harness.js';
import { publishListing } from '../support/publish.js';
import { waitFor } from '../support/wait-for.js';

interface SearchBody {
  results: { listing: { id: string; name: string; stats: { executions30d: number } } }[];
}

describe('search result cache', () => {
  let h: Harness;
  let publisher: { org: { id: string }; token: string };
  let consumer: { org: { id: string }; token: string };
  let kiln: { id: string; slug: string };
  let vault: { id: string; slug: string };

  const search = async (q: string, token: string) => {
    const response = await h.request<SearchBody>('GET', `/v1/search?${new URLSearchParams({ q })}`, {
      token,
    });
    expect(response.status).toBe(200);
    return response.body.results.map((result) => result.listing);
  };
  const ids = (listings: { id: string }[]) => listings.map((listing) => listing.id);

  /** Runs SQL as another process would, with the catalog's change triggers (and so its announcements) off. */
  async function quietly(sql: string, params: unknown[]) {
    const client = await h.db.connect();
    try {
      await client.query('SET session_replication_role = replica');
      await client.query(sql, params);
    } finally {
      await client.query('RESET session_replication_role');
      client.release();
    }
  }

  beforeAll(async () => {
    h = await startHarness({ ownDatabase: true });
    publisher = await h.createOrg('kiln-publisher');
    consumer = await h.createOrg('kiln-consumer');
    const reviewerToken = await h.createPlatformKey('reviewer');
    kiln = await publishListing(h, {
      publisherToken: publisher.token,
      reviewerToken,
      listing: { name: 'Kiln scheduler' },
      manifest: { description: 'Schedules pottery kiln firings around the studio calendar' },
    });
    vault = await publishListing(h, {
      publisherToken: publisher.token,
      reviewerToken,
      listing: { name: 'Kiln glaze vault', visibility: 'private' },
      manifest: { description: 'Keeps the studio private pottery glaze recipes for kiln firings' },
    });
    await waitFor(
      async () => ids(await search('pottery kiln firings', publisher.token)).includes(vault.id),
      'both listings to be searchable',
      10_000,
    );
  }, 180_000);
  afterAll(() => h?.stop());

  it('serves a repeated search from memory until the catalog announces a change', async () => {
    const q = 'studio calendar for pottery kiln firings';
    const first = await search(q, consumer.token);
    expect(first.find((listing) => listing.id === kiln.id)?.name).toBe('Kiln scheduler');
    // Renamed without an announcement: the cached answer still shows the old name, which proves
    // that this search is answered from memory...
    await quietly(`UPDATE listings SET name = 'Kiln planner' WHERE id = $1`, [kiln.id]);
    const second = await search(q, consumer.token);
    expect(second.find((listing) => listing.id === kiln.id)?.name).toBe('Kiln scheduler');
    // ...and once the change is announced, it is not served any more.
    await h.db.query('SELECT pg_notify($1, $2)', [CATALOG_CHANGES_CHANNEL, kiln.id]);
    await waitFor(
      async () => (await search(q, consumer.token)).find((l) => l.id === kiln.id)?.name === 'Kiln planner',
      'the announced name',
      5000,
    );
  });

  it("shows a listing's new stats once its daily rollup changes", async () => {
    const q = 'kiln firings around the studio';
    const stats = async () =>
      (await search(q, consumer.token)).find((listing) => listing.id === kiln.id)?.stats.executions30d;
    expect(await stats()).toBe(0);
    expect(await stats()).toBe(0); // cached now
    // Written as the worker's execution bookkeeping writes it: the table's trigger announces it.
    await h.db.query(
      `INSERT INTO listing_execution_days (listing_id, day, executions, succeeded)
       VALUES ($1, (now() AT TIME ZONE 'UTC')::date, 3, 3)`,
      [kiln.id],
    );
    await waitFor(async () => (await stats()) === 3, 'the new execution count', 5000);
  });

  it("never answers one organisation's search with another's private listings", async () => {
    const q = 'private pottery glaze recipes';
    const reviewerToken = await h.createPlatformKey('reviewer');
    // The owner first (its answer now cached), then others with the identical search...
    expect(ids(await search(q, publisher.token))).toContain(vault.id);
    expect(ids(await search(q, consumer.token))).not.toContain(vault.id);
    expect(ids(await search(q, reviewerToken))).not.toContain(vault.id);
    // ...and the other way round, with another organisation's answer cached first.
    const other = 'glaze recipes kept private';
    expect(ids(await search(other, consumer.token))).not.toContain(vault.id);
    expect(ids(await search(other, publisher.token))).toContain(vault.id);
    expect(ids(await search(other, consumer.token))).not.toContain(vault.id);
  });

  it('drops a listing made private elsewhere from everyone else’s cached answers', async () => {
    const q = 'pottery kiln scheduler';
    expect(ids(await search(q, consumer.token))).toContain(kiln.id);
    expect(ids(await search(q, consumer.token))).toContain(kiln.id); // cached now
    // As another API process would: only PostgreSQL's announcement tells this one.
    await h.db.query(`UPDATE listings SET visibility = 'private' WHERE id = $1`, [kiln.id]);
    await waitFor(
      async () => !ids(await search(q, consumer.token)).includes(kiln.id),
      'the listing to leave the consumer’s results',
      5000,
    );
    expect(ids(await search(q, publisher.token))).toContain(kiln.id);
  });
});
