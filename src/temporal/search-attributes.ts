import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributePair } from '@temporalio/common';
import type { Connection } from '@temporalio/client';
import proto from '@temporalio/proto';

/** The publisher organisation a workflow concerns: filter with BazaarPublisherOrgId = '<orgId>'. */
export const publisherOrgKey = defineSearchAttributeKey('BazaarPublisherOrgId', SearchAttributeType.KEYWORD);
/** The listing a workflow concerns (id). */
export const listingIdKey = defineSearchAttributeKey('BazaarListingId', SearchAttributeType.KEYWORD);
/** The listing a workflow concerns (slug, easier to type in the Web UI). */
export const listingSlugKey = defineSearchAttributeKey('BazaarListingSlug', SearchAttributeType.KEYWORD);

/** The consumer organisation (tenant) a workflow concerns, e.g. the one installing. */
export const tenantIdKey = defineSearchAttributeKey('BazaarTenantId', SearchAttributeType.KEYWORD);
/** The installation a workflow concerns. */
export const installationIdKey = defineSearchAttributeKey(
  'BazaarInstallationId',
  SearchAttributeType.KEYWORD,
);

/** The search attributes of a workflow about one of a tenant's installations. */
export function installationSearchAttributes(installation: {
  id: string;
  orgId: string;
  listingId: string;
}): SearchAttributePair[] {
  return [
    { key: tenantIdKey, value: installation.orgId },
    { key: listingIdKey, value: installation.listingId },
    { key: installationIdKey, value: installation.id },
  ];
}

const allKeys = [publisherOrgKey, listingIdKey, listingSlugKey, tenantIdKey, installationIdKey];

/** Registers Bazaar's custom search attributes on the namespace; already registered is fine. */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = allKeys.filter((key) => !(key.name in (existing.customAttributes ?? {})));
  if (missing.length === 0) return;
  const searchAttributes = Object.fromEntries(
    missing.map((key) => [key.name, proto.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD]),
  );
  try {
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes });
  } catch (error) {
    // Another process registering the same attributes concurrently is not a problem.
    if (!/already exists/i.test((error as Error).message)) throw error;
  }
}
