import { WorkflowFailedError } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listingBody, manifest, startHarness, type Harness } from '../support/harness.js';
import { publishListing } from '../support/publish.js';

const REFUSED_ENDPOINT = 'https://127.0.0.1/run';
const { EventType } = temporal.api.enums.v1;

// With the default policy (private networks not allowed), a remote endpoint on a refused address
// never reaches a reviewer, and an installation of a version that has one fails at its first try.
describe('remote endpoints refused by the address policy', () => {
  let h: Harness;
  let publisher: { org: { id: string }; token: string };
  let reviewer: string;
  // A review from before endpoints were checked: the automated checks pass whatever the endpoint.
  let reviewWithoutChecks = false;

  beforeAll(async () => {
    h = await startHarness({
      activities: (real) => ({
        checkVersion: async (input) => (reviewWithoutChecks ? [] : real.checkVersion(input)),
      }),
    });
    publisher = await h.createOrg('remote publisher');
    reviewer = await h.createPlatformKey('reviewer');
  }, 120_000);
  afterAll(() => h?.stop());

  const remote = (endpoint: string) =>
    manifest({ requiredCredentials: [], runtime: { kind: 'remote', endpoint } });

  it('rejects the version in the automated review, naming the address, before it reaches the queue', async () => {
    const listing = await h.request('POST', '/v1/listings', { token: publisher.token, body: listingBody() });
    const created = await h.request('POST', `/v1/listings/${listing.body.id}/versions`, {
      token: publisher.token,
      body: remote(REFUSED_ENDPOINT),
    });
    expect(created.status).toBe(201);
    const submitted = await h.request('POST', `/v1/listings/${listing.body.id}/versions/1.0.0/submit`, {
      token: publisher.token,
    });
    expect(submitted.status).toBe(202);

    const review = await h.temporal.workflow.getHandle(submitted.body.workflowId).result();
    expect(review).toEqual({
      phase: 'returned_to_draft',
      reason:
        'automated checks failed: runtime.endpoint: the remote endpoint is refused: ' +
        '127.0.0.1 is not a public address (loopback)',
    });
    const versionId = created.body.id as string;
    const { rows } = await h.db.query('SELECT status, status_reason FROM listing_versions WHERE id = $1', [
      versionId,
    ]);
    expect(rows[0]).toMatchObject({ status: 'draft', status_reason: review.reason });
    const queue = await h.request('GET', '/v1/reviews', { token: reviewer });
    expect(queue.body.reviews.map((r: any) => r.version.id)).not.toContain(versionId);
    const decision = await h.request('POST', `/v1/reviews/${versionId}/decision`, {
      token: reviewer,
      body: { decision: 'approve' },
    });
    expect(decision.status).toBe(409);
  });

  it('passes a remote version whose endpoint is a public address', async () => {
    const listing = await publishListing(h, {
      publisherToken: publisher.token,
      reviewerToken: reviewer,
      manifest: remote('https://93.184.216.34/run'),
    });
    const { rows } = await h.db.query('SELECT status FROM listing_versions WHERE listing_id = $1', [
      listing.id,
    ]);
    expect(rows).toEqual([{ status: 'published' }]);
  });

  it('fails an install of such a version at the first attempt, without retrying the refusal', async () => {
    reviewWithoutChecks = true;
    const listing = await publishListing(h, {
      publisherToken: publisher.token,
      reviewerToken: reviewer,
      manifest: remote(REFUSED_ENDPOINT),
    }).finally(() => (reviewWithoutChecks = false));
    const consumer = await h.createOrg();
    const started = await h.request('POST', '/v1/installations', {
      token: consumer.token,
      body: { listing: listing.slug },
    });
    expect(started.status).toBe(202);
    const handle = h.temporal.workflow.getHandle(started.body.workflowId);
    const failure = await handle.result().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(WorkflowFailedError);

    const { events } = await handle.fetchHistory();
    const created = events!.find(
      (event) =>
        event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED &&
        event.activityTaskScheduledEventAttributes?.activityType?.name === 'createInstallationRuntime',
    )!;
    const attempts = events!.filter(
      (event) =>
        event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED &&
        Number(event.activityTaskStartedEventAttributes?.scheduledEventId) === Number(created.eventId),
    );
    expect(attempts.map((event) => event.activityTaskStartedEventAttributes?.attempt)).toEqual([1]);
    const failed = events!.find(
      (event) =>
        event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED &&
        Number(event.activityTaskFailedEventAttributes?.scheduledEventId) === Number(created.eventId),
    )!;
    expect(failed.activityTaskFailedEventAttributes?.failure).toMatchObject({
      message: 'the remote endpoint is refused: 127.0.0.1 is not a public address (loopback)',
      applicationFailureInfo: { type: 'EndpointRefused', nonRetryable: true },
    });

    const installation = await h.request('GET', `/v1/installations/${started.body.installationId}`, {
      token: consumer.token,
    });
    expect(installation.body).toMatchObject({
      status: 'failed',
      statusReason: expect.stringContaining('127.0.0.1 is not a public address (loopback)'),
    });
  });
});
