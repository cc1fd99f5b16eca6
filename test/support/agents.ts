// Real agents' code (artifacts) for tests, and installing a published agent through the API.
import { readFile } from 'node:fs/promises';
import { expect } from 'vitest';
import { packDirectory } from './artifacts.js';
import type { Harness } from './harness.js';

/** The echo agent's manifest, as a publisher would send it. */
export const echoManifest = JSON.parse(
  await readFile(new URL('../../agents/echo/manifest.json', import.meta.url), 'utf8'),
);

/** The echo agent's code, packed as an artifact. */
export const echoArtifact = () => packDirectory(new URL('../../agents/echo', import.meta.url).pathname);

/** Uploads a version's artifact (default 1.0.0); returns the response. */
export async function uploadArtifact(
  h: Harness,
  token: string,
  listingId: string,
  artifact: Buffer,
  version = '1.0.0',
) {
  const response = await h.app.request(`/v1/listings/${listingId}/versions/${version}/artifact`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/gzip' },
    body: new Uint8Array(artifact),
  });
  return { status: response.status, body: await response.json() };
}

/** Installs a listing for a new (or the given) consumer organisation and waits until it is active. */
export async function installAgent(
  h: Harness,
  slug: string,
  options: { consumer?: { org: { id: string }; token: string }; body?: Record<string, unknown> } = {},
) {
  const consumer = options.consumer ?? (await h.createOrg());
  const started = await h.request('POST', '/v1/installations', {
    token: consumer.token,
    body: { listing: slug, ...options.body },
  });
  expect(started.status).toBe(202);
  await h.temporal.workflow.getHandle(started.body.workflowId).result();
  return { consumer, installationId: started.body.installationId as string };
}
