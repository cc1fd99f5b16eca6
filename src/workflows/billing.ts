import {
  ApplicationFailure,
  executeChild,
  proxyActivities,
  proxyLocalActivities,
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

/**
 * Bills every tenant for a period (id `billing:<YYYY-MM>`): finds the tenants with anything to bill
 * in one query, then runs one `billTenant` child per tenant, `concurrency` at a time. Safe to run
 * again for the same period: nothing is invoiced or charged twice.
 */
export async function monthlyBilling(input: {
  period: string;
  concurrency?: number;
}): Promise<BillingRunResult> {
  const tenants = await database.listTenantsToBill({ period: input.period });
  const queue = [...tenants];
  const failures: string[] = [];
  let invoices = 0;
  const lane = async () => {
    for (let orgId = queue.shift(); orgId !== undefined; orgId = queue.shift()) {
      try {
        const result = await executeChild(billTenant, {
          workflowId: tenantBillingWorkflowId(orgId, input.period),
          args: [{ orgId, period: input.period }],
        });
        invoices += result.invoices.length;
      } catch (error) {
        // One tenant's failure (e.g. Stripe refusing its customer) must not stop the others' billing.
        const cause = (error as Error).cause;
        failures.push(`${orgId}: ${cause instanceof Error ? cause.message : (error as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, input.concurrency ?? 50) }, lane));
  if (failures.length > 0) {
    throw ApplicationFailure.nonRetryable(
      `billing ${input.period} failed for ${failures.length} of ${tenants.length} tenants (run it again to retry them): ${failures.slice(0, 5).join('; ')}`,
      'BillingIncomplete',
    );
  }
  return { period: input.period, tenants: tenants.length, invoices };
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
