import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { InjectedSinks, WorkerInterceptors } from '@temporalio/worker';
import type { Metrics } from '../observability/metrics.js';
import type { MetricsSinks } from '../workflows/metrics-interceptors.js';

/** Path of the workflow interceptors module that reports workflow outcomes through the metrics sink. */
export const metricsInterceptorsPath = new URL('../workflows/metrics-interceptors.ts', import.meta.url)
  .pathname;

/** The failure type label of an activity's error: its ApplicationFailure type, else the error's name. */
export function failureTypeLabel(error: unknown): string {
  if (error instanceof ApplicationFailure) return error.type ?? 'ApplicationFailure';
  if (error instanceof CancelledFailure) return 'Cancelled';
  return error instanceof Error ? error.name : 'unknown';
}

/** Activity interceptors timing each attempt and counting failed attempts by activity and type. */
export function activityMetrics(metrics: Metrics): NonNullable<WorkerInterceptors['activity']> {
  return [
    (ctx) => ({
      inbound: {
        async execute(input, next) {
          const activity = ctx.info.activityType;
          const stop = metrics.activityDuration.startTimer({ activity });
          try {
            return await next(input);
          } catch (error) {
            metrics.activityFailures.inc({ activity, type: failureTypeLabel(error) });
            throw error;
          } finally {
            stop();
          }
        },
      },
    }),
  ];
}

/** The sink the workflow interceptors report outcomes to; not called while replaying. */
export function workflowMetricsSinks(metrics: Metrics): InjectedSinks<MetricsSinks> {
  return {
    metrics: {
      workflowEnded: {
        fn: (info, outcome) => metrics.workflowOutcomes.inc({ type: info.workflowType, outcome }),
        callDuringReplay: false,
      },
    },
  };
}
