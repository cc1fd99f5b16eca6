// Bazaar's custom search attributes, as keys both the API (when starting workflows) and workflow code
// (when starting children) can use: only @temporalio/common, so workflows may import it as a value.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** The publisher organisation a workflow concerns: filter with BazaarPublisherOrgId = '<orgId>'. */
export const publisherOrgKey = defineSearchAttributeKey('BazaarPublisherOrgId', SearchAttributeType.KEYWORD);
/** The listing a workflow concerns (id). */
export const listingIdKey = defineSearchAttributeKey('BazaarListingId', SearchAttributeType.KEYWORD);
/** The listing a workflow concerns (slug, easier to type in the Web UI). */
export const listingSlugKey = defineSearchAttributeKey('BazaarListingSlug', SearchAttributeType.KEYWORD);

/**
 * The consumer organisations (tenants) a workflow concerns: one for an installation's workflows, each
 * tenant of the batch for a billing batch. A keyword list, so `BazaarTenantId = '<orgId>'` finds both.
 */
export const tenantIdKey = defineSearchAttributeKey('BazaarTenantId', SearchAttributeType.KEYWORD_LIST);
/** The installation a workflow concerns. */
export const installationIdKey = defineSearchAttributeKey(
  'BazaarInstallationId',
  SearchAttributeType.KEYWORD,
);
