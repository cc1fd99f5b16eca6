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
import { previousPeriod } from '../domain/billing/period.js';

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

/** Tenants billed by one run of `billing:<YYYY-MM>` before it continues as new with the next ones. */
const TENANTS_PER_BILLING_RUN = 500;

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
 * Bills every tenant for a period (id `billing:<YYYY-MM>`): one `billTenant` child per tenant,
 * `concurrency` at a time, in pages of `tenantsPerRun` tenants found by one query each. After each
 * full page it continues as new, so its history stays small however many tenants there are (a
 * single run's history would pass Temporal's limit at about 13,000 tenants). Safe to run again for
 * the same period: nothing is invoiced or charged twice.
 */
export async function monthlyBilling(input: {
  period: string;
  concurrency?: number;
  tenantsPerRun?: number;
  /** Set when continuing as new. */
  progress?: BillingProgress;
}): Promise<BillingRunResult> {
  const progress: BillingProgress = input.progress ?? { tenants: 0, invoices: 0, failed: 0, failures: [] };
  setHandler(billingProgressQuery, () => progress);
  // Runs recorded before paging listed every tenant at once.
  const limit = patched('billing-run-in-pages')
    ? Math.max(1, input.tenantsPerRun ?? TENANTS_PER_BILLING_RUN)
    : undefined;
  const tenants = await database.listTenantsToBill({
    period: input.period,
    afterOrgId: progress.afterOrgId,
    limit,
  });
  await billTenants(tenants, input.period, input.concurrency ?? 50, progress);
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
 * Runs one `billTenant` child per tenant, `concurrency` at a time, counting each into `progress`;
 * one tenant's failure stops no other.
 */
async function billTenants(
  tenants: string[],
  period: string,
  concurrency: number,
  progress: BillingProgress,
) {
  const queue = [...tenants];
  const lane = async () => {
    for (let orgId = queue.shift(); orgId !== undefined; orgId = queue.shift()) {
      try {
        const result = await executeChild(billTenant, {
          workflowId: tenantBillingWorkflowId(orgId, period),
          args: [{ orgId, period }],
        });
        progress.invoices += result.invoices.length;
      } catch (error) {
        // E.g. Stripe refusing the tenant's customer: the others are still billed.
        const cause = (error as Error).cause;
        progress.failed += 1;
        if (progress.failures.length < 5)
          progress.failures.push(
            `${orgId}: ${cause instanceof Error ? cause.message : (error as Error).message}`,
          );
      }
      progress.tenants += 1;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, lane));
}

/**
 * Started by the monthly Temporal Schedule shortly after a month ends: runs `billing:<YYYY-MM>` for the
 * month that just ended. A run already under way for that period (started over the API) is left alone.
 */
export async function scheduledMonthlyBilling(): Promise<BillingRunResult | null> {
  const period = previousPeriod(workflowInfo().startTime);
  try {
    return await executeChild(monthlyBilling, { workflowId: billingWorkflowId(period), args: [{ period }] });
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return null;
    throw error;
  }
}
