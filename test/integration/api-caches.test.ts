// The API's in-process caches (API keys, public listings' pages) stay correct when another process
// changes what they hold: PostgreSQL announces the change and the next reads see it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listingBody, startHarness, type Harness } from '../support/harness.js';
import { publishAgent } from '../support/publish.js';
import { echoArtifact } from '../support/agents.js';
import { seedPublishedListing } from '../support/seed.js';
import { waitFor } from '../support/wait-for.js';

describe('API caches', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  }, 120_000);
  afterAll(() => h?.stop());

  it('stops accepting a key revoked by another process once PostgreSQL announces it', async () => {
    const org = await h.createOrg();
    const member = await h.createOrgKey(org.org.id, org.token, 'member');
    // Twice: the second answer comes from the cache.
    expect((await h.request('GET', '/v1/listings', { token: member })).status).toBe(200);
    expect((await h.request('GET', '/v1/listings', { token: member })).status).toBe(200);
    const keyId = member.split('_').slice(1, 3).join('_');
    // As another API process would (not through this one's API): only the announcement tells this one.
    await h.db.query('UPDATE api_keys SET revoked_at = now() WHERE id = $1', [keyId]);
    await waitFor(
      async () => (await h.request('GET', '/v1/listings', { token: member })).status === 401,
      'the revoked key to be refused',
      5000,
    );
  });

  it("shows a listing's change made elsewhere, and never a page made private to others", async () => {
    const publisher = await h.createOrg();
    const listing = await publishAgent(h, {
      publisherToken: publisher.token,
      reviewerToken: await h.createPlatformKey('reviewer'),
      artifact: echoArtifact(),
    });
    const reader = await h.createOrg();
    const read = () => h.request('GET', `/v1/listings/${listing.slug}`, { token: reader.token });
    expect((await read()).body.name).toBe('Refund helper');
    expect((await read()).body.name).toBe('Refund helper'); // cached now
    await h.db.query(`UPDATE listings SET name = 'Renamed elsewhere' WHERE id = $1`, [listing.id]);
    await waitFor(async () => (await read()).body.name === 'Renamed elsewhere', 'the new name', 5000);
    await h.db.query(`UPDATE listings SET visibility = 'private' WHERE id = $1`, [listing.id]);
    await waitFor(async () => (await read()).status === 404, 'the private listing to be hidden', 5000);
    // Its publisher still sees it whole.
    const own = await h.request('GET', `/v1/listings/${listing.slug}`, { token: publisher.token });
    expect(own.status).toBe(200);
  });
});

describe('API caches: serialised pages, their ETags and whose they are', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  }, 120_000);
  afterAll(() => h?.stop());

  /** A public listing of a new publisher with 1.0.0 published, and a draft 2.0.0 only its publisher may see. */
  async function listingWithDraft() {
    const publisher = await h.createOrg();
    const listing = await seedPublishedListing(h.db, { publisherOrgId: publisher.org.id, name: 'Drafty' });
    await h.db.query(
      `INSERT INTO listing_versions (listing_id, version, manifest, status) VALUES ($1, '2.0.0', '{}', 'draft')`,
      [listing.id],
    );
    return { publisher, listing };
  }

  const versionsOf = (body: { versions: Array<{ version: string }> }) => body.versions.map((v) => v.version);

  it('answers 304 to the ETag it gave until the page changes, then the new page with a new ETag', async () => {
    const { listing } = await listingWithDraft();
    const reader = await h.createOrg();
    const read = (headers: Record<string, string> = {}) =>
      h.request('GET', `/v1/listings/${listing.slug}`, { token: reader.token, headers });
    const first = await read();
    expect(first.status).toBe(200);
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect(first.headers.get('cache-control')).toBe('private, no-cache');
    expect(first.headers.get('x-request-id')).toBeTruthy();
    const again = await read({ 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(again.body).toBe(null);
    expect(again.headers.get('etag')).toBe(etag);
    // A weak or listed tag matches too; another tag does not.
    expect((await read({ 'if-none-match': `"other", W/${etag}` })).status).toBe(304);
    expect((await read({ 'if-none-match': '"other"' })).status).toBe(200);
    await h.db.query(`UPDATE listings SET name = 'Renamed' WHERE id = $1`, [listing.id]);
    await waitFor(
      async () => (await read({ 'if-none-match': etag })).status === 200,
      'the changed page to be sent again',
      5000,
    );
    const changed = await read({ 'if-none-match': etag });
    expect(changed.body.name).toBe('Renamed');
    expect(changed.headers.get('etag')).not.toBe(etag);
  });

  it("never gives a consumer or a reviewer the publisher's rendering of a cached page, whoever reads first", async () => {
    for (const publisherFirst of [true, false]) {
      const { publisher, listing } = await listingWithDraft();
      const consumer = await h.createOrg();
      const reviewer = await h.createPlatformKey('reviewer');
      const read = (token: string) => h.request('GET', `/v1/listings/${listing.slug}`, { token });
      const readers = [
        ['publisher', publisher.token],
        ['consumer', consumer.token],
        ['reviewer', reviewer],
      ] as const;
      const order = publisherFirst ? readers : [...readers].reverse();
      // Twice round: the second reads come from the cache, each view's bytes made once.
      for (let round = 0; round < 2; round++) {
        const seen = Object.fromEntries(
          await Promise.all(order.map(async ([who, token]) => [who, await read(token)] as const)),
        );
        expect(versionsOf(seen.publisher!.body)).toEqual(['1.0.0', '2.0.0']);
        expect(versionsOf(seen.consumer!.body)).toEqual(['1.0.0']);
        expect(versionsOf(seen.reviewer!.body)).toEqual(['1.0.0']);
        expect(seen.consumer!.headers.get('etag')).not.toBe(seen.publisher!.headers.get('etag'));
        // A consumer holding the publisher's ETag still gets its own page, not a 304.
        const probe = await h.request('GET', `/v1/listings/${listing.slug}`, {
          token: consumer.token,
          headers: { 'if-none-match': seen.publisher!.headers.get('etag')! },
        });
        expect(probe.status).toBe(200);
        expect(versionsOf(probe.body)).toEqual(['1.0.0']);
      }
    }
  });

  it("keeps each organisation's own listings apart, and shows a change made elsewhere", async () => {
    const a = await h.createOrg();
    const b = await h.createOrg();
    const mine = await seedPublishedListing(h.db, { publisherOrgId: a.org.id, name: 'Mine' });
    const own = (token: string, headers: Record<string, string> = {}) =>
      h.request('GET', '/v1/listings', { token, headers });
    const slugs = (body: { listings: Array<{ slug: string }> }) => body.listings.map((l) => l.slug);
    expect(slugs((await own(a.token)).body)).toEqual([mine.slug]);
    expect(slugs((await own(b.token)).body)).toEqual([]);
    const cached = await own(a.token);
    expect(slugs(cached.body)).toEqual([mine.slug]);
    expect((await own(a.token, { 'if-none-match': cached.headers.get('etag')! })).status).toBe(304);
    expect(slugs((await own(b.token)).body)).toEqual([]);
    // Made by another process: only PostgreSQL's announcement (naming the organisation) tells this one.
    const added = await seedPublishedListing(h.db, { publisherOrgId: a.org.id, name: 'Added' });
    await waitFor(async () => slugs((await own(a.token)).body).includes(added.slug), 'the new listing', 5000);
    await h.db.query(`UPDATE listings SET name = 'Renamed mine' WHERE id = $1`, [mine.id]);
    await waitFor(
      async () => (await own(a.token)).body.listings.some((l: { name: string }) => l.name === 'Renamed mine'),
      'the renamed listing',
      5000,
    );
    expect(slugs((await own(b.token)).body)).toEqual([]);
    // Made through this process: seen by its very next request.
    const created = await h.request('POST', '/v1/listings', { token: a.token, body: listingBody() });
    expect(created.status).toBe(201);
    expect(slugs((await own(a.token)).body)).toContain(created.body.slug);
  });
});
