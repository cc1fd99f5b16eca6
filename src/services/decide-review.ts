import { WorkflowNotFoundError } from '@temporalio/client';
import { withTransaction } from '../db/pool.js';
import { recordAudit } from '../domain/audit/repository.js';
import type { Principal } from '../domain/auth/principal.js';
import { findListing, findVersionById, recordReviewDecision } from '../domain/catalog/repository.js';
import { conflict, notFound } from '../domain/errors.js';
import { inTrace } from '../observability/tracing.js';
import { publishWorkflowId, reviewDecisionSignal } from '../workflows/publish-review.js';
import type { ServiceDeps } from './deps.js';

/**
 * A reviewer's decision on a version in review: recorded, audited and signalled to
 * `publish:<versionId>` in one transaction, so a decision the workflow cannot receive is not recorded.
 */
export async function decideReview(
  deps: ServiceDeps,
  principal: Principal,
  input: { versionId: string; decision: 'approve' | 'reject'; reason?: string },
): Promise<{ workflowId: string }> {
  const version = await findVersionById(deps.db, input.versionId);
  if (!version) throw notFound('version');
  const listing = await findListing(deps.db, version.listingId);
  const workflowId = publishWorkflowId(version.id);
  await withTransaction(deps.db, async (tx) => {
    const recorded = await recordReviewDecision(tx, {
      versionId: version.id,
      decision: input.decision,
      reviewerKeyId: principal.keyId,
    });
    if (!recorded) {
      throw conflict(
        `version ${version.version} is not awaiting a review decision (it is ${version.status})`,
      );
    }
    await recordAudit(tx, {
      orgId: listing?.orgId ?? null,
      actor: principal,
      action: input.decision === 'approve' ? 'review.approved' : 'review.rejected',
      subjectType: 'version',
      subjectId: version.id,
      reason: input.reason ?? null,
    });
    try {
      await inTrace(deps.traceContext, () =>
        deps.temporal.workflow.getHandle(workflowId).signal(reviewDecisionSignal, {
          decision: input.decision,
          reason: input.reason ?? null,
          reviewerKeyId: principal.keyId,
        }),
      );
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) {
        throw conflict('the review is no longer running; the version was not decided');
      }
      throw error;
    }
  });
  return { workflowId };
}
