// Wakes endpoints' delivery workflows. The outbox trigger NOTIFYs the endpoint's id when an event's
// delivery commits; this LISTENs and signals (or starts) the endpoint's workflow. A notification
// missed (this process down, the connection lost) is caught by the periodic sweep, which wakes every
// endpoint with a delivery due: nothing is lost, only late by at most one sweep interval.
import type { Client } from '@temporalio/client';
import pg from 'pg';
import type { Db } from '../db/pool.js';
import { endpointsWithDueDeliveries } from '../domain/webhooks/deliveries.js';
import { WEBHOOK_WAKE_CHANNEL } from '../domain/webhooks/repository.js';
import type { Logger } from '../logger.js';
import {
  deliverWebhooks,
  wakeWebhookDeliveries,
  webhookDeliveryWorkflowId,
} from '../workflows/deliver-webhooks.js';

const RECONNECT_MS = 1000;

/** Starts listening and sweeping; stop() ends both. */
export async function startWebhookDispatcher(input: {
  databaseUrl: string;
  db: Db;
  temporal: Client;
  taskQueue: string;
  sweepIntervalMs: number;
  logger: Logger;
}): Promise<{ stop(): Promise<void> }> {
  const { logger } = input;
  let stopped = false;
  const inFlight = new Set<string>();
  const again = new Set<string>();

  // One signal in flight per endpoint; wake-ups arriving meanwhile fold into one more.
  function wake(endpointId: string): void {
    if (stopped) return;
    if (inFlight.has(endpointId)) {
      again.add(endpointId);
      return;
    }
    inFlight.add(endpointId);
    input.temporal.workflow
      .signalWithStart(deliverWebhooks, {
        workflowId: webhookDeliveryWorkflowId(endpointId),
        taskQueue: input.taskQueue,
        args: [{ endpointId }],
        signal: wakeWebhookDeliveries,
        signalArgs: [],
      })
      .catch((error: Error) => logger.warn({ err: error, endpointId }, 'could not wake webhook deliveries'))
      .finally(() => {
        inFlight.delete(endpointId);
        if (again.delete(endpointId)) wake(endpointId);
      });
  }

  async function sweep(): Promise<void> {
    try {
      for (const endpointId of await endpointsWithDueDeliveries(input.db)) wake(endpointId);
    } catch (error) {
      logger.warn({ err: error }, 'webhook sweep failed');
    }
  }

  let listener: pg.Client | null = null;
  async function listen(): Promise<void> {
    if (stopped) return;
    const client = new pg.Client({ connectionString: input.databaseUrl });
    client.on('notification', (message) => {
      if (message.channel === WEBHOOK_WAKE_CHANNEL && message.payload) wake(message.payload);
    });
    client.on('error', (error) => {
      logger.warn({ err: error }, 'webhook listener connection lost; reconnecting');
      client.end().catch(() => {});
      if (listener === client) listener = null;
      setTimeout(() => void listen().then(sweep), RECONNECT_MS).unref();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${WEBHOOK_WAKE_CHANNEL}`);
      listener = client;
      if (stopped) await client.end();
    } catch (error) {
      logger.warn({ err: error }, 'webhook listener could not connect; retrying');
      await client.end().catch(() => {});
      setTimeout(() => void listen().then(sweep), RECONNECT_MS).unref();
    }
  }

  await listen();
  await sweep();
  const timer = setInterval(() => void sweep(), input.sweepIntervalMs);
  timer.unref();

  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await listener?.end().catch(() => {});
    },
  };
}
