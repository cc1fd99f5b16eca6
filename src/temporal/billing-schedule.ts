import { ScheduleAlreadyRunning, type Client } from '@temporalio/client';
import type { Logger } from '../logger.js';
import { scheduledMonthlyBilling } from '../workflows/billing.js';

/** The id of the Temporal Schedule that starts each month's billing run. */
export const BILLING_SCHEDULE_ID = 'billing-monthly';

/**
 * Registers the monthly billing schedule (1st of each month, 01:00 UTC: bill the month that just
 * ended), idempotently: an existing schedule is kept, and only re-pointed when it targets another
 * task queue. Overlapping runs are skipped; a missed run is caught up within a day.
 */
export async function registerBillingSchedule(
  client: Client,
  taskQueue: string,
  logger: Logger,
): Promise<void> {
  const action = {
    type: 'startWorkflow' as const,
    workflowType: scheduledMonthlyBilling,
    workflowId: 'billing-scheduled',
    taskQueue,
    args: [] as [],
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
    if (description.action.type === 'startWorkflow' && description.action.taskQueue !== taskQueue) {
      await handle.update((previous) => ({ ...previous, action }));
      logger.info(
        { scheduleId: BILLING_SCHEDULE_ID, taskQueue },
        'billing schedule moved to this task queue',
      );
    }
  }
}
