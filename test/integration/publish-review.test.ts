import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishReviewStateQuery } from '../../src/workflows/publish-review.js';
import { listingBody, manifest, startHarness, type Harness } from '../support/harness.js';
import { recordHistory } from '../support/histories.js';
import { uploadCodeIfProcess } from '../support/publish.js';
import { waitFor } from '../support/wait-for.js';

/** Creates an org, a listing and a draft version, and submits it; returns what the tests need. */
async function submitNewVersion(h: Harness) {
  const publisher = await h.createOrg();
  const listing = await h.request('POST', '/v1/listings', { token: publisher.token, body: listingBody() });
  expect(listing.status).toBe(201);
  const version = await h.request('POST', `/v1/listings/${listing.body.id}/versions`, {
    token: publisher.token,
    body: manifest(),
  });
  expect(version.status).toBe(201);
  await uploadCodeIfProcess(h, publisher.token, listing.body.id, version.body);
  const submitted = await h.request('POST', `/v1/listings/${listing.body.slug}/versions/1.0.0/submit`, {
    token: publisher.token,
  });
  expect(submitted.status).toBe(202);
  expect(submitted.body.workflowId).toBe(`publish:${version.body.id}`);
  return {
    publisher,
    listing: listing.body,
    version: version.body,
    workflowId: submitted.body.workflowId as string,
  };
}

async function versionStatus(h: Harness, token: string, listingId: string) {
  const found = await h.request('GET', `/v1/listings/${listingId}/versions/1.0.0`, { token });
  return found.body as { status: string; statusReason: string | null };
}

describe('publish-review workflow', () => {
  let h: Harness;
  let reviewer: string;
  beforeAll(async () => {
    h = await startHarness();
    reviewer = await h.createPlatformKey('reviewer');
  });
  afterAll(() => h.stop());

  it('publishes a version the reviewer approves, and audits who, when and why', async () => {
    const { publisher, listing, version, workflowId } = await submitNewVersion(h);
    const again = await h.request('POST', `/v1/listings/${listing.id}/versions/1.0.0/submit`, {
      token: publisher.token,
    });
    expect(again).toMatchObject({ status: 202, body: { workflowId } });

    const queue = await waitFor(async () => {
      const pending = await h.request('GET', '/v1/reviews?status=pending', { token: reviewer });
      return pending.body.reviews.find((r: any) => r.version.id === version.id);
    }, 'the version in the review queue');
    expect(queue).toMatchObject({
      workflowId,
      listing: { slug: listing.slug },
      version: { status: 'in_review' },
    });
    const handle = h.temporal.workflow.getHandle(workflowId);
    await waitFor(
      async () => (await handle.query(publishReviewStateQuery)).phase === 'awaiting_review',
      'awaiting_review',
    );

    const decided = await h.request('POST', `/v1/reviews/${version.id}/decision`, {
      token: reviewer,
      body: { decision: 'approve', reason: 'clear docs, sane pricing' },
    });
    expect(decided).toMatchObject({ status: 202, body: { workflowId } });
    expect(await handle.result()).toEqual({ phase: 'published', decision: 'approve' });
    await recordHistory(workflowId, 'publish-review-approve');

    const consumer = await h.createOrg();
    const seen = await h.request('GET', `/v1/listings/${listing.slug}`, { token: consumer.token });
    expect(seen.status).toBe(200);
    expect(seen.body.latestVersion).toBe('1.0.0');
    expect(seen.body.versions.map((v: any) => [v.version, v.status])).toEqual([['1.0.0', 'published']]);

    const audit = await h.request('GET', '/v1/audit', { token: publisher.token });
    const decision = audit.body.events.find((e: any) => e.action === 'review.approved');
    expect(decision).toMatchObject({
      subjectId: version.id,
      actorRole: 'reviewer',
      reason: 'clear docs, sane pricing',
    });
    expect(decision.actorKeyId).toMatch(/^key_/);
    expect(Date.parse(decision.createdAt)).not.toBeNaN();
    expect(audit.body.events.map((e: any) => e.action)).toContain('version.published');

    const status = await h.request('GET', `/v1/workflows/${encodeURIComponent(workflowId)}`, {
      token: publisher.token,
    });
    expect(status.body).toMatchObject({
      workflowId,
      type: 'publishReview',
      status: 'COMPLETED',
      result: { phase: 'published' },
    });
  });

  it('carries search attributes an operator can filter on in the Web UI', async () => {
    const { publisher, listing, workflowId } = await submitNewVersion(h);
    const description = await h.temporal.workflow.getHandle(workflowId).describe();
    expect(description.searchAttributes).toMatchObject({
      BazaarPublisherOrgId: [publisher.org.id],
      BazaarListingId: [listing.id],
      BazaarListingSlug: [listing.slug],
    });
    const found = await waitFor(async () => {
      const ids: string[] = [];
      for await (const info of h.temporal.workflow.list({
        query: `BazaarPublisherOrgId = '${publisher.org.id}'`,
      }))
        ids.push(info.workflowId);
      return ids.length ? ids : null;
    }, 'the workflow in a visibility query');
    expect(found).toEqual([workflowId]);
  });

  it('records a rejection with its reason, and refuses a second decision', async () => {
    const { publisher, listing, version, workflowId } = await submitNewVersion(h);
    await waitFor(
      async () => (await versionStatus(h, publisher.token, listing.id)).status === 'in_review',
      'in_review',
    );

    const noReason = await h.request('POST', `/v1/reviews/${version.id}/decision`, {
      token: reviewer,
      body: { decision: 'reject' },
    });
    expect(noReason.status).toBe(400);
    expect(noReason.body.error.details).toEqual([
      { path: 'json.reason', message: expect.stringContaining('reason') },
    ]);

    const rejected = await h.request('POST', `/v1/reviews/${version.id}/decision`, {
      token: reviewer,
      body: { decision: 'reject', reason: 'the input schema is missing' },
    });
    expect(rejected.status).toBe(202);
    const second = await h.request('POST', `/v1/reviews/${version.id}/decision`, {
      token: reviewer,
      body: { decision: 'approve' },
    });
    expect(second.status).toBe(409);

    expect(await h.temporal.workflow.getHandle(workflowId).result()).toMatchObject({
      phase: 'rejected',
      reason: 'the input schema is missing',
    });
    await recordHistory(workflowId, 'publish-review-reject');
    expect(await versionStatus(h, publisher.token, listing.id)).toMatchObject({
      status: 'rejected',
      statusReason: 'the input schema is missing',
    });
    const outsider = await h.createOrg();
    expect((await h.request('GET', `/v1/listings/${listing.id}`, { token: outsider.token })).status).toBe(
      404,
    );
  });

  it('lets only reviewers and platform admins see the queue and decide', async () => {
    const { publisher, version } = await submitNewVersion(h);
    expect((await h.request('GET', '/v1/reviews', { token: publisher.token })).status).toBe(403);
    const byPublisher = await h.request('POST', `/v1/reviews/${version.id}/decision`, {
      token: publisher.token,
      body: { decision: 'approve' },
    });
    expect(byPublisher.status).toBe(403);
    expect((await h.request('GET', '/v1/reviews', { token: h.adminToken })).status).toBe(200);
    const unknown = await h.request('POST', '/v1/reviews/00000000-0000-0000-0000-000000000000/decision', {
      token: reviewer,
      body: { decision: 'approve' },
    });
    expect(unknown.status).toBe(404);
    // A decided version leaves the queue at once, while its workflow still publishes it.
    const queued = async () =>
      (await h.request('GET', '/v1/reviews', { token: reviewer })).body.reviews.map(
        (review: { version: { id: string } }) => review.version.id,
      );
    expect(await queued()).toContain(version.id);
    const decided = await h.request('POST', `/v1/reviews/${version.id}/decision`, {
      token: reviewer,
      body: { decision: 'approve' },
    });
    expect(decided.status).toBe(202);
    expect(await queued()).not.toContain(version.id);
  });

  it('keeps a submitted version immutable', async () => {
    const { publisher, listing } = await submitNewVersion(h);
    const edit = await h.request('PUT', `/v1/listings/${listing.id}/versions/1.0.0`, {
      token: publisher.token,
      body: manifest({ description: 'changed' }),
    });
    expect(edit.status).toBe(409);
    const recreate = await h.request('POST', `/v1/listings/${listing.id}/versions`, {
      token: publisher.token,
      body: manifest(),
    });
    expect(recreate.status).toBe(409);
  });
});

describe('publish-review with a short review timeout', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ reviewTimeoutSeconds: 2 });
  });
  afterAll(() => h.stop());

  it('returns the version to draft with a reason when nobody decides, and it can be submitted again', async () => {
    const { publisher, listing, workflowId } = await submitNewVersion(h);
    const result = await h.temporal.workflow.getHandle(workflowId).result();
    expect(result).toEqual({
      phase: 'returned_to_draft',
      reason: expect.stringContaining('no review decision within 2 second(s)'),
    });
    await recordHistory(workflowId, 'publish-review-timeout');
    expect(await versionStatus(h, publisher.token, listing.id)).toMatchObject({
      status: 'draft',
      statusReason: expect.stringContaining('no review decision'),
    });
    const again = await h.request('POST', `/v1/listings/${listing.id}/versions/1.0.0/submit`, {
      token: publisher.token,
    });
    expect(again).toMatchObject({ status: 202, body: { workflowId } });
    await waitFor(
      async () => (await versionStatus(h, publisher.token, listing.id)).status === 'in_review',
      'the second submission in review',
    );
  });
});

describe('publish-review when a step after publication fails', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      activities: () => ({
        promoteLatestVersion: async () => {
          const { ApplicationFailure } = await import('@temporalio/activity');
          throw ApplicationFailure.nonRetryable(
            'injected failure in promoteLatestVersion',
            'InjectedFailure',
          );
        },
      }),
    });
  });
  afterAll(() => h.stop());

  it('undoes the publication and leaves the version hidden, in draft, with the reason', async () => {
    const { publisher, listing, version, workflowId } = await submitNewVersion(h);
    const reviewer = await h.createPlatformKey('reviewer');
    await waitFor(
      async () => (await versionStatus(h, publisher.token, listing.id)).status === 'in_review',
      'in_review',
    );
    await h.request('POST', `/v1/reviews/${version.id}/decision`, {
      token: reviewer,
      body: { decision: 'approve' },
    });

    const failure = await h.temporal.workflow
      .getHandle(workflowId)
      .result()
      .catch((error) => error);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect(failure.cause).toMatchObject({
      type: 'PublicationFailed',
      message: expect.stringContaining('injected failure'),
    });
    await recordHistory(workflowId, 'publish-review-compensated');

    expect(await versionStatus(h, publisher.token, listing.id)).toMatchObject({
      status: 'draft',
      statusReason: 'publication failed and was rolled back',
    });
    const own = await h.request('GET', `/v1/listings/${listing.id}`, { token: publisher.token });
    expect(own.body.latestVersion).toBeNull();
    const consumer = await h.createOrg();
    expect((await h.request('GET', `/v1/listings/${listing.id}`, { token: consumer.token })).status).toBe(
      404,
    );

    const status = await h.request('GET', `/v1/workflows/${encodeURIComponent(workflowId)}`, {
      token: publisher.token,
    });
    expect(status.body).toMatchObject({
      status: 'FAILED',
      failure: expect.stringContaining('publication failed'),
    });
  });
});
