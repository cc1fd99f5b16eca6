import { expect } from 'vitest';
import { echoArtifact, echoManifest, uploadArtifact } from './agents.js';
import { listingBody, manifest, type Harness } from './harness.js';
import { approveReview, publishThroughReview } from './seed.js';

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
  const body = manifest(input.manifest);
  const listing = await publishThroughReview(h, {
    publisherToken: input.publisherToken,
    reviewerToken: input.reviewerToken,
    listing: listingBody(input.listing),
    manifest: body,
    artifact: body.runtime.kind === 'process' ? (input.artifact ?? echoArtifact()) : undefined,
  });
  return { id: listing.id, slug: listing.slug };
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
export const approveSubmission = (h: Harness, workflowId: string, reviewerToken: string): Promise<void> =>
  approveReview(h, workflowId, reviewerToken);

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
