// The event log: what each change records, to whom, exactly once, and GET /v1/events over it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Activities } from '../../src/activities/index.js';
import { withTransaction } from '../../src/db/pool.js';
import { buildTenantInvoices } from '../../src/domain/billing/build-invoices.js';
import { recordEvent } from '../../src/domain/events/repository.js';
import { UsageEventBatcher } from '../../src/domain/metering/usage-event-batcher.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { echoArtifact, installAgent } from '../support/agents.js';
import { manifest, startHarness, type Harness } from '../support/harness.js';
import { approveSubmission, publishAgent, uploadCodeIfProcess } from '../support/publish.js';
import { seedActiveInstallation, seedMonthlyUsage, seedPublishedListing } from '../support/seed.js';

interface Event {
  id: string;
  type: string;
  occurredAt: string;
  data: Record<string, unknown>;
}

describe('events', () => {
  let h: Harness;
  let real: Activities;
  let reviewer: string;
  let publisher: { org: { id: string }; token: string };
  let consumer: { org: { id: string }; token: string };
  let bystander: { org: { id: string }; token: string };
  let listing: { id: string; slug: string };
  let installationId: string;
  let executionId: string;
  let v2Id: string;

  const events = async (token: string, query = '') => {
    const response = await h.request('GET', `/v1/events${query}`, { token });
    expect(response.status).toBe(200);
    return response.body as { events: Event[]; nextCursor: string | null };
  };
  const countEvents = async (type: string, key: string, value: string) =>
    (
      await h.db.query('SELECT count(*)::int AS n FROM events WHERE type = $1 AND data->>$2 = $3', [
        type,
        key,
        value,
      ])
    ).rows[0].n as number;

  beforeAll(async () => {
    h = await startHarness({
      activities: (activities) => {
        real = activities;
        return {};
      },
    });
    reviewer = await h.createPlatformKey('reviewer');
    publisher = await h.createOrg('publisher');
    bystander = await h.createOrg('bystander');
    const agent = { requiredCredentials: [] };
    listing = await publishAgent(h, {
      publisherToken: publisher.token,
      reviewerToken: reviewer,
      artifact: echoArtifact(),
      manifest: agent,
    });
    ({ consumer, installationId } = await installAgent(h, listing.slug));
    const run = await h.request('POST', `/v1/installations/${installationId}/executions`, {
      token: consumer.token,
      body: { input: { hello: 'world' }, mode: 'sync' },
    });
    expect(run.body.status).toBe('succeeded');
    executionId = run.body.id;

    const added = await h.request('POST', `/v1/listings/${listing.id}/versions`, {
      token: publisher.token,
      body: manifest({
        ...agent,
        version: '1.1.0',
        runtime: { kind: 'process', command: ['node', 'main.js'] },
      }),
    });
    expect(added.status).toBe(201);
    v2Id = added.body.id;
    await uploadCodeIfProcess(h, publisher.token, listing.id, added.body);
    const submitted = await h.request('POST', `/v1/listings/${listing.id}/versions/1.1.0/submit`, {
      token: publisher.token,
    });
    await approveSubmission(h, submitted.body.workflowId, reviewer);

    const removal = await h.request('DELETE', `/v1/installations/${installationId}`, {
      token: consumer.token,
    });
    expect(removal.status).toBe(202);
    await h.temporal.workflow.getHandle(removal.body.workflowId).result();
  }, 180_000);
  afterAll(() => h.stop());

  it('tells the publisher of each published version', async () => {
    const { events: list } = await events(publisher.token);
    expect(list.map((event) => [event.type, event.data.version])).toEqual([
      ['version.published', '1.1.0'],
      ['version.published', '1.0.0'],
    ]);
    expect(list[0]!.data).toEqual({ listingId: listing.id, versionId: v2Id, version: '1.1.0' });
  });

  it("tells the consumer of its installation's lifecycle, its execution and the newer version, newest first", async () => {
    const { events: list, nextCursor } = await events(consumer.token);
    expect(nextCursor).toBeNull();
    expect(list.map((event) => event.type)).toEqual([
      'installation.removed',
      'installation.upgrade_available',
      'execution.succeeded',
      'installation.active',
    ]);
    const [removed, upgrade, execution, active] = list as [Event, Event, Event, Event];
    expect(upgrade.data).toEqual({
      installationId,
      listingId: listing.id,
      fromVersion: '1.0.0',
      toVersion: '1.1.0',
      // 1.0.0 is free, 1.1.0 charges per invocation: the upgrade advisory calls that high.
      risk: 'high',
    });
    expect(execution.data).toEqual({
      executionId,
      installationId,
      listingId: listing.id,
      status: 'succeeded',
    });
    expect(active.data).toMatchObject({ installationId, listingId: listing.id, version: '1.0.0' });
    expect(removed.data).toMatchObject({ installationId, version: '1.0.0' });
    const times = list.map((event) => Date.parse(event.occurredAt));
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });

  it("never shows one organisation another's events", async () => {
    expect((await events(bystander.token)).events).toEqual([]);
    const ofPublisher = JSON.stringify((await events(publisher.token)).events);
    expect(ofPublisher).not.toContain(installationId);
    const member = await h.createOrgKey(consumer.org.id, consumer.token, 'member');
    expect((await h.request('GET', '/v1/events', { token: member })).status).toBe(403);
  });

  it('filters by type and by time within [from, to)', async () => {
    const only = await events(consumer.token, '?type=execution.succeeded');
    expect(only.events.map((event) => event.data.executionId)).toEqual([executionId]);
    const two = await events(consumer.token, '?type=installation.active&type=installation.removed');
    expect(two.events.map((event) => event.type)).toEqual(['installation.removed', 'installation.active']);

    const all = (await events(consumer.token)).events;
    const pivot = encodeURIComponent(all[1]!.occurredAt);
    const since = await events(consumer.token, `?from=${pivot}`);
    expect(since.events.map((event) => event.id)).toEqual(all.slice(0, 2).map((event) => event.id));
    const before = await events(consumer.token, `?to=${pivot}`);
    expect(before.events.map((event) => event.id)).toEqual(all.slice(2).map((event) => event.id));
  });

  it('pages with an opaque cursor: limit=1 walks every event once, in order', async () => {
    const all = (await events(consumer.token)).events.map((event) => event.id);
    const walked: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { events: Event[]; nextCursor: string | null } = await events(
        consumer.token,
        `?limit=1${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.events.length).toBeLessThanOrEqual(1);
      walked.push(...page.events.map((event) => event.id));
      cursor = page.nextCursor;
    } while (cursor && walked.length <= all.length);
    expect(walked).toEqual(all);
  });

  it('refuses a bad cursor, type or time with the field path', async () => {
    const first = await events(consumer.token, '?limit=1');
    const otherFilters = await h.request(
      'GET',
      `/v1/events?type=installation.active&cursor=${first.nextCursor}`,
      {
        token: consumer.token,
      },
    );
    const asOther = await h.request('GET', `/v1/events?cursor=${first.nextCursor}`, {
      token: bystander.token,
    });
    const garbage = await h.request('GET', '/v1/events?cursor=not-a-cursor', { token: consumer.token });
    for (const response of [otherFilters, asOther, garbage]) {
      expect(response.status).toBe(400);
      expect(response.body.error.details).toEqual([expect.objectContaining({ path: 'query.cursor' })]);
    }
    const badType = await h.request('GET', '/v1/events?type=version.nope', { token: consumer.token });
    expect(badType.status).toBe(400);
    expect(badType.body.error.details[0].path).toBe('query.type');
    const badTime = await h.request('GET', '/v1/events?from=yesterday', { token: consumer.token });
    expect(badTime.status).toBe(400);
    expect(badTime.body.error.details[0].path).toBe('query.from');
  });

  it('records each change once, however often its activity runs again', async () => {
    await real.publishVersion({ versionId: v2Id, reviewerKeyId: 'again', reason: null });
    await real.markInstallationRemoved({ installationId });
    await real.activateInstallation({ installationId }).catch(() => undefined);
    await real.failExecution({ executionId, reason: 'retried' });
    expect(await countEvents('version.published', 'versionId', v2Id)).toBe(1);
    expect(await countEvents('installation.upgrade_available', 'installationId', installationId)).toBe(1);
    expect(await countEvents('installation.removed', 'installationId', installationId)).toBe(1);
    expect(await countEvents('installation.active', 'installationId', installationId)).toBe(1);
    expect(await countEvents('execution.succeeded', 'executionId', executionId)).toBe(1);
    expect(await countEvents('execution.failed', 'executionId', executionId)).toBe(0);
  });

  it('records a review timeout once, and nothing when checks send a version back', async () => {
    const draft = async (version: string) => {
      const created = await h.request('POST', `/v1/listings/${listing.id}/versions`, {
        token: publisher.token,
        body: manifest({ requiredCredentials: [], version }),
      });
      await h.db.query(`UPDATE listing_versions SET status = 'in_review' WHERE id = $1`, [created.body.id]);
      return created.body.id as string;
    };
    const timedOut = await draft('1.2.0');
    const timeout = { versionId: timedOut, reason: 'no review decision within 1 h; submit again when ready' };
    await real.returnVersionToDraft(timeout);
    await real.returnVersionToDraft(timeout);
    expect(await countEvents('version.review_timed_out', 'versionId', timedOut)).toBe(1);
    const [latest] = (await events(publisher.token, '?type=version.review_timed_out')).events;
    expect(latest!.data).toEqual({ listingId: listing.id, versionId: timedOut, version: '1.2.0' });

    const checked = await draft('1.3.0');
    await real.returnVersionToDraft({ versionId: checked, reason: 'automated checks failed: manifest' });
    expect(await countEvents('version.review_timed_out', 'versionId', checked)).toBe(0);
  });

  it('refuses a payload field its type does not declare (no room for secrets)', async () => {
    const attempt = withTransaction(h.db, (tx) =>
      recordEvent(tx, {
        orgId: consumer.org.id,
        type: 'installation.active',
        data: {
          installationId,
          listingId: listing.id,
          versionId: v2Id,
          version: '1.1.0',
          apiKey: 'sk_live_x',
        } as never,
      }),
    );
    await expect(attempt).rejects.toThrow(/apiKey/);
    expect(await countEvents('installation.active', 'apiKey', 'sk_live_x')).toBe(0);
  });

  it('records invoice.finalized once per invoice, with or without a payment provider to sync to first', async () => {
    const billed = await h.createOrg('billed');
    const seeded = await seedPublishedListing(h.db, {
      publisherOrgId: publisher.org.id,
      name: 'Billed agent',
    });
    const installation = await seedActiveInstallation(h.db, {
      orgId: billed.org.id,
      listing: seeded,
      pricing: { model: 'usage_based', pricePerInvocation: 0.5 },
      openedAt: '2026-01-01T00:00:00Z',
    });
    for (const month of ['2026-01', '2026-02']) {
      await seedMonthlyUsage(h.db, {
        orgId: billed.org.id,
        installation: { id: installation, listingId: seeded.id },
        month,
        events: 4,
        cost: '0.5',
      });
    }
    const build = (period: string, finalize: boolean) =>
      buildTenantInvoices(h.db, { orgId: billed.org.id, period, platformFeePercent: '20', finalize });
    // Without a payment provider: final when built; building again returns the same invoice.
    const [january] = await build('2026-01', true);
    await build('2026-01', true);
    // With one: a draft until synced, then finalised by the activity (retried here).
    const [february] = await build('2026-02', false);
    expect(await countEvents('invoice.finalized', 'invoiceId', february!.invoiceId)).toBe(0);
    await real.finalizeTenantInvoices({ invoiceIds: [february!.invoiceId] });
    await real.finalizeTenantInvoices({ invoiceIds: [february!.invoiceId] });

    const { events: list } = await events(billed.token, '?type=invoice.finalized');
    expect(list.map((event) => event.data)).toEqual([
      { invoiceId: february!.invoiceId, period: '2026-02', currency: 'usd', totalMinor: '200' },
      { invoiceId: january!.invoiceId, period: '2026-01', currency: 'usd', totalMinor: '200' },
    ]);
    expect((await events(publisher.token, '?type=invoice.finalized')).events).toEqual([]);
  });

  it('records usage.budget_threshold at 80 % and 100 % of the monthly budget, once each per month', async () => {
    const spender = await h.createOrg('spender');
    const seeded = await seedPublishedListing(h.db, {
      publisherOrgId: publisher.org.id,
      name: 'Metered agent',
    });
    const installation = await seedActiveInstallation(h.db, {
      orgId: spender.org.id,
      listing: seeded,
      pricing: { model: 'usage_based', pricePerInvocation: 1 },
    });
    await h.db.query('UPDATE installations SET monthly_budget = 5 WHERE id = $1', [installation]);
    const usage = new UsageEventBatcher(h.db, createMetrics());
    const spend = (count: number, at = new Date()) =>
      usage.record(
        Array.from({ length: count }, () => ({
          eventId: crypto.randomUUID(),
          orgId: spender.org.id,
          installationId: installation,
          listingId: seeded.id,
          executionId: null,
          invocations: 1,
          tokensIn: 0,
          tokensOut: 0,
          durationMs: 1,
          cost: '1',
          currency: 'usd',
          occurredAt: at,
          source: 'publisher' as const,
        })),
      );
    const thresholds = async () =>
      (await events(spender.token, '?type=usage.budget_threshold')).events.map((event) => event.data);

    await spend(3);
    expect(await thresholds()).toEqual([]);
    await spend(1);
    const month = new Date().toISOString().slice(0, 7);
    const at80 = { installationId: installation, listingId: seeded.id, month, threshold: 80, budget: '5' };
    expect(await thresholds()).toEqual([{ ...at80, spent: '4', currency: 'usd' }]);
    await spend(2);
    await spend(1);
    expect(await thresholds()).toEqual([
      { ...at80, threshold: 100, spent: '6', currency: 'usd' },
      { ...at80, spent: '4', currency: 'usd' },
    ]);
  });
});
