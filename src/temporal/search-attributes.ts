import type { SearchAttributePair } from '@temporalio/common';
import type { Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import type { Logger } from '../logger.js';
import {
  installationIdKey,
  listingIdKey,
  listingSlugKey,
  publisherOrgKey,
  tenantIdKey,
} from '../workflows/search-attribute-keys.js';

/** The search attributes of a workflow about one of a tenant's installations. */
export function installationSearchAttributes(installation: {
  id: string;
  orgId: string;
  listingId: string;
}): SearchAttributePair[] {
  return [
    { key: tenantIdKey, value: [installation.orgId] },
    { key: listingIdKey, value: installation.listingId },
    { key: installationIdKey, value: installation.id },
  ];
}

const allKeys = [publisherOrgKey, listingIdKey, listingSlugKey, tenantIdKey, installationIdKey];
const { IndexedValueType } = proto.temporal.api.enums.v1;
const indexedTypes = {
  KEYWORD: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  KEYWORD_LIST: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
} as const;
const indexedTypeOf = (key: (typeof allKeys)[number]) => indexedTypes[key.type as keyof typeof indexedTypes];

/**
 * Registers Bazaar's custom search attributes on the namespace; already registered is fine. An
 * attribute registered earlier with another type (BazaarTenantId was a single keyword before billing
 * batches) is re-registered with its type today: workflows recorded before lose that one filter.
 */
export async function ensureSearchAttributes(
  connection: Connection,
  namespace: string,
  logger?: Logger,
): Promise<void> {
  const existing =
    (await connection.operatorService.listSearchAttributes({ namespace })).customAttributes ?? {};
  const retyped = allKeys.filter((key) => key.name in existing && existing[key.name] !== indexedTypeOf(key));
  if (retyped.length > 0) {
    const names = retyped.map((key) => key.name);
    await connection.operatorService.removeSearchAttributes({ namespace, searchAttributes: names });
    logger?.warn({ searchAttributes: names }, 'search attributes re-registered with a new type');
  }
  const missing = allKeys.filter((key) => !(key.name in existing) || retyped.includes(key));
  if (missing.length === 0) return;
  const searchAttributes = Object.fromEntries(missing.map((key) => [key.name, indexedTypeOf(key)]));
  try {
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes });
  } catch (error) {
    // Another process registering the same attributes concurrently is not a problem.
    if (!/already exists/i.test((error as Error).message)) throw error;
  }
}
