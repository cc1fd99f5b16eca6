import { createPublishReviewActivities, type PublishReviewActivityDeps } from './publish-review.js';

/** Everything activities may use: clients built once at worker start. */
export type ActivityDeps = PublishReviewActivityDeps;

/** Builds every activity the worker registers. */
export function createActivities(deps: ActivityDeps) {
  return { ...createPublishReviewActivities(deps) };
}

/** The full set of activities, for workflows' type-only imports. */
export type Activities = ReturnType<typeof createActivities>;
