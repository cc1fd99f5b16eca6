import { nonRetryable } from '../domain/failures.js';
import type pg from 'pg';
import { withTransaction, type Db } from '../db/pool.js';
import { recordAudit, type AuditAction } from '../domain/audit/repository.js';
import {
  findListing,
  findVersionById,
  refreshLatestVersion,
  transitionVersion,
  type ListingVersion,
} from '../domain/catalog/repository.js';
import { computeAdvisory } from '../domain/catalog/advisory.js';
import { manifestSchema, type Manifest, type VersionStatus } from '../domain/catalog/schemas.js';
import { recordEvent } from '../domain/events/repository.js';
import { listInstallationsOlderThan } from '../domain/installations/repository.js';
import type { Logger } from '../logger.js';
import type { AddressPolicy, HostLookup } from '../runtime/remote/resolve-endpoint.js';
import { endpointRefusal } from '../runtime/remote/review-endpoint.js';

// How the publish-review workflow words a return to draft after failed checks (src/workflows/publish-review.ts).
const CHECKS_FAILED_PREFIX = 'automated checks failed:';

/** What the publish-review activities need. */
export interface PublishReviewActivityDeps {
  db: Db;
  logger: Logger;
  /** The addresses remote endpoints may resolve to, as the remote runtime enforces them. */
  remoteEndpoints: { policy: AddressPolicy; lookup?: HostLookup };
}

/** The activities of the publish-review workflow, built from injected clients. */
export type PublishReviewActivities = ReturnType<typeof createPublishReviewActivities>;

/** Builds the publish-review activities. Each is idempotent: a retry after success changes nothing. */
export function createPublishReviewActivities({ db, logger, remoteEndpoints }: PublishReviewActivityDeps) {
  async function loadVersion(versionId: string): Promise<ListingVersion> {
    const version = await findVersionById(db, versionId);
    if (!version) throw nonRetryable('VersionNotFound', `version ${versionId} does not exist`);
    return version;
  }

  /**
   * Moves a version between statuses; a retry that finds it already moved is success. `onMoved` runs
   * in the move's transaction only when this call moved it (the events it reports, recorded once).
   */
  async function move(
    versionId: string,
    from: VersionStatus[],
    to: VersionStatus,
    reason?: string | null,
    onMoved?: (tx: pg.PoolClient, version: ListingVersion) => Promise<void>,
  ) {
    const moved = await withTransaction(db, async (tx) => {
      const version = await transitionVersion(tx, { versionId, from, to, reason });
      if (version && onMoved) await onMoved(tx, version);
      return version;
    });
    if (moved) return moved;
    const current = await loadVersion(versionId);
    if (current.status === to) return current;
    throw nonRetryable('InvalidVersionStatus', `version is ${current.status}, cannot become ${to}`);
  }

  async function auditOnPublisher(
    version: ListingVersion,
    action: AuditAction,
    actorKeyId: string | null,
    reason?: string | null,
  ) {
    const listing = await findListing(db, version.listingId);
    await recordAudit(db, {
      orgId: listing?.orgId ?? null,
      actor: actorKeyId ? { keyId: actorKeyId, role: 'reviewer' } : null,
      action,
      subjectType: 'version',
      subjectId: version.id,
      reason,
      details: { listingId: version.listingId, version: version.version },
    });
  }

  /** The publisher organisation of a version's listing. */
  async function publisherOf(tx: pg.PoolClient, version: ListingVersion): Promise<string> {
    const listing = await findListing(tx, version.listingId);
    if (!listing)
      throw nonRetryable('VersionNotFound', `the listing of version ${version.id} does not exist`);
    return listing.orgId;
  }

  const versionData = (version: ListingVersion) => ({
    listingId: version.listingId,
    versionId: version.id,
    version: version.version,
  });

  return {
    /**
     * Automated checks on a submitted version; returns the problems found (empty when it passes):
     * the manifest is valid, and a remote endpoint is one the runtime would call.
     */
    async checkVersion({ versionId }: { versionId: string }): Promise<string[]> {
      const version = await loadVersion(versionId);
      const parsed = manifestSchema.safeParse(version.manifest);
      if (!parsed.success)
        return parsed.error.issues.map(
          (issue) => `${issue.path.join('.') || '(manifest)'}: ${issue.message}`,
        );
      const refusal = await endpointRefusal(parsed.data, remoteEndpoints.policy, remoteEndpoints.lookup);
      return refusal ? [`runtime.endpoint: ${refusal}`] : [];
    },

    /** Returns an in-review version to draft with the reason (review timed out, checks failed). */
    async returnVersionToDraft({ versionId, reason }: { versionId: string; reason: string }): Promise<void> {
      // The workflow sends a version back for two reasons; only the timeout is an event (checks failing
      // happens right after submission, which the publisher is watching).
      const timedOut = !reason.startsWith(CHECKS_FAILED_PREFIX);
      // Only from in_review, so a retry (already draft) records no second event.
      const version = await move(versionId, ['in_review'], 'draft', reason, async (tx, moved) => {
        if (!timedOut) return;
        await recordEvent(tx, {
          orgId: await publisherOf(tx, moved),
          type: 'version.review_timed_out',
          data: versionData(moved),
        });
      });
      await auditOnPublisher(version, 'version.returned_to_draft', null, reason);
    },

    /** Rejects an in-review version with the reviewer's reason. */
    async rejectVersion(input: { versionId: string; reason: string; reviewerKeyId: string }): Promise<void> {
      const version = await move(
        input.versionId,
        ['in_review'],
        'rejected',
        input.reason,
        async (tx, moved) => {
          await recordEvent(tx, {
            orgId: await publisherOf(tx, moved),
            type: 'version.rejected',
            data: { ...versionData(moved), reason: input.reason },
          });
        },
      );
      logger.info({ versionId: input.versionId }, 'version rejected');
      await auditOnPublisher(version, 'version.rejected', input.reviewerKeyId, input.reason);
    },

    /** Publishes an approved version: consumers can see and install it from now on. */
    async publishVersion(input: {
      versionId: string;
      reviewerKeyId: string;
      reason: string | null;
    }): Promise<void> {
      const version = await move(
        input.versionId,
        ['in_review'],
        'published',
        input.reason,
        async (tx, moved) => {
          await recordEvent(tx, {
            orgId: await publisherOf(tx, moved),
            type: 'version.published',
            data: versionData(moved),
          });
          // Every consumer pinned to an older version learns a newer one exists, once per installation.
          const older = await listInstallationsOlderThan(tx, {
            listingId: moved.listingId,
            version: moved.version,
          });
          const manifests = new Map<string, Manifest>();
          for (const installation of older) {
            if (!manifests.has(installation.versionId)) {
              const pinned = await findVersionById(tx, installation.versionId);
              manifests.set(installation.versionId, pinned!.manifest);
            }
            const advisory = computeAdvisory(manifests.get(installation.versionId)!, moved.manifest);
            await recordEvent(tx, {
              orgId: installation.orgId,
              type: 'installation.upgrade_available',
              data: {
                installationId: installation.id,
                listingId: moved.listingId,
                fromVersion: installation.version,
                toVersion: moved.version,
                risk: advisory.risk,
              },
            });
          }
        },
      );
      logger.info({ versionId: input.versionId }, 'version published');
      await auditOnPublisher(version, 'version.published', input.reviewerKeyId, input.reason);
    },

    /** Points the listing's default version at its highest published version. */
    async promoteLatestVersion({ listingId }: { listingId: string }): Promise<string | null> {
      return refreshLatestVersion(db, listingId);
    },

    /** Compensation for publishVersion: back to draft, and the listing's default version recomputed. */
    async revertPublication(input: { versionId: string; listingId: string; reason: string }): Promise<void> {
      await withTransaction(db, async (client) => {
        const moved = await transitionVersion(client, {
          versionId: input.versionId,
          from: ['in_review', 'published'],
          to: 'draft',
          reason: input.reason,
        });
        await refreshLatestVersion(client, input.listingId);
        if (moved) logger.warn({ versionId: input.versionId }, 'publication reverted');
      });
    },
  };
}
