import { findArtifactInfo } from '../domain/catalog/artifacts.js';
import { findListing, findVersion, transitionVersion } from '../domain/catalog/repository.js';
import type { Principal } from '../domain/auth/principal.js';
import { AppError, conflict, notFound } from '../domain/errors.js';
import { assertDeclarableTools } from '../domain/gateway/declared-tools.js';
import { inTrace } from '../observability/tracing.js';
import { startOwnedWorkflow } from '../temporal/start-workflow.js';
import { listingIdKey, listingSlugKey, publisherOrgKey } from '../workflows/search-attribute-keys.js';
import { publishReview, publishWorkflowId } from '../workflows/publish-review.js';
import { workflowStarter, type ServiceDeps } from './deps.js';

/**
 * Submits a draft version for review: it becomes immutable (in_review) at once and
 * `publish:<versionId>` starts. Safe to repeat while the review runs; if the workflow cannot be
 * started, the version goes back to draft so it can be submitted again.
 */
export async function submitVersion(
  deps: ServiceDeps,
  principal: Principal,
  input: { listing: string; version: string },
): Promise<{ workflowId: string }> {
  const listing = await findListing(deps.db, input.listing);
  if (!listing) throw notFound('listing');
  const version = await findVersion(deps.db, listing.id, input.version);
  if (!version) throw notFound('version');
  if (version.status !== 'draft' && version.status !== 'in_review') {
    throw conflict(`version ${version.version} is ${version.status}; only a draft can be submitted`);
  }
  // The catalog may have changed since the draft was written.
  if (version.status === 'draft') await assertDeclarableTools(deps.db, version.manifest);
  // A process agent is its code: without it, review would approve something that cannot run.
  if (
    version.status === 'draft' &&
    version.manifest.runtime.kind === 'process' &&
    !(await findArtifactInfo(deps.db, version.id))
  ) {
    throw new AppError(
      'rule_violation',
      `version ${version.version} runs as a process but has no code: upload its artifact with PUT /v1/listings/${listing.slug}/versions/${version.version}/artifact, then submit`,
    );
  }
  const submittedNow =
    version.status === 'draft' &&
    (await transitionVersion(deps.db, { versionId: version.id, from: ['draft'], to: 'in_review' })) !== null;
  const workflowId = publishWorkflowId(version.id);
  try {
    await startOwnedWorkflow(workflowStarter(deps), {
      workflow: publishReview,
      workflowId,
      kind: 'publish-review',
      ownerOrgId: listing.orgId,
      arg: {
        versionId: version.id,
        listingId: listing.id,
        reviewTimeoutSeconds: deps.config.reviewTimeoutSeconds,
      },
      searchAttributes: [
        { key: publisherOrgKey, value: listing.orgId },
        { key: listingIdKey, value: listing.id },
        { key: listingSlugKey, value: listing.slug },
      ],
    });
  } catch (error) {
    if (submittedNow) {
      await transitionVersion(deps.db, {
        versionId: version.id,
        from: ['in_review'],
        to: 'draft',
        reason: 'the review could not be started; submit again',
      });
    }
    throw error;
  }
  inTrace(deps.traceContext, () =>
    deps.logger.info({ workflowId, keyId: principal.keyId }, 'publish-review started'),
  );
  return { workflowId };
}
