import { isBillablePeriod } from '../domain/billing/period.js';
import { AppError } from '../domain/errors.js';
import { startOwnedWorkflow } from '../temporal/start-workflow.js';
import { billingWorkflowId, monthlyBilling } from '../workflows/billing.js';
import { workflowStarter, type ServiceDeps } from './deps.js';

/** Starts (or finds running) `billing:<YYYY-MM>` for a closed or the current month, owned by the platform. */
export async function startBillingRun(
  deps: ServiceDeps,
  input: { period: string },
): Promise<{ workflowId: string }> {
  if (!isBillablePeriod(input.period, new Date())) {
    throw new AppError('invalid_request', 'only a closed or the current month can be billed', [
      { path: 'json.period', message: 'in the future' },
    ]);
  }
  const workflowId = billingWorkflowId(input.period);
  await startOwnedWorkflow(workflowStarter(deps), {
    workflow: monthlyBilling,
    workflowId,
    kind: 'billing',
    ownerOrgId: null,
    arg: { period: input.period, batchSize: deps.config.billing.batchSize },
  });
  return { workflowId };
}
