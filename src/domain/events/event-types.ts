import { z } from 'zod';
import { riskSchema } from '../catalog/advisory.js';

/** Every event type the log records. */
export const eventTypes = [
  'version.published',
  'version.rejected',
  'version.review_timed_out',
  'installation.active',
  'installation.failed',
  'installation.removed',
  'installation.upgraded',
  'installation.upgrade_available',
  'execution.succeeded',
  'execution.failed',
  'invoice.finalized',
  'usage.budget_threshold',
  'rating.created',
  'quota.free_exhausted',
  'webhook.endpoint_disabled',
  'webhook.test',
] as const;
/** One event type, as the API accepts and answers it. */
export const eventTypeSchema = z.enum(eventTypes);
/** One event type. */
export type EventType = z.infer<typeof eventTypeSchema>;

// Each payload names ids, names and statuses only, never a secret value: the schemas are strict, so
// recordEvent refuses a field not declared here.
const version = { listingId: z.uuid(), versionId: z.uuid(), version: z.string() };
const installation = {
  installationId: z.uuid(),
  listingId: z.uuid(),
  versionId: z.uuid(),
  version: z.string(),
};
const execution = {
  executionId: z.uuid(),
  installationId: z.uuid(),
  listingId: z.uuid(),
  status: z.enum(['succeeded', 'failed', 'timed_out']),
};

/** The payload schema of every event type, by type. */
export const eventDataSchemas = {
  'version.published': z.strictObject(version),
  'version.rejected': z.strictObject({ ...version, reason: z.string() }),
  'version.review_timed_out': z.strictObject(version),
  'installation.active': z.strictObject(installation),
  'installation.failed': z.strictObject({ ...installation, reason: z.string().nullable() }),
  'installation.removed': z.strictObject(installation),
  'installation.upgraded': z.strictObject({
    installationId: z.uuid(),
    listingId: z.uuid(),
    fromVersionId: z.uuid(),
    toVersionId: z.uuid(),
    toVersion: z.string(),
  }),
  'installation.upgrade_available': z.strictObject({
    installationId: z.uuid(),
    listingId: z.uuid(),
    fromVersion: z.string(),
    toVersion: z.string(),
    risk: riskSchema,
  }),
  'execution.succeeded': z.strictObject(execution),
  'execution.failed': z.strictObject(execution),
  'invoice.finalized': z.strictObject({
    invoiceId: z.uuid(),
    period: z.string(),
    currency: z.string(),
    totalMinor: z.string(),
  }),
  'usage.budget_threshold': z.strictObject({
    installationId: z.uuid(),
    listingId: z.uuid(),
    month: z.string().regex(/^\d{4}-\d{2}$/),
    threshold: z.union([z.literal(80), z.literal(100)]),
    budget: z.string(),
    spent: z.string(),
    currency: z.string(),
  }),
  'rating.created': z.strictObject({
    ratingId: z.uuid(),
    listingId: z.uuid(),
    version: z.string(),
    stars: z.number().int().min(1).max(5),
  }),
  'quota.free_exhausted': z.strictObject({
    installationId: z.uuid(),
    listingId: z.uuid(),
    versionId: z.uuid(),
    month: z.string().regex(/^\d{4}-\d{2}$/),
    freeInvocations: z.number().int().nonnegative(),
  }),
  'webhook.endpoint_disabled': z.strictObject({
    endpointId: z.uuid(),
    reason: z.string(),
  }),
  'webhook.test': z.strictObject({ endpointId: z.uuid(), message: z.string() }),
} satisfies Record<EventType, z.ZodType>;

/** The payload of one event type. */
export type EventData<T extends EventType> = z.infer<(typeof eventDataSchemas)[T]>;
