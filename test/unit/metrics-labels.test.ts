import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { methodLabel, routeLabel } from '../../src/api/middleware/http-metrics.js';
import { failureTypeLabel } from '../../src/temporal/worker-metrics.js';

describe('metric labels', () => {
  it('labels a request with the template of the last route matched, not its middleware', () => {
    expect(
      routeLabel(
        [
          { method: 'ALL', path: '*' },
          { method: 'ALL', path: '/v1/*' },
          { method: 'GET', path: '/v1/installations/:id' },
          { method: 'GET', path: '/v1/installations/:id' },
          { method: 'GET', path: '*' }, // the console's catch-all, registered last
        ],
        '/v1/installations/7',
      ),
    ).toBe('/v1/installations/:id');
    expect(routeLabel([{ method: 'ALL', path: '/v1/*' }], '/v1/x')).toBe('unmatched');
    expect(routeLabel([], '/v1/x')).toBe('unmatched');
  });

  it('labels the web console as one route, and an unknown API path as unmatched', () => {
    const consoleCatchAll = [{ method: 'GET', path: '*' }];
    expect(routeLabel(consoleCatchAll, '/installations/7')).toBe('console');
    expect(routeLabel(consoleCatchAll, '/v1/no-such-thing')).toBe('unmatched');
    expect(routeLabel(consoleCatchAll, '/metrics')).toBe('unmatched');
  });

  it('keeps methods to the usual ones', () => {
    expect(methodLabel('GET')).toBe('GET');
    expect(methodLabel('DELETE')).toBe('DELETE');
    expect(methodLabel('PROPFIND')).toBe('other');
  });

  it('names activity failures by their ApplicationFailure type, else the error class', () => {
    expect(failureTypeLabel(ApplicationFailure.nonRetryable('no', 'NotEntitled'))).toBe('NotEntitled');
    expect(failureTypeLabel(ApplicationFailure.create({ message: 'no' }))).toBe('ApplicationFailure');
    expect(failureTypeLabel(new CancelledFailure('stop'))).toBe('Cancelled');
    expect(failureTypeLabel(new TypeError('x'))).toBe('TypeError');
    expect(failureTypeLabel('a string')).toBe('unknown');
  });
});
