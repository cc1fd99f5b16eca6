// Webhook configuration: the retry schedule and the other durations, and plain http only when allowed.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { resolveEndpoint, RemoteEndpointRefusedError } from '../../src/runtime/remote/resolve-endpoint.js';

describe('webhook configuration', () => {
  it("defaults to Svix's schedule, 5 days before disabling, 15 s per attempt", () => {
    expect(loadConfig({}).webhooks).toMatchObject({
      allowPrivateNetworks: false,
      retryScheduleMs: [0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000],
      disableAfterMs: 5 * 86_400_000,
      attemptTimeoutMs: 15_000,
      sweepIntervalMs: 30_000,
    });
  });

  it('reads durations with units (no unit: seconds), and names a bad one', () => {
    const config = loadConfig({
      WEBHOOKS_RETRY_SCHEDULE: '0, 250ms,2,1m',
      WEBHOOKS_DISABLE_AFTER: '1h',
      WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true',
    });
    expect(config.webhooks.retryScheduleMs).toEqual([0, 250, 2000, 60_000]);
    expect(config.webhooks.disableAfterMs).toBe(3_600_000);
    expect(config.webhooks.allowPrivateNetworks).toBe(true);
    expect(() => loadConfig({ WEBHOOKS_RETRY_SCHEDULE: '0,5 minutes' })).toThrowError(ConfigError);
    expect(() => loadConfig({ WEBHOOKS_RETRY_SCHEDULE: '0,5 minutes' })).toThrowError(
      /WEBHOOKS_RETRY_SCHEDULE/,
    );
  });

  it('accepts plain http only under a policy that allows it', async () => {
    await expect(
      resolveEndpoint('http://127.0.0.1:8080/hook', { allowPrivateNetworks: true }),
    ).rejects.toThrow(RemoteEndpointRefusedError);
    const resolved = await resolveEndpoint('http://127.0.0.1/hook', {
      allowPrivateNetworks: true,
      allowPlainHttp: true,
    });
    expect(resolved.port).toBe(80);
  });
});
