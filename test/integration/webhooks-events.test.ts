// Each event type, produced by the real flow that causes it (publish-review, provisioning, an
// execution, an upgrade, removal, metering, billing), reaches the subscribed endpoint of the
// organisation it belongs to, signed; nothing sent carries a credential value, key or secret.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTenantInvoices } from '../../src/domain/billing/build-invoices.js';
import { eventTypes } from '../../src/domain/events/event-types.js';
import { UsageEventBatcher } from '../../src/domain/metering/usage-event-batcher.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { echoArtifact, installAgent } from '../support/agents.js';
import { packFiles } from '../support/artifacts.js';
import { manifest, startHarness, type Harness } from '../support/harness.js';
import { approveSubmission, publishAgent, uploadCodeIfProcess } from '../support/publish.js';
import { secretLeaks } from '../support/secret-leaks.js';
import { seedActiveInstallation, seedMonthlyUsage, seedPublishedListing } from '../support/seed.js';
import { waitFor } from '../support/wait-for.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

const CREDENTIAL_VALUE = 'sk-webhook-canary-9f8e7d6c5b4a3210';

describe('every event type reaches its endpoint from the flow that causes it', () => {
  let h: Harness;
  let receiver: WebhookReceiver;
  const secrets: string[] = [];
  const allTypes = eventTypes.filter((type) => type !== 'webhook.test');
  let beforeCredentialCheck: (() => Promise<void>) | null = null;

  const subscribe = async (org: { token: string }, path: string) => {
    const created = await h.request('POST', '/v1/webhooks', {
      token: org.token,
      body: { url: receiver.url(path), eventTypes: allTypes },
    });
    expect(created.status).toBe(201);
    receiver.trust(created.body.secret);
    secrets.push(created.body.secret);
  };
  const typesAt = (path: string) => receiver.at(path).map((request) => request.event.type);
  const arrived = (path: string, type: string) =>
    waitFor(
      async () => receiver.at(path).find((request) => request.event.type === type),
      `${type} at ${path}`,
    );

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    // Short, so a version nobody reviews times out within the test.
    h = await startHarness({
      reviewTimeoutSeconds: 15,
      // installation.failed: the consumer's credential is deleted after its install was accepted.
      activities: (real) => ({
        checkInstallationCredentials: async (input) => {
          await beforeCredentialCheck?.();
          await real.checkInstallationCredentials(input);
        },
      }),
      env: {
        WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true',
        WEBHOOKS_CA_FILE: receiver.caFile,
        WEBHOOKS_SWEEP_INTERVAL: '2s',
        // Strict order, so the order each endpoint receives can be asserted.
        WEBHOOKS_ENDPOINT_CONCURRENCY: '1',
      },
    });
  }, 120_000);
  afterAll(async () => {
    await h?.stop();
    await receiver?.stop();
  });

  it('publisher and consumer each get theirs, signed, in order, and nothing of the other', async () => {
    const reviewer = await h.createPlatformKey('reviewer');
    const publisher = await h.createOrg('wh-publisher');
    const consumer = await h.createOrg('wh-consumer');
    await subscribe(publisher, '/publisher');
    await subscribe(consumer, '/consumer');
    const stored = await h.request('PUT', '/v1/credentials/SHOP_API_KEY', {
      token: consumer.token,
      body: { value: CREDENTIAL_VALUE },
    });
    expect(stored.status).toBe(204);

    // version.published; one free invocation a month.
    const agent = { requiredCredentials: [], pricing: { model: 'free', freeInvocations: 1 } };
    const listing = await publishAgent(h, {
      publisherToken: publisher.token,
      reviewerToken: reviewer,
      artifact: echoArtifact(),
      manifest: agent,
    });
    // installation.active, execution.succeeded, quota.free_exhausted.
    const { installationId } = await installAgent(h, listing.slug, { consumer });
    const run = await h.request('POST', `/v1/installations/${installationId}/executions`, {
      token: consumer.token,
      body: { input: { hello: 'world' }, mode: 'sync' },
    });
    expect(run.body.status).toBe('succeeded');
    const refused = await h.request('POST', `/v1/installations/${installationId}/executions`, {
      token: consumer.token,
      body: { input: {}, mode: 'sync' },
    });
    expect(refused.status).toBe(429);

    // version.published again, installation.upgrade_available, then installation.upgraded.
    const added = await h.request('POST', `/v1/listings/${listing.id}/versions`, {
      token: publisher.token,
      body: manifest({ ...agent, version: '1.1.0' }),
    });
    expect(added.status).toBe(201);
    await uploadCodeIfProcess(h, publisher.token, listing.id, added.body);
    const submitted = await h.request('POST', `/v1/listings/${listing.id}/versions/1.1.0/submit`, {
      token: publisher.token,
    });
    await approveSubmission(h, submitted.body.workflowId, reviewer);
    await arrived('/consumer', 'installation.upgrade_available');
    // 1.1.0 comes from the tests' default manifest, not echo's: its advisory is high risk, accepted here.
    const upgrade = await h.request('POST', `/v1/installations/${installationId}/upgrade`, {
      token: consumer.token,
      body: { version: '1.1.0', acceptRisk: true },
    });
    expect(upgrade.status).toBe(202);
    await h.temporal.workflow.getHandle(upgrade.body.workflowId).result();

    // version.rejected.
    const rejectedVersion = await h.request('POST', `/v1/listings/${listing.id}/versions`, {
      token: publisher.token,
      body: manifest({ ...agent, version: '1.2.0' }),
    });
    await uploadCodeIfProcess(h, publisher.token, listing.id, rejectedVersion.body);
    const review = await h.request('POST', `/v1/listings/${listing.id}/versions/1.2.0/submit`, {
      token: publisher.token,
    });
    await waitFor(
      async () =>
        (
          await h.request('POST', `/v1/reviews/${rejectedVersion.body.id}/decision`, {
            token: reviewer,
            body: { decision: 'reject', reason: 'the description promises too much' },
          })
        ).status === 202,
      'the review to accept a decision',
    );
    await h.temporal.workflow
      .getHandle(review.body.workflowId)
      .result()
      .catch(() => undefined);

    // execution.failed (an agent that exits 1), then version.review_timed_out (a version nobody reviews).
    const failing = await publishAgent(h, {
      publisherToken: publisher.token,
      reviewerToken: reviewer,
      artifact: await packFiles({ 'main.js': 'process.exit(1);' }),
      manifest: { requiredCredentials: [] },
    });
    const broken = await installAgent(h, failing.slug, { consumer });
    await h.request('POST', `/v1/installations/${broken.installationId}/executions`, {
      token: consumer.token,
      body: { input: {}, mode: 'sync' },
    });
    const unreviewed = await h.request('POST', `/v1/listings/${failing.id}/versions`, {
      token: publisher.token,
      body: manifest({ requiredCredentials: [], version: '1.1.0' }),
    });
    await uploadCodeIfProcess(h, publisher.token, failing.id, unreviewed.body);
    const waiting = await h.request('POST', `/v1/listings/${failing.id}/versions/1.1.0/submit`, {
      token: publisher.token,
    });
    expect(waiting.status).toBe(202);

    // installation.failed: the credential it needs is deleted once the install was accepted.
    const needsCredential = await publishAgent(h, {
      publisherToken: publisher.token,
      reviewerToken: reviewer,
      artifact: echoArtifact(),
      manifest: { requiredCredentials: [{ name: 'SHOP_API_KEY' }] },
    });
    beforeCredentialCheck = async () => {
      beforeCredentialCheck = null;
      await h.request('DELETE', '/v1/credentials/SHOP_API_KEY', { token: consumer.token });
    };
    const accepted = await h.request('POST', '/v1/installations', {
      token: consumer.token,
      body: { listing: needsCredential.slug },
    });
    expect(accepted.status).toBe(202);
    await h.temporal.workflow
      .getHandle(accepted.body.workflowId)
      .result()
      .catch(() => undefined);
    const failed = (await arrived('/consumer', 'installation.failed'))!.event.data;
    expect(failed).toMatchObject({ installationId: accepted.body.installationId });
    expect(JSON.stringify(failed)).toContain('SHOP_API_KEY');

    // installation.removed.
    const removal = await h.request('DELETE', `/v1/installations/${installationId}`, {
      token: consumer.token,
    });
    await h.temporal.workflow.getHandle(removal.body.workflowId).result();

    // usage.budget_threshold (metering) and invoice.finalized (billing) for the consumer.
    const seeded = await seedPublishedListing(h.db, {
      publisherOrgId: publisher.org.id,
      name: 'Metered agent',
    });
    const metered = await seedActiveInstallation(h.db, {
      orgId: consumer.org.id,
      listing: seeded,
      pricing: { model: 'usage_based', pricePerInvocation: 1 },
    });
    await h.db.query('UPDATE installations SET monthly_budget = 1 WHERE id = $1', [metered]);
    await new UsageEventBatcher(h.db, createMetrics()).record([
      {
        eventId: crypto.randomUUID(),
        orgId: consumer.org.id,
        installationId: metered,
        listingId: seeded.id,
        executionId: null,
        invocations: 1,
        tokensIn: 0,
        tokensOut: 0,
        durationMs: 1,
        cost: '1',
        currency: 'usd',
        occurredAt: new Date(),
        source: 'publisher',
      },
    ]);
    await seedMonthlyUsage(h.db, {
      orgId: consumer.org.id,
      installation: { id: metered, listingId: seeded.id },
      month: '2026-01',
      events: 2,
      cost: '0.5',
    });
    await buildTenantInvoices(h.db, {
      orgId: consumer.org.id,
      period: '2026-01',
      platformFeePercent: '20',
      finalize: true,
    });

    const consumerTypes = [
      'installation.active',
      'execution.succeeded',
      'quota.free_exhausted',
      'installation.upgrade_available',
      'installation.upgraded',
      'installation.removed',
      'installation.failed',
      'execution.failed',
      'usage.budget_threshold',
      'invoice.finalized',
    ];
    await waitFor(
      async () => consumerTypes.every((type) => typesAt('/consumer').includes(type)),
      'every consumer event',
      30_000,
    );
    await arrived('/publisher', 'version.rejected');
    await waitFor(
      async () => typesAt('/publisher').includes('version.review_timed_out'),
      'version.review_timed_out',
      30_000,
    );
    expect(typesAt('/publisher').filter((type) => type === 'version.published')).toHaveLength(4);
    // Order: each endpoint receives its events in the order they happened (no retries here).
    const order = typesAt('/consumer');
    expect(order.slice(0, 3)).toEqual(['installation.active', 'execution.succeeded', 'quota.free_exhausted']);
    expect(order.indexOf('installation.upgraded')).toBeLessThan(order.indexOf('installation.removed'));
    const quota = (await arrived('/consumer', 'quota.free_exhausted'))!.event.data;
    expect(quota).toMatchObject({ installationId, listingId: listing.id, freeInvocations: 1 });

    for (const request of receiver.received) expect(request.verifiedWith).toHaveLength(1);
    expect(receiver.at('/consumer').every((request) => request.event.orgId === consumer.org.id)).toBe(true);
    expect(receiver.at('/publisher').every((request) => request.event.orgId === publisher.org.id)).toBe(true);

    const sent = JSON.stringify(receiver.received.map(({ headers, body }) => ({ headers, body })));
    for (const secret of [
      CREDENTIAL_VALUE,
      ...secrets,
      publisher.token,
      consumer.token,
      reviewer,
      h.adminToken,
    ])
      expect(secretLeaks(sent, secret)).toEqual([]);
  }, 180_000);
});
