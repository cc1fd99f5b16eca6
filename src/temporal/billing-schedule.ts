import { ScheduleAlreadyRunning, type Client } from '@temporalio/client';
import type { Logger } from '../logger.js';
import { scheduledMonthlyBilling } from '../workflows/billing.js';

/** The id of the Temporal Schedule that starts each month's billing run. */
export const BILLING_SCHEDULE_ID = 'billing-monthly';

/**
 * Registers the monthly billing schedule (1st of each month, 01:00 UTC: bill the month that just
 * ended), idempotently: an existing schedule is kept, and only updated when it targets another task
 * queue or batch size. Overlapping runs are skipped; a missed run is caught up within a day.
 */
export async function registerBillingSchedule(
  client: Client,
  { taskQueue, batchSize }: { taskQueue: string; batchSize: number },
  logger: Logger,
): Promise<void> {
  const args: Parameters<typeof scheduledMonthlyBilling> = [{ batchSize }];
  const action = {
    type: 'startWorkflow' as const,
    workflowType: scheduledMonthlyBilling,
    workflowId: 'billing-scheduled',
    taskQueue,
    args,
  };
  try {
    await client.schedule.create({
      scheduleId: BILLING_SCHEDULE_ID,
      spec: { calendars: [{ dayOfMonth: 1, hour: 1, minute: 0 }] },
      action,
      policies: { catchupWindow: '1 day' },
    });
    logger.info({ scheduleId: BILLING_SCHEDULE_ID }, 'billing schedule registered');
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
    const handle = client.schedule.getHandle(BILLING_SCHEDULE_ID);
    const description = await handle.describe();
    const current = description.action;
    if (
      current.type === 'startWorkflow' &&
      (current.taskQueue !== taskQueue || JSON.stringify(current.args) !== JSON.stringify(args))
    ) {
      await handle.update((previous) => ({ ...previous, action }));
      logger.info({ scheduleId: BILLING_SCHEDULE_ID, taskQueue, batchSize }, 'billing schedule updated');
    }
  }
}
