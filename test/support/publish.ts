import { expect } from 'vitest';
import { echoArtifact, echoManifest, uploadArtifact } from './agents.js';
import { listingBody, manifest, type Harness } from './harness.js';
import { waitFor } from './wait-for.js';

/** Creates a listing and publishes version 1.0.0 through the real review workflow; returns the listing. */
export async function publishListing(
  h: Harness,
  input: {
    publisherToken: string;
    reviewerToken: string;
    manifest?: Record<string, unknown>;
    listing?: Record<string, unknown>;
    /** The agent's code for a process version (default: the echo agent's). */
    artifact?: Buffer;
  },
) {
  const listing = await h.request('POST', '/v1/listings', {
    token: input.publisherToken,
    body: listingBody(input.listing),
  });
  expect(listing.status).toBe(201);
  const version = await h.request('POST', `/v1/listings/${listing.body.id}/versions`, {
    token: input.publisherToken,
    body: manifest(input.manifest),
  });
  expect(version.status).toBe(201);
  await uploadCodeIfProcess(h, input.publisherToken, listing.body.id, version.body, input.artifact);
  const submitted = await h.request('POST', `/v1/listings/${listing.body.id}/versions/1.0.0/submit`, {
    token: input.publisherToken,
  });
  await approveSubmission(h, submitted.body.workflowId, input.reviewerToken);
  return listing.body as { id: string; slug: string };
}

/** Publishes a process agent (echo's manifest with overrides) with this artifact; returns the listing. */
export function publishAgent(
  h: Harness,
  input: {
    publisherToken: string;
    reviewerToken: string;
    artifact: Buffer;
    manifest?: Record<string, unknown>;
  },
) {
  return publishListing(h, { ...input, manifest: { ...echoManifest, ...input.manifest } });
}

/** Approves a submitted version as soon as its review accepts a decision, and waits for publication. */
export async function approveSubmission(
  h: Harness,
  workflowId: string,
  reviewerToken: string,
): Promise<void> {
  const versionId = workflowId.replace('publish:', '');
  const decide = () =>
    h.request('POST', `/v1/reviews/${versionId}/decision`, {
      token: reviewerToken,
      body: { decision: 'approve' },
    });
  await waitFor(async () => (await decide()).status === 202, 'the approval');
  await h.temporal.workflow.getHandle(workflowId).result();
}

/** Uploads an agent's code (default: echo's) when the version runs as a process: submitting one needs it. */
export async function uploadCodeIfProcess(
  h: Harness,
  token: string,
  listingId: string,
  version: { version: string; manifest: { runtime: { kind: string } } },
  artifact: Buffer = echoArtifact(),
): Promise<void> {
  if (version.manifest.runtime.kind !== 'process') return;
  const upload = await uploadArtifact(h, token, listingId, artifact, version.version);
  expect(upload.status).toBe(200);
}
