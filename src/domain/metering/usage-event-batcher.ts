import { withTransaction, type Db } from '../../db/pool.js';
import type { Metrics } from '../../observability/metrics.js';
import { recordBudgetThresholds } from './budget-thresholds.js';
import { recordFreeQuotaExhausted } from './free-quota.js';
import { insertUsageEvents, type UsageEvent } from './usage-events.js';

interface Waiter {
  events: UsageEvent[];
  resolve: (fresh: Set<string>) => void;
  reject: (error: unknown) => void;
}

/**
 * Batched ingestion: callers that record events at about the same time share one INSERT of up to
 * `maxBatch` events. Each caller's promise settles only after its events are committed, so nothing
 * acknowledged is ever held in memory alone.
 */
export class UsageEventBatcher {
  private waiting: Waiter[] = [];
  private waitingEvents = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly db: Db,
    private readonly metrics: Pick<Metrics, 'usageEventsIngested'>,
    private readonly options: { maxBatch: number; maxDelayMs: number } = { maxBatch: 2000, maxDelayMs: 5 },
  ) {}

  /** Records the events; resolves with the ids that were new (duplicates count once, to whoever came first). */
  record(events: UsageEvent[]): Promise<Set<string>> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ events, resolve, reject });
      this.waitingEvents += events.length;
      if (this.waitingEvents >= this.options.maxBatch) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.options.maxDelayMs);
    });
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.waiting;
    this.waiting = [];
    this.waitingEvents = 0;
    const events = batch.flatMap((waiter) => waiter.events);
    withTransaction(this.db, async (tx) => {
      const fresh = await insertUsageEvents(tx, events);
      const recorded = events.filter((event) => fresh.has(event.eventId));
      await recordBudgetThresholds(tx, recorded);
      await recordFreeQuotaExhausted(tx, recorded);
      return fresh;
    }).then(
      (fresh) => {
        this.metrics.usageEventsIngested.inc({ result: 'accepted' }, fresh.size);
        this.metrics.usageEventsIngested.inc({ result: 'duplicate' }, events.length - fresh.size);
        for (const waiter of batch) {
          const mine = new Set<string>();
          for (const event of waiter.events) {
            if (fresh.delete(event.eventId)) mine.add(event.eventId);
          }
          waiter.resolve(mine);
        }
      },
      (error: unknown) => batch.forEach((waiter) => waiter.reject(error)),
    );
  }
}
