import type { Metric, Registry } from 'prom-client';

interface Series {
  labels: Record<string, string | number>;
  buckets: Float64Array;
  sum: number;
  count: number;
}

/**
 * A Prometheus histogram for a hot path, registered in a prom-client registry like its own
 * metrics and exposed in the same text. Each series is found by a string key the caller builds
 * from the label values, so observing is a Map lookup, a bucket search and three additions, where
 * prom-client's Histogram validates and hashes a label object (and its timer makes two more) on
 * every observation: a few microseconds a request.
 */
export class KeyedHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series = new Map<string, Series>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly upperBounds: readonly number[],
    registers: Registry[],
  ) {
    for (const registry of registers) registry.registerMetric(this as unknown as Metric);
  }

  /** Counts one value into the series `key` names; `labels` is asked for only when that series is new. */
  observe(key: string, labels: () => Record<string, string | number>, value: number): void {
    let series = this.series.get(key);
    if (!series) {
      series = { labels: labels(), buckets: new Float64Array(this.upperBounds.length), sum: 0, count: 0 };
      this.series.set(key, series);
    }
    const bounds = this.upperBounds;
    for (let i = 0; i < bounds.length; i++) {
      if (value <= bounds[i]!) {
        series.buckets[i]! += 1;
        break;
      }
    }
    series.sum += value;
    series.count += 1;
  }

  /** Forgets every series (prom-client's registry.resetMetrics()). */
  reset(): void {
    this.series.clear();
  }

  /** The series as prom-client's registry renders a histogram: cumulative buckets, +Inf, sum and count. */
  async get() {
    const values: Array<{ labels: Record<string, string | number>; value: number; metricName: string }> = [];
    for (const series of this.series.values()) {
      let cumulative = 0;
      this.upperBounds.forEach((bound, i) => {
        cumulative += series.buckets[i]!;
        values.push({
          labels: { ...series.labels, le: bound },
          value: cumulative,
          metricName: `${this.name}_bucket`,
        });
      });
      values.push({
        labels: { ...series.labels, le: '+Inf' },
        value: series.count,
        metricName: `${this.name}_bucket`,
      });
      values.push({ labels: series.labels, value: series.sum, metricName: `${this.name}_sum` });
      values.push({ labels: series.labels, value: series.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}
