import { nonRetryable } from '../domain/failures.js';
import { condition, defineQuery, defineSignal, proxyActivities, setHandler } from '@temporalio/workflow';
import type { PublishReviewActivities } from '../activities/publish-review.js';
import type { SearchActivities } from '../activities/search.js';
import { createSaga, failureWithCleanup, rootCauseMessage, type Saga } from './saga.js';

/** What starts a review: the version, and how long to wait for a reviewer. */
export interface PublishReviewInput {
  versionId: string;
  listingId: string;
  reviewTimeoutSeconds: number;
}

/** A reviewer's decision, delivered by signal. */
export interface ReviewDecision {
  decision: 'approve' | 'reject';
  reason: string | null;
  reviewerKeyId: string;
}

/** Where a review stands; returned by the state query and as the workflow result. */
export interface PublishReviewState {
  phase:
    'checking' | 'awaiting_review' | 'publishing' | 'published' | 'rejected' | 'returned_to_draft' | 'failed';
  reason?: string;
  decision?: ReviewDecision['decision'];
}

/** Signal carrying the reviewer's decision. */
export const reviewDecisionSignal = defineSignal<[ReviewDecision]>('reviewDecision');
/** Query reporting the current PublishReviewState. */
export const publishReviewStateQuery = defineQuery<PublishReviewState>('state');

// Database steps are short; retry transient failures for a few minutes, never permanent ones.
const activities = proxyActivities<PublishReviewActivities>({
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    maximumAttempts: 8,
  },
});

// Embedding loads a model on first use; give it longer than a database step.
const searchActivities = proxyActivities<SearchActivities>({
  startToCloseTimeout: '2 minutes',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    maximumAttempts: 8,
  },
});

/** The id of a version's publish-review workflow. */
export const publishWorkflowId = (versionId: string) => `publish:${versionId}`;

/** Takes a submitted version through automated checks and human review to publication. */
export async function publishReview(input: PublishReviewInput): Promise<PublishReviewState> {
  const { versionId, listingId } = input;
  let state: PublishReviewState = { phase: 'checking' };
  let decision: ReviewDecision | undefined;
  setHandler(publishReviewStateQuery, () => state);
  setHandler(reviewDecisionSignal, (received) => {
    decision ??= received; // the first decision wins; the API refuses later ones
  });

  const problems = await activities.checkVersion({ versionId });
  if (problems.length > 0) {
    const reason = `automated checks failed: ${problems.join('; ')}`;
    await activities.returnVersionToDraft({ versionId, reason });
    return (state = { phase: 'returned_to_draft', reason });
  }

  // Undo steps for what this review has changed so far, newest first.
  const saga = createSaga();
  // Indexed as hidden before the wait, so embedding is done by the time a reviewer decides; it
  // becomes searchable only when the version is published and promoted.
  await saga.step(
    () => searchActivities.indexVersionForSearch({ versionId }),
    () => searchActivities.unindexVersion({ versionId, listingId }),
  );

  // The submit request already moved the version to in_review (making it immutable at once).
  state = { phase: 'awaiting_review' };
  await condition(() => decision !== undefined, input.reviewTimeoutSeconds * 1000);
  if (decision === undefined) {
    const reason = `no review decision within ${formatSeconds(input.reviewTimeoutSeconds)}; submit again when ready`;
    await activities.returnVersionToDraft({ versionId, reason });
    state = { phase: 'returned_to_draft', reason };
    await undoOrFail(saga);
    return state;
  }

  if (decision.decision === 'reject') {
    const reason = decision.reason ?? 'rejected by reviewer';
    await activities.rejectVersion({ versionId, reason, reviewerKeyId: decision.reviewerKeyId });
    state = { phase: 'rejected', reason, decision: 'reject' };
    await undoOrFail(saga);
    return state;
  }

  state = { phase: 'publishing', decision: 'approve' };
  try {
    // If publishVersion's outcome is unclear, undoing it is still right: the undo is registered first.
    const { reviewerKeyId, reason } = decision;
    await saga.step(
      () => activities.publishVersion({ versionId, reviewerKeyId, reason }),
      () =>
        activities.revertPublication({
          versionId,
          listingId,
          reason: 'publication failed and was rolled back',
        }),
    );
    await activities.promoteLatestVersion({ listingId });
  } catch (error) {
    const reason = `publication failed: ${rootCauseMessage(error)}`;
    state = { phase: 'failed', reason, decision: 'approve' };
    throw nonRetryable('PublicationFailed', failureWithCleanup(reason, await saga.compensate()), {
      cause: error as Error,
    });
  }
  return (state = { phase: 'published', decision: 'approve' });
}

/** Runs the undos after a review ends unpublished; a failed undo fails the workflow, visibly. */
async function undoOrFail(saga: Saga): Promise<void> {
  const undoErrors = await saga.compensate();
  if (undoErrors.length > 0) {
    throw nonRetryable('CleanupFailed', `cleaning up search data failed: ${undoErrors.join('; ')}`);
  }
}

function formatSeconds(seconds: number): string {
  if (seconds % 86_400 === 0) return `${seconds / 86_400} day(s)`;
  if (seconds % 3600 === 0) return `${seconds / 3600} hour(s)`;
  return `${seconds} second(s)`;
}
