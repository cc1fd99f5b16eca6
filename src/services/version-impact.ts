import semver from 'semver';
import { z } from 'zod';
import type { Queryable } from '../db/pool.js';
import { computeAdvisory, riskSchema } from '../domain/catalog/advisory.js';
import { listVersions } from '../domain/catalog/repository.js';
import type { ServiceDeps } from './deps.js';
import { findListingVersion } from './find-listing-version.js';

/** What retiring a version would touch: the installations pinned to it and where they could move. */
export const versionImpactSchema = z.object({
  listingId: z.uuid(),
  version: z.string(),
  status: z.string(),
  pinnedInstallations: z.number().int().meta({
    description: 'Installations running this version now (provisioning or active), of every organisation',
  }),
  activeInstallations: z.number().int(),
  moveTo: z.array(z.object({ version: z.string(), risk: riskSchema, reasons: z.array(z.string()) })).meta({
    description: 'The published versions they could move to, newest first, each with its advisory risk',
  }),
});
/** A version's impact. */
export type VersionImpact = z.infer<typeof versionImpactSchema>;

/** How many installations of every organisation run a version: live ones and active ones. */
export async function countPinnedInstallations(
  db: Queryable,
  versionId: string,
): Promise<{ pinned: number; active: number }> {
  const { rows } = await db.query(
    `SELECT count(*) FILTER (WHERE status IN ('provisioning', 'active'))::int AS pinned,
            count(*) FILTER (WHERE status = 'active')::int AS active
     FROM installations WHERE version_id = $1`,
    [versionId],
  );
  return { pinned: rows[0].pinned, active: rows[0].active };
}

/** The publisher's view of a version's impact (counts only: consumers stay anonymous to publishers). */
export async function versionImpact(
  deps: Pick<ServiceDeps, 'db'>,
  input: { listing: string; version: string },
): Promise<VersionImpact> {
  const { listing, version } = await findListingVersion(deps.db, input);
  const counts = await countPinnedInstallations(deps.db, version.id);
  const candidates = (await listVersions(deps.db, listing.id))
    .filter((candidate) => candidate.status === 'published' && candidate.id !== version.id)
    .sort((a, b) => semver.rcompare(a.version, b.version));
  return {
    listingId: listing.id,
    version: version.version,
    status: version.status,
    pinnedInstallations: counts.pinned,
    activeInstallations: counts.active,
    moveTo: candidates.map((candidate) => {
      const advisory = computeAdvisory(version.manifest, candidate.manifest);
      return { version: candidate.version, risk: advisory.risk, reasons: advisory.reasons };
    }),
  };
}
