import { withTransaction } from '../db/pool.js';
import { recordAudit } from '../domain/audit/repository.js';
import type { Principal } from '../domain/auth/principal.js';
import { storeArtifact } from '../domain/catalog/artifacts.js';
import { AppError, conflict } from '../domain/errors.js';
import { inspectArtifact } from '../runtime/artifacts/inspect-artifact.js';
import type { ServiceDeps } from './deps.js';
import { findListingVersion } from './find-listing-version.js';

/**
 * Stores the code (tar.gz) of a draft process version once it passes inspection (size, entries,
 * no links or escapes), recording its sha256, and audits it. Immutable once the version is submitted.
 */
export async function uploadArtifact(
  deps: ServiceDeps,
  principal: Principal,
  input: { listing: string; version: string; archive: Uint8Array },
) {
  const { listing, version } = await findListingVersion(deps.db, input);
  if (version.status !== 'draft') throw conflict('the artifact is immutable once the version is submitted');
  if (version.manifest.runtime.kind !== 'process') {
    throw new AppError('rule_violation', `a ${version.manifest.runtime.kind} version runs no uploaded code`);
  }
  if (input.archive.byteLength === 0)
    throw new AppError('invalid_request', 'send the tar.gz as the request body');
  const { sha256 } = await inspectArtifact(input.archive);
  return withTransaction(deps.db, async (tx) => {
    const info = await storeArtifact(tx, { versionId: version.id, sha256, content: input.archive });
    await recordAudit(tx, {
      orgId: listing.orgId,
      actor: principal,
      action: 'version.artifact_uploaded',
      subjectType: 'version',
      subjectId: version.id,
      details: { sha256, sizeBytes: input.archive.byteLength },
    });
    return info;
  });
}
