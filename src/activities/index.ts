import { createBillingActivities, type BillingActivityDeps } from './billing.js';
import { createExecuteActivities, type ExecuteActivityDeps } from './execute.js';
import { createProvisionActivities, type ProvisionActivityDeps } from './provision.js';
import { createPublishReviewActivities, type PublishReviewActivityDeps } from './publish-review.js';
import { createSearchActivities, type SearchActivityDeps } from './search.js';
import { createWebhookActivities, type WebhookActivityDeps } from './webhooks.js';

/** Everything activities may use: clients built once at worker start. */
export type ActivityDeps = PublishReviewActivityDeps &
  SearchActivityDeps &
  ProvisionActivityDeps &
  ExecuteActivityDeps &
  BillingActivityDeps &
  WebhookActivityDeps;

/** Builds every activity the worker registers. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createPublishReviewActivities(deps),
    ...createSearchActivities(deps),
    ...createProvisionActivities(deps),
    ...createExecuteActivities(deps),
    ...createBillingActivities(deps),
    ...createWebhookActivities(deps),
  };
}

/** The full set of activities, for workflows' type-only imports. */
export type Activities = ReturnType<typeof createActivities>;
