import { updateDraftVersion, type ListingVersion } from '../domain/catalog/repository.js';
import type { Manifest } from '../domain/catalog/schemas.js';
import { AppError } from '../domain/errors.js';
import { assertDeclarableTools } from '../domain/gateway/declared-tools.js';
import type { ServiceDeps } from './deps.js';
import { findListingVersion } from './find-listing-version.js';

/** Replaces a draft version's manifest; 409 once submitted, 400 when the manifest names another version. */
export async function editDraftVersion(
  deps: ServiceDeps,
  input: { listing: string; version: string; manifest: Manifest },
): Promise<ListingVersion> {
  const { version } = await findListingVersion(deps.db, input);
  if (input.manifest.version !== input.version) {
    throw new AppError('invalid_request', 'the manifest version must match the version in the path', [
      { path: 'json.version', message: `must be ${input.version}` },
    ]);
  }
  await assertDeclarableTools(deps.db, input.manifest);
  return updateDraftVersion(deps.db, version.id, input.manifest);
}
