// Catalog trust through the API: upgrade advisories, who may rate and what ratings do to averages,
// stats kept from aggregates, upgrades refused for missing credentials and unaccepted high risk, and
// the publisher's view of a version's impact (deprecate, yank), and installs and upgrades racing a yank.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packFiles } from '../support/artifacts.js';
import { echoManifest, installAgent } from '../support/agents.js';
import { startHarness, type Harness } from '../support/harness.js';
import { approveSubmission, publishAgent, uploadCodeIfProcess } from '../support/publish.js';
import { waitFor } from '../support/wait-for.js';

type Org = { org: { id: string }; token: string };

// Answers {ok: true}, or exits 3 when the input says {"fail": true}: a run that fails on demand.
const agentCode = `let raw = '';
process.stdin.on('data', (chunk) => (raw += chunk));
process.stdin.on('end', () => {
  const input = raw.trim() === '' ? null : JSON.parse(raw);
  if (input && input.fail) process.exit(3);
  process.stdout.write(JSON.stringify({ ok: true }));
});`;

describe('catalog trust', () => {
  let h: Harness;
  let reviewer: string;
  let publisher: Org;
  let artifact: Buffer;
  let listing: { id: string; slug: string };
  const consumers = {} as Record<'a' | 'b' | 'c' | 'd', Org>;
  const installations = {} as Record<'a' | 'c' | 'd', string>;

  const call = (method: string, path: string, token?: string, body?: unknown) =>
    h.request(method, path, { token, body });
  const run = async (who: 'a' | 'c' | 'd', input: unknown = { hello: 'world' }) => {
    const response = await call(
      'POST',
      `/v1/installations/${installations[who]}/executions`,
      consumers[who].token,
      {
        input,
        mode: 'sync',
      },
    );
    expect(response.status).toBe(200);
    return response.body as { status: string };
  };
  const stats = async () => (await call('GET', `/v1/listings/${listing.slug}`, consumers.b.token)).body.stats;
  /** The listing's hit when searching for it with these extra parameters, or undefined. */
  const searchHit = async (params: Record<string, string> = {}) => {
    const query = new URLSearchParams({ q: 'echoes its input back', limit: '50', ...params });
    const response = await call('GET', `/v1/search?${query}`, consumers.b.token);
    expect(response.status).toBe(200);
    return (response.body.results as { listing: { slug: string; stats: unknown } }[]).find(
      (result) => result.listing.slug === listing.slug,
    );
  };
  const rate = (who: Org, body: Record<string, unknown>) =>
    call('PUT', `/v1/listings/${listing.slug}/ratings/mine`, who.token, body);

  async function publishVersion(overrides: Record<string, unknown> & { version: string }) {
    const added = await call('POST', `/v1/listings/${listing.id}/versions`, publisher.token, {
      ...echoManifest,
      requiredCredentials: [],
      ...overrides,
    });
    expect(added.status).toBe(201);
    await uploadCodeIfProcess(h, publisher.token, listing.id, added.body, artifact);
    const submitted = await call(
      'POST',
      `/v1/listings/${listing.id}/versions/${overrides.version}/submit`,
      publisher.token,
    );
    await approveSubmission(h, submitted.body.workflowId, reviewer);
  }

  async function installV1(who: 'a' | 'c' | 'd') {
    consumers[who] = await h.createOrg(`consumer-${who}`);
    ({ installationId: installations[who] } = await installAgent(h, listing.slug, {
      consumer: consumers[who],
      body: { version: '1.0.0' },
    }));
  }

  beforeAll(async () => {
    h = await startHarness();
    reviewer = await h.createPlatformKey('reviewer');
    publisher = await h.createOrg('trusted-publisher');
    consumers.b = await h.createOrg('consumer-b');
    artifact = await packFiles({ 'main.js': agentCode });
    listing = await publishAgent(h, {
      publisherToken: publisher.token,
      reviewerToken: reviewer,
      artifact,
      manifest: {
        requiredCredentials: [],
        changelog: 'First release',
        inputSchema: { type: 'object', properties: { hello: { type: 'string' }, fail: { type: 'boolean' } } },
      },
    });
    await installV1('a');
    await installV1('c');
    await installV1('d');
    // 1.1.0 needs a new credential and drops an input property: a high-risk upgrade.
    await publishVersion({
      version: '1.1.0',
      changelog: 'Looks orders up in the CRM',
      requiredCredentials: [{ name: 'CRM_TOKEN', description: 'CRM read token' }],
      inputSchema: { type: 'object', properties: { hello: { type: 'string' } } },
    });
  }, 240_000);
  afterAll(() => h.stop());

  it('serves the advisory between two versions a caller may see', async () => {
    const advisory = await call(
      'GET',
      `/v1/listings/${listing.slug}/advisory?from=1.0.0&to=1.1.0`,
      consumers.b.token,
    );
    expect(advisory.status).toBe(200);
    expect(advisory.body).toMatchObject({ from: '1.0.0', to: '1.1.0', semverChange: 'minor', risk: 'high' });
    expect(advisory.body.reasons).toEqual([
      'needs a new credential: CRM_TOKEN',
      'input schema: `fail` removed',
    ]);
    expect(advisory.body.changes.map((change: { kind: string }) => change.kind)).toEqual([
      'credential_added',
      'input_schema',
    ]);
    // `to` defaults to the latest published version.
    const latest = await call('GET', `/v1/listings/${listing.slug}/advisory?from=1.0.0`, consumers.b.token);
    expect(latest.body).toMatchObject({ to: '1.1.0', risk: 'high' });
    const missing = await call('GET', `/v1/listings/${listing.slug}/advisory?to=1.1.0`, consumers.b.token);
    expect(missing.status).toBe(400);
    expect(missing.body.error.details).toEqual([{ path: 'query.from', message: expect.any(String) }]);
    expect(
      (await call('GET', `/v1/listings/${listing.slug}/advisory?from=9.9.9`, consumers.b.token)).status,
    ).toBe(404);
    // The versions list carries each version's changelog.
    const shown = await call('GET', `/v1/listings/${listing.slug}`, consumers.b.token);
    expect(
      shown.body.versions.map((v: { version: string; changelog: string }) => [v.version, v.changelog]),
    ).toEqual([
      ['1.0.0', 'First release'],
      ['1.1.0', 'Looks orders up in the CRM'],
    ]);
  });

  it('shows the upgrade with its risk on the installation, and in the upgrade_available event', async () => {
    const installation = await call('GET', `/v1/installations/${installations.a}`, consumers.a.token);
    expect(installation.body.upgradeAvailable).toEqual({ version: '1.1.0', risk: 'high' });
    const events = await call('GET', '/v1/events?type=installation.upgrade_available', consumers.a.token);
    expect(events.body.events.map((event: { data: unknown }) => event.data)).toEqual([
      expect.objectContaining({ fromVersion: '1.0.0', toVersion: '1.1.0', risk: 'high' }),
    ]);
  });

  it('lets only an organisation that has used the agent rate it, once, and tells the publisher', async () => {
    const unused = await rate(consumers.a, { stars: 4 });
    expect(unused.status).toBe(422);
    expect(unused.body.error.message).toMatch(/only an organisation that has used this agent/);
    expect((await rate(consumers.b, { stars: 5 })).status).toBe(422); // never installed
    expect((await rate(publisher, { stars: 5 })).status).toBe(422); // its own listing

    expect((await run('a')).status).toBe('succeeded');
    const created = await rate(consumers.a, { stars: 5, title: 'Solid', text: '<b>plain</b> text & more' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      stars: 5,
      title: 'Solid',
      text: '<b>plain</b> text & more',
      version: '1.0.0',
      organizationName: 'consumer-a',
      reply: null,
    });
    const edited = await rate(consumers.a, { stars: 4, text: 'Solid, mostly' });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ id: created.body.id, stars: 4, title: null, text: 'Solid, mostly' });
    expect((await rate(consumers.a, { stars: 6 })).status).toBe(400);
    expect((await rate(consumers.a, { stars: 3, text: 'x'.repeat(4001) })).status).toBe(400);

    const events = await call('GET', '/v1/events?type=rating.created', publisher.token);
    expect(events.body.events.map((event: { data: unknown }) => event.data)).toEqual([
      { ratingId: created.body.id, listingId: listing.id, version: '1.0.0', stars: 5 },
    ]);
    expect((await call('GET', '/v1/events?type=rating.created', consumers.a.token)).body.events).toEqual([]);
  });

  it("keeps another organisation's rating out of reach, and lets the publisher's admin reply once", async () => {
    expect((await run('c')).status).toBe('succeeded');
    expect((await rate(consumers.c, { stars: 2, title: 'Slow' })).status).toBe(201);
    const list = await call('GET', `/v1/listings/${listing.slug}/ratings`, consumers.b.token);
    expect(list.status).toBe(200);
    expect(list.body.ratings.map((r: { organizationName: string }) => r.organizationName)).toEqual([
      'consumer-c',
      'consumer-a',
    ]);
    const [ofC, ofA] = list.body.ratings as Array<{ id: string }>;

    // B has no rating to delete; nobody but the publisher may reply.
    expect(
      (await call('DELETE', `/v1/listings/${listing.slug}/ratings/mine`, consumers.b.token)).status,
    ).toBe(404);
    const byOther = await call(
      'POST',
      `/v1/listings/${listing.slug}/ratings/${ofA!.id}/reply`,
      consumers.c.token,
      {
        text: 'mine now',
      },
    );
    expect(byOther.status).toBe(404);
    const publisherMember = await h.createOrgKey(publisher.org.id, publisher.token, 'member');
    const byMember = await call(
      'POST',
      `/v1/listings/${listing.slug}/ratings/${ofA!.id}/reply`,
      publisherMember,
      {
        text: 'thanks',
      },
    );
    expect(byMember.status).toBe(403);
    const reply = (text: string) =>
      call('POST', `/v1/listings/${listing.slug}/ratings/${ofC!.id}/reply`, publisher.token, { text });
    expect((await reply('We sped it up in 1.1.0')).body.reply).toMatchObject({
      text: 'We sped it up in 1.1.0',
    });
    expect((await reply('Faster since 1.1.0')).body.reply).toMatchObject({ text: 'Faster since 1.1.0' });
    const unknown = await call(
      'POST',
      `/v1/listings/${listing.slug}/ratings/00000000-0000-4000-8000-000000000000/reply`,
      publisher.token,
      { text: 'hello' },
    );
    expect(unknown.status).toBe(404);

    // One page at a time, newest first.
    const first = await call('GET', `/v1/listings/${listing.slug}/ratings?limit=1`, consumers.b.token);
    expect(first.body.ratings).toHaveLength(1);
    expect(first.body.ratings[0]).toMatchObject({ id: ofC!.id, reply: { text: 'Faster since 1.1.0' } });
    const second = await call(
      'GET',
      `/v1/listings/${listing.slug}/ratings?limit=1&cursor=${first.body.nextCursor}`,
      consumers.b.token,
    );
    expect(second.body).toMatchObject({ ratings: [{ id: ofA!.id }], nextCursor: null });
  });

  it('leaves hidden ratings out of averages and lists, audited on the rating organisation', async () => {
    expect(await stats()).toMatchObject({ ratingAverage: 3, ratingCount: 2 });
    const list = await call('GET', `/v1/listings/${listing.slug}/ratings`, consumers.b.token);
    const ofC = list.body.ratings.find(
      (r: { organizationName: string }) => r.organizationName === 'consumer-c',
    );
    const hide = () =>
      call('POST', `/v1/platform/ratings/${ofC.id}/hide`, undefined, { reason: 'abusive language' });
    expect((await hide()).status).toBe(204);
    expect((await hide()).status).toBe(204); // already hidden: nothing changes
    expect(await stats()).toMatchObject({ ratingAverage: 4, ratingCount: 1 });
    const listed = await call('GET', `/v1/listings/${listing.slug}/ratings`, consumers.b.token);
    expect(listed.body.ratings.map((r: { id: string }) => r.id)).not.toContain(ofC.id);
    // Search's minRating filter reads the same column.
    const column = await h.db.query('SELECT rating_average, rating_count FROM listings WHERE id = $1', [
      listing.id,
    ]);
    expect(column.rows[0]).toEqual({ rating_average: '4.00', rating_count: 1 });
    const audit = await call('GET', '/v1/audit', consumers.c.token);
    expect(audit.body.events).toContainEqual(
      expect.objectContaining({ action: 'rating.hidden', subjectId: ofC.id, reason: 'abusive language' }),
    );
    // Deleting one's own rating takes it out of the average too.
    expect(
      (await call('DELETE', `/v1/listings/${listing.slug}/ratings/mine`, consumers.a.token)).status,
    ).toBe(204);
    expect(await stats()).toMatchObject({ ratingAverage: null, ratingCount: 0 });
    expect((await rate(consumers.a, { stars: 4 })).status).toBe(201);
  });

  it('filters search by minRating on the visible ratings (average 4.00 now)', async () => {
    expect(await stats()).toMatchObject({ ratingAverage: 4, ratingCount: 1 });
    // The vector index learns the new average through the search change feed: wait for it.
    await waitFor(async () => (await searchHit({ minRating: '4' })) !== undefined, 'kept at minRating 4');
    await waitFor(async () => (await searchHit({ minRating: '4.5' })) === undefined, 'gone at 4.5');
    expect(await searchHit({ minRating: '0' })).toBeDefined();
    for (const bad of ['5.5', '-1', 'four']) {
      const refused = await call('GET', `/v1/search?q=echo&minRating=${bad}`, consumers.b.token);
      expect(refused.status).toBe(400);
      expect(refused.body.error.details).toContainEqual(expect.objectContaining({ path: 'query.minRating' }));
    }
  });

  it('keeps usage stats from aggregates: installations, 30-day executions, success rate, p50', async () => {
    expect((await run('a', { fail: true })).status).toBe('failed');
    expect((await run('d')).status).toBe('succeeded');
    const now = await stats();
    // a: 1 succeeded + 1 failed, c: 1 succeeded, d: 1 succeeded.
    expect(now).toMatchObject({
      installations: 3,
      activeInstallations: 3,
      executions30d: 4,
      successRate30d: 0.75,
    });
    expect(now.p50DurationMs30d).toBeGreaterThan(0);
    const rollup = await h.db.query(
      'SELECT executions, succeeded, (SELECT sum(n) FROM unnest(duration_buckets) n)::int AS timed FROM listing_execution_days WHERE listing_id = $1',
      [listing.id],
    );
    expect(rollup.rows).toEqual([{ executions: 4, succeeded: 3, timed: 4 }]);
    // Search hits carry the same stats as the listing page.
    expect((await searchHit())?.listing.stats).toEqual(now);

    const removal = await call('DELETE', `/v1/installations/${installations.c}`, consumers.c.token);
    await h.temporal.workflow.getHandle(removal.body.workflowId).result();
    expect(await stats()).toMatchObject({ installations: 3, activeInstallations: 2 });
  });

  it('refuses an upgrade for missing credentials, then for an unaccepted high risk, then upgrades', async () => {
    const upgrade = (body: Record<string, unknown>) =>
      call('POST', `/v1/installations/${installations.a}/upgrade`, consumers.a.token, body);
    const missing = await upgrade({ version: '1.1.0', acceptRisk: true });
    expect(missing.status).toBe(422);
    expect(missing.body.error.details).toEqual({ missing: ['CRM_TOKEN'] });
    expect(
      (await call('PUT', '/v1/credentials/CRM_TOKEN', consumers.a.token, { value: 'crm-secret' })).status,
    ).toBe(204);
    const risky = await upgrade({ version: '1.1.0' });
    expect(risky.status).toBe(422);
    expect(risky.body.error.details).toEqual({
      risk: 'high',
      reasons: ['needs a new credential: CRM_TOKEN', 'input schema: `fail` removed'],
    });
    expect((await upgrade({ version: '1.1.0', acceptRisk: false })).status).toBe(422);
    const started = await upgrade({ version: '1.1.0', acceptRisk: true });
    expect(started.status).toBe(202);
    await h.temporal.workflow.getHandle(started.body.workflowId).result();
    const after = await call('GET', `/v1/installations/${installations.a}`, consumers.a.token);
    expect(after.body).toMatchObject({ version: '1.1.0', upgradeAvailable: null });
  });

  it('shows a version’s impact before and on deprecation; it keeps running for those pinned', async () => {
    const impact = await call('GET', `/v1/listings/${listing.slug}/versions/1.0.0/impact`, publisher.token);
    expect(impact.status).toBe(200);
    // d still runs 1.0.0 (a upgraded, c was removed).
    expect(impact.body).toMatchObject({
      version: '1.0.0',
      status: 'published',
      pinnedInstallations: 1,
      activeInstallations: 1,
      moveTo: [
        {
          version: '1.1.0',
          risk: 'high',
          reasons: expect.arrayContaining(['needs a new credential: CRM_TOKEN']),
        },
      ],
    });
    expect(
      (await call('GET', `/v1/listings/${listing.slug}/versions/1.0.0/impact`, consumers.d.token)).status,
    ).toBe(404);

    const deprecated = await call(
      'POST',
      `/v1/listings/${listing.slug}/versions/1.0.0/deprecate`,
      publisher.token,
      {
        reason: 'use 1.1.0',
      },
    );
    expect(deprecated.status).toBe(200);
    expect(deprecated.body).toMatchObject({
      status: 'deprecated',
      impact: { status: 'deprecated', pinnedInstallations: 1, moveTo: [{ version: '1.1.0' }] },
    });
    expect((await run('d')).status).toBe('succeeded');
    const fresh = await h.createOrg();
    const refused = await call('POST', '/v1/installations', fresh.token, {
      listing: listing.slug,
      version: '1.0.0',
    });
    expect(refused.status).toBe(422);
    expect(refused.body.error.message).toMatch(/deprecated/);
  });

  it('lets a publisher yank only a version nothing runs; a platform admin any', async () => {
    const yank = (version: string, token?: string) =>
      call('POST', `/v1/listings/${listing.slug}/versions/${version}/yank`, token, { reason: 'withdrawn' });
    const pinned = await yank('1.0.0', publisher.token);
    expect(pinned.status).toBe(422);
    expect(pinned.body.error.details).toEqual({ pinnedInstallations: 1 });
    await publishVersion({ version: '1.2.0', requiredCredentials: [{ name: 'CRM_TOKEN' }] });
    const unused = await yank('1.2.0', publisher.token);
    expect(unused.status).toBe(200);
    expect(unused.body).toMatchObject({ version: '1.2.0', status: 'suspended', statusReason: 'withdrawn' });
    expect((await call('GET', `/v1/listings/${listing.slug}`, consumers.b.token)).body.latestVersion).toBe(
      '1.1.0',
    );
    const byPlatform = await yank('1.0.0');
    expect(byPlatform.status).toBe(200);
    expect(byPlatform.body.status).toBe('suspended');
  });

  it('keeps a yanked version running for the installation pinned to it; only new installs are refused', async () => {
    expect((await run('d')).status).toBe('succeeded');
    const fresh = await h.createOrg();
    const refused = await call('POST', '/v1/installations', fresh.token, {
      listing: listing.slug,
      version: '1.0.0',
    });
    // A yanked version is no longer shown to other organisations, so it cannot even be named.
    expect(refused.status).toBe(404);
  });

  describe('an install or an upgrade racing a yank of the same version', () => {
    /** Sessions of this database waiting for a lock while running a statement like the pattern. */
    const lockWaiters = async (pattern: string) =>
      (
        await h.db.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database()
             AND wait_event_type = 'Lock' AND query ILIKE $1`,
          [pattern],
        )
      ).rows[0].n as number;
    const install = (org: Org, version: string) =>
      call('POST', '/v1/installations', org.token, { listing: listing.slug, version });
    const yank = (version: string, token?: string) =>
      call('POST', `/v1/listings/${listing.slug}/versions/${version}/yank`, token, { reason: 'withdrawn' });

    it("counts an install that committed first: the publisher's yank is refused", async () => {
      await publishVersion({ version: '1.3.0' });
      const org = await h.createOrg('racing-installer');
      // Hold the install inside its transaction: its insert waits for this lock on its organisation.
      const blocker = await h.db.connect();
      try {
        await blocker.query('BEGIN');
        await blocker.query('SELECT 1 FROM organizations WHERE id = $1 FOR UPDATE', [org.org.id]);
        const installing = install(org, '1.3.0');
        await waitFor(
          async () => (await lockWaiters('%INSERT INTO installations%')) === 1,
          'install waiting',
        );
        const yanking = yank('1.3.0', publisher.token);
        // The yank must wait for the install's transaction rather than count without it.
        await waitFor(async () => (await lockWaiters('%listing_versions%')) === 1, 'yank waiting');
        await blocker.query('ROLLBACK');
        expect((await installing).status).toBe(202);
        const refused = await yanking;
        expect(refused.status).toBe(422);
        expect(refused.body.error.details).toEqual({ pinnedInstallations: 1 });
      } finally {
        blocker.release();
      }
    });

    it('makes an install that started during a yank wait for it, then refuses it', async () => {
      await publishVersion({ version: '1.4.0' });
      const org = await h.createOrg('late-installer');
      // Hold the platform's yank inside its transaction: it updates the listing row after the version's.
      const blocker = await h.db.connect();
      try {
        await blocker.query('BEGIN');
        await blocker.query('SELECT 1 FROM listings WHERE id = $1 FOR UPDATE', [listing.id]);
        const yanking = yank('1.4.0');
        await waitFor(async () => (await lockWaiters('%UPDATE listings%')) === 1, 'yank waiting');
        const installing = install(org, '1.4.0');
        await waitFor(
          async () =>
            (await lockWaiters('%listing_versions%')) + (await lockWaiters('%INSERT INTO installations%')) ===
            1,
          'install waiting',
        );
        await blocker.query('ROLLBACK');
        expect((await yanking).status).toBe(200);
        const refused = await installing;
        expect(refused.status).toBe(422);
        expect(refused.body.error.message).toMatch(/suspended/);
        const landed = await h.db.query(
          `SELECT count(*)::int AS n FROM installations i JOIN listing_versions v ON v.id = i.version_id
            WHERE v.listing_id = $1 AND v.version = '1.4.0'`,
          [listing.id],
        );
        expect(landed.rows[0].n).toBe(0);
      } finally {
        blocker.release();
      }
    });

    it('refuses an upgrade whose target is yanked while it runs; the installation keeps its version', async () => {
      await publishVersion({ version: '1.5.0' });
      const { consumer, installationId } = await installAgent(h, listing.slug, {
        body: { version: '1.5.0' },
      });
      await publishVersion({ version: '1.6.0' });
      // Hold the platform's yank of 1.6.0 inside its transaction (it holds the version's row, then
      // waits for the listing's), and ask for the upgrade meanwhile: the request still sees 1.6.0
      // published, so the refusal has to come from the switch, which takes the version's lock as
      // install does and must wait for the yank to finish.
      const blocker = await h.db.connect();
      let workflowId: string;
      try {
        await blocker.query('BEGIN');
        await blocker.query('SELECT 1 FROM listings WHERE id = $1 FOR UPDATE', [listing.id]);
        const yanking = yank('1.6.0');
        await waitFor(async () => (await lockWaiters('%UPDATE listings%')) === 1, 'yank waiting');
        const started = await call('POST', `/v1/installations/${installationId}/upgrade`, consumer.token, {
          version: '1.6.0',
        });
        expect(started.status).toBe(202);
        workflowId = started.body.workflowId as string;
        await waitFor(async () => (await lockWaiters('%listing_versions%')) === 1, 'switch waiting');
        await blocker.query('ROLLBACK');
        expect((await yanking).status).toBe(200);
      } finally {
        blocker.release();
      }
      const failure = await h.temporal.workflow
        .getHandle(workflowId)
        .result()
        .then(
          () => undefined,
          (error: unknown) => error as { cause?: { message?: string } },
        );
      expect(failure?.cause?.message).toMatch(/1\.6\.0 is suspended/);
      const after = await call('GET', `/v1/installations/${installationId}`, consumer.token);
      expect(after.body).toMatchObject({ version: '1.5.0', status: 'active' });
      expect(after.body.statusReason).toMatch(/still running the previous version: .*suspended/);
    });
  });
});
