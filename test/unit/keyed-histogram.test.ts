import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { KeyedHistogram } from '../../src/observability/keyed-histogram.js';

describe('KeyedHistogram', () => {
  it('renders cumulative buckets, +Inf, sum and count per series in the registry’s text', async () => {
    const registry = new Registry();
    const histogram = new KeyedHistogram('t_seconds', 'test', [0.1, 1], [registry]);
    const get = () => ({ method: 'GET', status: 200 });
    histogram.observe('GET 200', get, 0.05);
    histogram.observe('GET 200', get, 0.5);
    histogram.observe('GET 200', get, 7);
    histogram.observe('POST 500', () => ({ method: 'POST', status: 500 }), 0.1);
    const lines = (await registry.metrics()).split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        '# TYPE t_seconds histogram',
        't_seconds_bucket{method="GET",status="200",le="0.1"} 1',
        't_seconds_bucket{method="GET",status="200",le="1"} 2',
        't_seconds_bucket{method="GET",status="200",le="+Inf"} 3',
        't_seconds_sum{method="GET",status="200"} 7.55',
        't_seconds_count{method="GET",status="200"} 3',
        't_seconds_bucket{method="POST",status="500",le="0.1"} 1',
        't_seconds_count{method="POST",status="500"} 1',
      ]),
    );
    registry.resetMetrics();
    expect(await registry.metrics()).not.toContain('t_seconds_count');
  });
});
