import { z } from '@hono/zod-openapi';
import { orgRoleSchema, platformRoleSchema } from '../domain/auth/principal.js';
import { listingStatsSchema } from '../domain/catalog/listing-stats.js';
import { manifestSchema, versionStatusSchema, visibilitySchema } from '../domain/catalog/schemas.js';

/** An organisation. */
export const organizationSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    status: z.enum(['active', 'suspended']).openapi({
      description: 'A suspended organisation can read its data but neither install nor invoke agents',
    }),
    statusReason: z.string().nullable(),
    createdAt: z.iso.datetime(),
  })
  .openapi('Organization');

/** An API key's metadata; the secret is never shown after creation. */
export const apiKeySchema = z
  .object({
    id: z.string(),
    orgId: z.uuid().nullable(),
    role: z.union([orgRoleSchema, platformRoleSchema]),
    name: z.string(),
    createdAt: z.iso.datetime(),
    revokedAt: z.iso.datetime().nullable(),
  })
  .openapi('ApiKey');

/** A newly issued key: `token` is shown this once. */
export const issuedKeySchema = z
  .object({ key: apiKeySchema, token: z.string().openapi({ description: 'Shown once; store it now.' }) })
  .openapi('IssuedKey');

/** One version of a listing. */
export const versionSchema = z
  .object({
    id: z.uuid(),
    listingId: z.uuid(),
    version: z.string(),
    status: versionStatusSchema,
    statusReason: z.string().nullable(),
    manifest: manifestSchema,
    changelog: z
      .string()
      .nullable()
      .openapi({ description: "The manifest's changelog: what this version changes" }),
    submission: z.number().int().openapi({ description: 'How many times it has been submitted for review' }),
    decision: z.enum(['approve', 'reject']).nullable(),
    decidedAt: z.iso.datetime().nullable(),
    submittedAt: z.iso.datetime().nullable(),
    publishedAt: z.iso.datetime().nullable(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .openapi('Version');

/** A listing. */
export const listingSchema = z
  .object({
    id: z.uuid(),
    orgId: z.uuid(),
    slug: z.string(),
    name: z.string(),
    category: z.string(),
    tags: z.array(z.string()),
    visibility: visibilitySchema,
    latestVersion: z.string().nullable(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .openapi('Listing');

/** A listing with the versions the caller may see and its trust signals. */
/** A tool of the catalog as any key sees it (GET /v1/tools, and on listings). */
export const catalogToolSchema = z
  .object({
    name: z.string(),
    kind: z.enum(['llm', 'http']),
    description: z.string(),
    credentialName: z.string().openapi({
      description: 'The consumer credential the gateway uses upstream; never given to the agent',
    }),
    models: z.array(z.string()).optional().openapi({ description: 'llm tools: the models allowed' }),
  })
  .openapi('CatalogTool');

export const listingWithVersionsSchema = listingSchema
  .extend({
    publisher: z
      .object({ id: z.uuid(), name: z.string() })
      .openapi({ description: 'The organisation that publishes the listing' }),
    versions: z.array(versionSchema),
    stats: listingStatsSchema,
    tools: z.array(catalogToolSchema).openapi({
      description:
        'The tools the newest version shown declares (requiredTools), as the catalog describes them',
    }),
  })
  .openapi('ListingWithVersions');

/** The answer of every call that starts or signals a workflow. */
export const workflowAcceptedSchema = z.object({ workflowId: z.string() }).openapi('WorkflowAccepted');

/** Path parameter: a listing id or slug. */
export const listingParamsSchema = z.object({
  id: z.string().min(1).max(64).openapi({ description: 'Listing id or slug' }),
});

/** Path parameters: a listing and one of its versions. */
export const versionParamsSchema = listingParamsSchema.extend({
  version: z.string().min(1).max(64).openapi({ description: 'Semantic version, e.g. 1.2.0' }),
});
