import { listOwnListings } from '../domain/catalog/repository.js';
import type { ServiceDeps } from './deps.js';
import { renderJson, type RenderedJson } from './rendered-json.js';

/**
 * An organisation's own listings (every status), newest first, serialised as GET /v1/listings
 * answers them: from the cache when held there (dropped when PostgreSQL announces a change to one
 * of the organisation's listings, migration 017), else in one query.
 */
export async function renderOwnListings(
  deps: Pick<ServiceDeps, 'db' | 'ownListings'>,
  orgId: string,
): Promise<RenderedJson> {
  const cache = deps.ownListings;
  const cached = cache?.get(orgId);
  if (cached) return cached;
  const snapshot = cache?.snapshot() ?? 0;
  const rendered = renderJson({ listings: await listOwnListings(deps.db, orgId) });
  cache?.set(orgId, rendered, snapshot);
  return rendered;
}
