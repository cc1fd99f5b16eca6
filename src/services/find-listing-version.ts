import type { Queryable } from '../db/pool.js';
import { findListing, findVersion, type Listing, type ListingVersion } from '../domain/catalog/repository.js';
import { notFound } from '../domain/errors.js';

/** A listing (id or slug) and one of its versions, with no access check (routes declare it); 404 when either is missing. */
export async function findListingVersion(
  db: Queryable,
  input: { listing: string; version: string },
): Promise<{ listing: Listing; version: ListingVersion }> {
  const listing = await findListing(db, input.listing);
  if (!listing) throw notFound('listing');
  const version = await findVersion(db, listing.id, input.version);
  if (!version) throw notFound('version');
  return { listing, version };
}
