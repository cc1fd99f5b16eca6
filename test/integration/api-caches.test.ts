// The API's in-process caches (API keys, public listings' pages) stay correct when another process
// changes what they hold: PostgreSQL announces the change and the next reads see it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.js';
import { publishAgent } from '../support/publish.js';
import { echoArtifact } from '../support/agents.js';
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
