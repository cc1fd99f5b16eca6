import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { runtimeRefusalFailure, withRuntimeRefusals } from '../../src/activities/runtime-refusals.js';
import { RemoteEndpointRefusedError } from '../../src/runtime/remote/resolve-endpoint.js';
import { UnsupportedRuntimeError } from '../../src/runtime/runtime-router.js';

describe('runtime refusals at the activity boundary', () => {
  it('makes a refused endpoint and an unsupported runtime non-retryable, with a type retry policies name', () => {
    const refused = runtimeRefusalFailure(new RemoteEndpointRefusedError('127.0.0.1 is not public'));
    expect(refused).toBeInstanceOf(ApplicationFailure);
    expect(refused).toMatchObject({
      type: 'EndpointRefused',
      nonRetryable: true,
      message: '127.0.0.1 is not public',
    });
    expect(runtimeRefusalFailure(new UnsupportedRuntimeError('no driver for container'))).toMatchObject({
      type: 'UnsupportedRuntime',
      nonRetryable: true,
    });
    const passing = new Error('database unavailable');
    expect(runtimeRefusalFailure(passing)).toBe(passing);
  });

  it('wraps every activity, passing results and other errors through', async () => {
    const activities = withRuntimeRefusals({
      ok: async ({ n }: { n: number }) => n + 1,
      refuses: async (_: { n: number }) => {
        throw new RemoteEndpointRefusedError('refused');
      },
      breaks: async (_: { n: number }) => {
        throw new Error('transient');
      },
    });
    expect(await activities.ok({ n: 1 })).toBe(2);
    await expect(activities.refuses({ n: 1 })).rejects.toMatchObject({ type: 'EndpointRefused' });
    await expect(activities.breaks({ n: 1 })).rejects.toThrow('transient');
  });
});
