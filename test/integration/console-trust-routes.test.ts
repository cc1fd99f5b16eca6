// The catalog-trust reads the console needs: the histogram of stars beside the ratings, the caller's
// own rating with whether it may rate now (and the 422's reason when not), and a listing's runs per
// day for its publisher.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { echoArtifact, installAgent } from '../support/agents.js';
import { startHarness, type Harness } from '../support/harness.js';
import { publishAgent } from '../support/publish.js';

type Org = { org: { id: string; name: string }; token: string };

describe('console trust routes', () => {
  let h: Harness;
  let publisher: Org;
  let user: Org;
  let stranger: Org;
  let slug: string;

  beforeAll(async () => {
    h = await startHarness();
    publisher = await h.createOrg('Trust Publisher');
    const reviewer = await h.createPlatformKey('reviewer');
    ({ slug } = await publishAgent(h, {
      publisherToken: publisher.token,
      reviewerToken: reviewer,
      artifact: echoArtifact(),
      manifest: { requiredCredentials: [], pricing: { model: 'free' } },
    }));
    user = await h.createOrg('Trust User');
    stranger = await h.createOrg('Trust Stranger');
    const { installationId } = await installAgent(h, slug, { consumer: user });
    const run = await h.request('POST', `/v1/installations/${installationId}/executions`, {
      token: user.token,
      body: { input: { n: 1 }, mode: 'sync' },
    });
    expect(run.body.status).toBe('succeeded');
  }, 180_000);
  afterAll(() => h.stop());

  it('says who may rate, with the same reason the 422 gives', async () => {
    const mine = (who: Org) => h.request('GET', `/v1/listings/${slug}/ratings/mine`, { token: who.token });
    expect((await mine(user)).body).toEqual({ rating: null, canRate: true, reason: null });
    const refused = await h.request('PUT', `/v1/listings/${slug}/ratings/mine`, {
      token: stranger.token,
      body: { stars: 5 },
    });
    expect(refused.status).toBe(422);
    expect((await mine(stranger)).body).toEqual({
      rating: null,
      canRate: false,
      reason: refused.body.error.message,
    });
    expect((await mine(publisher)).body).toMatchObject({
      canRate: false,
      reason: 'a publisher cannot rate its own listing',
    });
    const platform = await h.request('GET', `/v1/listings/${slug}/ratings/mine`);
    expect(platform.status).toBe(403);
  });

  it('counts visible ratings per star beside the list, and shows the own rating even when hidden', async () => {
    const rated = await h.request('PUT', `/v1/listings/${slug}/ratings/mine`, {
      token: user.token,
      body: { stars: 4, title: 'Solid', text: '<b>not markup</b>' },
    });
    expect(rated.status).toBe(201);
    const list = await h.request('GET', `/v1/listings/${slug}/ratings`, { token: stranger.token });
    expect(list.body.histogram).toEqual([
      { stars: 5, count: 0 },
      { stars: 4, count: 1 },
      { stars: 3, count: 0 },
      { stars: 2, count: 0 },
      { stars: 1, count: 0 },
    ]);
    expect(list.body.ratings[0]).toMatchObject({ stars: 4, text: '<b>not markup</b>' });

    const hidden = await h.request('POST', `/v1/platform/ratings/${rated.body.id}/hide`, {
      body: { reason: 'spam' },
    });
    expect(hidden.status).toBe(204);
    const after = await h.request('GET', `/v1/listings/${slug}/ratings`, { token: stranger.token });
    expect(after.body.histogram.every((bar: { count: number }) => bar.count === 0)).toBe(true);
    const mine = await h.request('GET', `/v1/listings/${slug}/ratings/mine`, { token: user.token });
    expect(mine.body.rating).toMatchObject({ id: rated.body.id, stars: 4, hidden: true });
  });

  it('gives the publisher its runs per day, zeros filled in, and nobody else', async () => {
    const usage = await h.request('GET', `/v1/listings/${slug}/usage?days=7`, { token: publisher.token });
    expect(usage.status).toBe(200);
    expect(usage.body.days).toHaveLength(7);
    expect(usage.body.days.at(-1)).toEqual({
      day: new Date().toISOString().slice(0, 10),
      executions: 1,
      succeeded: 1,
    });
    expect(usage.body.days[0]).toMatchObject({ executions: 0, succeeded: 0 });
    const other = await h.request('GET', `/v1/listings/${slug}/usage`, { token: user.token });
    expect(other.status).toBe(404);
    const bad = await h.request('GET', `/v1/listings/${slug}/usage?days=0`, { token: publisher.token });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].path).toBe('query.days');
  });
});
