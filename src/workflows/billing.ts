import { nonRetryable } from '../domain/failures.js';
import {
  continueAsNew,
  defineQuery,
  executeChild,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { BillingActivities } from '../activities/billing.js';
import { DEFAULT_BILLING_BATCH_SIZE, splitIntoBatches } from '../domain/billing/batches.js';
import { previousPeriod } from '../domain/billing/period.js';
import { tenantIdKey } from './search-attribute-keys.js';

/** What a tenant's billing run produced. */
export interface TenantBillingResult {
  orgId: string;
  invoices: Array<{ invoiceId: string; currency: string; totalMinor: string }>;
}

/** What a period's billing run produced. */
export interface BillingRunResult {
  period: string;
  tenants: number;
  invoices: number;
}

// Building a tenant's invoices is one short PostgreSQL transaction: a local activity, run in the
// workflow's own worker without a task queue round trip (a run has one child per tenant).
const database = proxyLocalActivities<BillingActivities>({
  startToCloseTimeout: '2 minutes',
  retry: {
    initialInterval: '1 second',
    maximumInterval: '30 seconds',
    maximumAttempts: 10,
    nonRetryableErrorTypes: ['InvalidPeriod'],
  },
});

// Stripe may be slow or down for a while: retry for about an hour, heartbeating between items.
const stripe = proxyActivities<BillingActivities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '30 seconds',
  retry: {
    initialInterval: '2 seconds',
    maximumInterval: '5 minutes',
    maximumAttempts: 20,
    nonRetryableErrorTypes: ['StripeRefused', 'InvoiceNotFound'],
  },
});

/** The id of a period's billing run. */
export const billingWorkflowId = (period: string) => `billing:${period}`;

/** The id of one tenant's billing in a period's run. */
export const tenantBillingWorkflowId = (orgId: string, period: string) => `billing:${orgId}:${period}`;

/**
 * Bills one tenant for one period (id `billing:<tenant>:<YYYY-MM>`): builds its invoices (once; a
 * re-run finds them) and, when Stripe is configured, puts the drafts on Stripe and marks them final
 * (without Stripe they are final as soon as they are built).
 */
export async function billTenant(input: { orgId: string; period: string }): Promise<TenantBillingResult> {
  const { invoices } = await database.buildTenantInvoices(input);
  const drafts = invoices.filter((invoice) => invoice.status === 'draft').map((invoice) => invoice.invoiceId);
  for (const invoiceId of drafts) await stripe.syncInvoiceToStripe({ invoiceId });
  if (drafts.length > 0) await database.finalizeTenantInvoices({ invoiceIds: drafts });
  return {
    orgId: input.orgId,
    invoices: invoices.map(({ invoiceId, currency, totalMinor }) => ({ invoiceId, currency, totalMinor })),
  };
}

/** Tenants billed by one run of `billing:<YYYY-MM>` before it continues as new (runs recorded before batches). */
const TENANTS_PER_BILLING_RUN = 500;
/** Tenants billed by one run of `billing:<YYYY-MM>` before it continues as new with the next ones. */
const TENANTS_PER_BATCHED_RUN = 2000;
/** Batch children of a run billing at the same time. */
const BATCHES_AT_ONCE = 10;
/** Tenants of one batch billed at the same time (each is one local activity, then its Stripe syncs). */
const TENANTS_AT_ONCE_PER_BATCH = 10;

/** The id of one batch of a period's billing run: the period, then the batch's first tenant. */
export const billingBatchWorkflowId = (period: string, firstOrgId: string) =>
  `billing:${period}:${firstOrgId}`;

/** What one batch of a period's billing run produced. */
export interface BatchBillingResult {
  tenants: number;
  invoices: number;
  /** The tenants that could not be billed, with why (a re-run of the period retries them). */
  failures: Array<{ orgId: string; message: string }>;
}

/**
 * Bills a batch of tenants for a period (id `billing:<YYYY-MM>:<first tenant>`), each tenant as
 * `billTenant` bills it, several at a time; one tenant's failure is reported and stops no other.
 */
export async function billTenantBatch(input: {
  period: string;
  orgIds: string[];
}): Promise<BatchBillingResult> {
  const result: BatchBillingResult = { tenants: 0, invoices: 0, failures: [] };
  await inLanes(input.orgIds, TENANTS_AT_ONCE_PER_BATCH, async (orgId) => {
    try {
      const billed = await billTenant({ orgId, period: input.period });
      result.invoices += billed.invoices.length;
    } catch (error) {
      // E.g. Stripe refusing the tenant's customer: the others are still billed.
      result.failures.push({ orgId, message: failureMessage(error) });
    }
    result.tenants += 1;
  });
  return result;
}

/**
 * How far a period's billing has got, over all its runs so far: the `state` query's answer, and
 * what a run hands to the next when it continues as new.
 */
export interface BillingProgress {
  /** The last tenant of the last page, where the next page starts. */
  afterOrgId?: string;
  /** Tenants billed or failed so far. */
  tenants: number;
  invoices: number;
  failed: number;
  /** The first few failures, for the final error. */
  failures: string[];
}

/** The progress of a running `billing:<YYYY-MM>` (GET /v1/workflows/{id} shows it). */
export const billingProgressQuery = defineQuery<BillingProgress>('state');

/**
 * Bills every tenant for a period (id `billing:<YYYY-MM>`): pages of tenants found by one query each,
 * split into batches of `batchSize` tenants, one `billTenantBatch` child per batch, several at a time.
 * After each full page it continues as new, so its history stays small however many tenants there
 * are. Safe to run again for the same period: nothing is invoiced or charged twice, and only the
 * tenants left are billed.
 */
export async function monthlyBilling(input: {
  period: string;
  /** Batch children at once (runs recorded before batches: tenant children at once). */
  concurrency?: number;
  tenantsPerRun?: number;
  /** Tenants per batch child (BILLING_BATCH_SIZE). */
  batchSize?: number;
  /** Set when continuing as new. */
  progress?: BillingProgress;
}): Promise<BillingRunResult> {
  const progress: BillingProgress = input.progress ?? { tenants: 0, invoices: 0, failed: 0, failures: [] };
  setHandler(billingProgressQuery, () => progress);
  // Runs recorded before paging listed every tenant at once; runs recorded before batches had one
  // child per tenant and smaller pages.
  const paged = patched('billing-run-in-pages');
  const batched = patched('billing-tenants-in-batches');
  const pageSize = batched ? TENANTS_PER_BATCHED_RUN : TENANTS_PER_BILLING_RUN;
  const limit = paged ? Math.max(1, input.tenantsPerRun ?? pageSize) : undefined;
  const tenants = await database.listTenantsToBill({
    period: input.period,
    afterOrgId: progress.afterOrgId,
    limit,
  });
  if (batched) {
    const batches = splitIntoBatches(tenants, input.batchSize ?? DEFAULT_BILLING_BATCH_SIZE);
    await billBatches(batches, input.period, input.concurrency ?? BATCHES_AT_ONCE, progress);
  } else {
    await billTenants(tenants, input.period, input.concurrency ?? 50, progress);
  }
  progress.afterOrgId = tenants.at(-1) ?? progress.afterOrgId;
  if (limit !== undefined && tenants.length === limit) {
    await continueAsNew<typeof monthlyBilling>({ ...input, progress });
  }
  if (progress.failed > 0) {
    throw nonRetryable(
      'BillingIncomplete',
      `billing ${input.period} failed for ${progress.failed} of ${progress.tenants} tenants (run it again to retry them): ${progress.failures.join('; ')}`,
    );
  }
  return { period: input.period, tenants: progress.tenants, invoices: progress.invoices };
}

/**
 * Runs one `billTenantBatch` child per batch, `concurrency` at a time, each searchable in the Web UI
 * by every tenant it bills (`BazaarTenantId = '<orgId>'`), counting its outcome into `progress`.
 */
async function billBatches(
  batches: string[][],
  period: string,
  concurrency: number,
  progress: BillingProgress,
) {
  await inLanes(batches, concurrency, async (orgIds) => {
    let result: BatchBillingResult;
    try {
      result = await executeChild(billTenantBatch, {
        workflowId: billingBatchWorkflowId(period, orgIds[0]!),
        args: [{ period, orgIds }],
        typedSearchAttributes: [{ key: tenantIdKey, value: orgIds }],
      });
    } catch (error) {
      // The batch itself ended badly (terminated, say): none of its tenants counts as billed.
      const message = failureMessage(error);
      result = { tenants: orgIds.length, invoices: 0, failures: orgIds.map((orgId) => ({ orgId, message })) };
    }
    progress.tenants += result.tenants;
    progress.invoices += result.invoices;
    progress.failed += result.failures.length;
    for (const failure of result.failures)
      if (progress.failures.length < 5) progress.failures.push(`${failure.orgId}: ${failure.message}`);
  });
}

/** Runs `work` over the items, at most `concurrency` at a time, in the items' order. */
async function inLanes<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>) {
  const queue = [...items];
  const lane = async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item);
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, lane));
}

/** The message of the failure underneath (the activity's or child's own), for a person to act on. */
function failureMessage(error: unknown): string {
  const cause = (error as Error).cause;
  return cause instanceof Error ? cause.message : (error as Error).message;
}

/**
 * Runs recorded before batches: one `billTenant` child per tenant, `concurrency` at a time, counting
 * each into `progress`; one tenant's failure stops no other.
 */
async function billTenants(
  tenants: string[],
  period: string,
  concurrency: number,
  progress: BillingProgress,
) {
  await inLanes(tenants, concurrency, async (orgId) => {
    try {
      const result = await executeChild(billTenant, {
        workflowId: tenantBillingWorkflowId(orgId, period),
        args: [{ orgId, period }],
      });
      progress.invoices += result.invoices.length;
    } catch (error) {
      progress.failed += 1;
      if (progress.failures.length < 5) progress.failures.push(`${orgId}: ${failureMessage(error)}`);
    }
    progress.tenants += 1;
  });
}

/**
 * Started by the monthly Temporal Schedule shortly after a month ends: runs `billing:<YYYY-MM>` for the
 * month that just ended. A run already under way for that period (started over the API) is left alone.
 */
export async function scheduledMonthlyBilling(
  input: { batchSize?: number } = {},
): Promise<BillingRunResult | null> {
  const period = previousPeriod(workflowInfo().startTime);
  try {
    return await executeChild(monthlyBilling, {
      workflowId: billingWorkflowId(period),
      args: [{ period, batchSize: input.batchSize }],
    });
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return null;
    throw error;
  }
}
