import type { VectorFilter, VectorPayload } from './vector-index.js';

/** Whether a payload passes a filter, access rule included (the in-process reference semantics). */
export function matchesFilter(payload: VectorPayload, filter: VectorFilter): boolean {
  if (!filter.includeUnpublished && !payload.published) return false;
  if (payload.visibility !== 'public' && payload.orgId !== filter.viewerOrgId) return false;
  if (filter.category !== undefined && payload.category !== filter.category) return false;
  if (filter.pricingModel !== undefined && payload.pricingModel !== filter.pricingModel) return false;
  if (filter.minRating !== undefined && (payload.rating === null || payload.rating < filter.minRating))
    return false;
  if (filter.tags !== undefined && !filter.tags.every((tag) => payload.tags.includes(tag))) return false;
  return true;
}
