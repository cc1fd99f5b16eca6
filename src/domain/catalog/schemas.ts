import semver from 'semver';
import { z } from 'zod';

/** A URL-safe identifier: lowercase letters, digits and inner hyphens. */
const slug = (max: number) =>
  z
    .string()
    .min(2)
    .max(max)
    .regex(/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/, 'lowercase letters, digits and inner hyphens only');

/** Money in the manifest and the API: a non-negative amount with at most 6 decimal places. */
export const amount = z
  .number()
  .nonnegative()
  .max(1_000_000)
  .refine((value) => Number(value.toFixed(6)) === value, { message: 'at most 6 decimal places' });

/** A semantic version string such as 1.2.0. */
export const semverSchema = z
  .string()
  .max(64)
  .refine((value) => semver.valid(value) === value, { message: 'must be a semantic version such as 1.2.0' });

/** Listing visibility: public to every organisation, or private to its publisher. */
export const visibilitySchema = z.enum(['public', 'private']);

/** The body of POST /v1/listings. */
export const createListingSchema = z.object({
  slug: slug(64),
  name: z.string().trim().min(1).max(120),
  category: slug(60),
  tags: z.array(slug(40)).max(20).default([]),
  visibility: visibilitySchema.default('public'),
});
export type CreateListing = z.infer<typeof createListingSchema>;

/** Pricing models a version can declare. */
export const pricingModelSchema = z.enum(['free', 'usage_based', 'subscription', 'one_time']);

/** A version's pricing; which prices are required depends on the model. */
export const pricingSchema = z
  .object({
    model: pricingModelSchema,
    pricePerInvocation: amount.optional(),
    pricePer1kTokens: amount.optional(),
    monthlyPrice: amount.optional(),
    oneTimePrice: amount.optional(),
    currency: z
      .string()
      .regex(/^[a-z]{3}$/, 'a lowercase ISO 4217 code such as usd')
      .default('usd'),
    freeInvocations: z.number().int().nonnegative().max(1_000_000_000).optional(),
  })
  .superRefine((pricing, ctx) => {
    const requirePositive = (
      field: 'pricePerInvocation' | 'pricePer1kTokens' | 'monthlyPrice' | 'oneTimePrice',
    ) => {
      if (!pricing[field])
        ctx.addIssue({
          code: 'custom',
          path: [field],
          message: `required and > 0 for ${pricing.model} pricing`,
        });
    };
    const forbidPrices = (
      ...fields: Array<'pricePerInvocation' | 'pricePer1kTokens' | 'monthlyPrice' | 'oneTimePrice'>
    ) => {
      for (const field of fields) {
        if (pricing[field] !== undefined)
          ctx.addIssue({
            code: 'custom',
            path: [field],
            message: `not allowed for ${pricing.model} pricing`,
          });
      }
    };
    switch (pricing.model) {
      case 'free':
        forbidPrices('pricePerInvocation', 'pricePer1kTokens', 'monthlyPrice', 'oneTimePrice');
        break;
      case 'usage_based':
        if (!pricing.pricePerInvocation && !pricing.pricePer1kTokens) {
          ctx.addIssue({
            code: 'custom',
            path: ['pricePerInvocation'],
            message: 'usage_based pricing needs pricePerInvocation or pricePer1kTokens > 0',
          });
        }
        forbidPrices('monthlyPrice', 'oneTimePrice');
        break;
      case 'subscription':
        requirePositive('monthlyPrice');
        forbidPrices('pricePerInvocation', 'pricePer1kTokens', 'oneTimePrice');
        break;
      case 'one_time':
        requirePositive('oneTimePrice');
        forbidPrices('pricePerInvocation', 'pricePer1kTokens', 'monthlyPrice');
        break;
    }
  });

/** Where and how a version runs. */
export const runtimeSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('process'), command: z.array(z.string().min(1).max(512)).min(1).max(32) }),
  z.object({
    kind: z.literal('container'),
    image: z
      .string()
      .max(512)
      .regex(/^[^\s@]+@sha256:[a-f0-9]{64}$/, 'must be pinned by digest: registry/name@sha256:<64 hex>'),
  }),
  z.object({
    kind: z.literal('remote'),
    endpoint: z.url({ protocol: /^https$/, error: 'must be an https:// URL' }),
  }),
]);

/** One network destination an agent may reach: an address block and its ports (TCP unless said). */
export const egressRuleSchema = z.object({
  cidr: z.union([z.cidrv4(), z.cidrv6()], { error: 'an address block such as 203.0.113.0/24' }),
  ports: z.array(z.number().int().min(1).max(65535)).min(1).max(16),
  protocol: z.enum(['TCP', 'UDP']).default('TCP'),
});

/** A credential the version needs, injected as an environment variable of the same name. */
export const requiredCredentialSchema = z.object({
  name: z.string().regex(/^[A-Z][A-Z0-9_]{0,63}$/, 'UPPER_SNAKE_CASE, at most 64 characters'),
  description: z.string().max(500).optional(),
});

/** The agent manifest: one version of a listing (API.md). */
export const manifestSchema = z
  .object({
    version: semverSchema,
    description: z.string().trim().min(1).max(500),
    longDescription: z.string().max(20_000).optional(),
    changelog: z.string().max(20_000).optional(),
    /** Jobs the publisher says the agent does, in a user's words; search embeds and indexes them. */
    exampleTasks: z.array(z.string().trim().min(3).max(200)).max(10).optional(),
    pricing: pricingSchema,
    requiredTools: z.array(slug(64)).max(50).default([]),
    requiredCredentials: z.array(requiredCredentialSchema).max(50).default([]),
    inputSchema: z.record(z.string(), z.unknown()).default({ type: 'object' }),
    runtime: runtimeSchema,
    resources: z
      .object({
        cpu: z
          .string()
          .regex(/^(\d+m|\d+(\.\d+)?)$/, 'a Kubernetes CPU quantity such as 500m or 1')
          .default('500m'),
        memory: z
          .string()
          .regex(/^\d+(Ki|Mi|Gi)$/, 'a memory quantity such as 256Mi')
          .default('256Mi'),
        timeoutSeconds: z.number().int().min(1).max(3600).default(60),
        /** The most calls one run may make through the tool gateway (unset: no cap). */
        maxToolCalls: z.number().int().min(1).max(100_000).optional(),
        /** The most tokens (in + out, as upstreams report them) one run may use through the gateway. */
        maxTokens: z.number().int().min(1).max(1_000_000_000).optional(),
      })
      .default({ cpu: '500m', memory: '256Mi', timeoutSeconds: 60 }),
    /**
     * What the agent may reach over the network; nothing when empty. Kubernetes runtimes allow exactly
     * these destinations; the local sandbox runs agents with no network at all.
     */
    network: z.object({ egress: z.array(egressRuleSchema).max(16).default([]) }).default({ egress: [] }),
  })
  .superRefine((manifest, ctx) => {
    const seen = new Set<string>();
    manifest.requiredCredentials.forEach((credential, index) => {
      if (seen.has(credential.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['requiredCredentials', index, 'name'],
          message: 'declared twice',
        });
      }
      seen.add(credential.name);
    });
  });
export type Manifest = z.infer<typeof manifestSchema>;

/** Version lifecycle states. */
export const versionStatusSchema = z.enum([
  'draft',
  'in_review',
  'published',
  'rejected',
  'deprecated',
  'suspended',
]);
export type VersionStatus = z.infer<typeof versionStatusSchema>;
