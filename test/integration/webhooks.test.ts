// Webhook endpoints and delivery against a real HTTPS receiver on loopback that verifies every
// signature with its own code: registration, isolation, signing and rotation, the retry schedule on a
// short clock, disabling, manual retry, recovery, the test event, and no secret in anything sent.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTransaction } from '../../src/db/pool.js';
import { recordEvent } from '../../src/domain/events/repository.js';
import { SIGNING_SECRET_GRACE_MS } from '../../src/domain/signing/rotating-secrets.js';
import { webhookDeliveryWorkflowId } from '../../src/workflows/deliver-webhooks.js';
import { startHarness, type Harness } from '../support/harness.js';
import { recordHistory } from '../support/histories.js';
import { secretLeaks } from '../support/secret-leaks.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';
import { waitFor } from '../support/wait-for.js';

// Attempts at 0, +200 ms, +400 ms, +600 ms; an endpoint failing for 4 s is disabled.
const SCHEDULE = [0, 200, 400, 600];

describe('webhooks', () => {
  let h: Harness;
  let receiver: WebhookReceiver;
  let a: { org: { id: string }; token: string };
  let b: { org: { id: string }; token: string };
  const secretsShown: string[] = [];

  const register = async (
    org: { token: string },
    path: string,
    eventTypes: string[] = ['installation.removed'],
  ) => {
    const created = await h.request('POST', '/v1/webhooks', {
      token: org.token,
      body: { url: receiver.url(path), eventTypes, description: `receiver ${path}` },
    });
    expect(created.status).toBe(201);
    receiver.trust(created.body.secret);
    secretsShown.push(created.body.secret);
    return created.body as { endpoint: { id: string; status: string }; secret: string };
  };
  const deliveries = async (org: { token: string }, id: string, query = '') => {
    const response = await h.request('GET', `/v1/webhooks/${id}/deliveries${query}`, { token: org.token });
    expect(response.status).toBe(200);
    return response.body.deliveries as Array<Record<string, any>>;
  };
  // An event of the organisation, recorded as the code that makes the change records it.
  const recordRemoval = (orgId: string) =>
    withTransaction(h.db, (tx) =>
      recordEvent(tx, {
        orgId,
        type: 'installation.removed',
        data: {
          installationId: randomUUID(),
          listingId: randomUUID(),
          versionId: randomUUID(),
          version: '1.0.0',
        },
      }),
    ) as Promise<string>;
  const received = (path: string, count: number) =>
    waitFor(
      async () => (receiver.at(path).length >= count ? receiver.at(path) : null),
      `${count} deliveries at ${path}`,
    );

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    h = await startHarness({
      env: {
        WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true',
        WEBHOOKS_CA_FILE: receiver.caFile,
        WEBHOOKS_RETRY_SCHEDULE: SCHEDULE.map((ms) => `${ms}ms`).join(','),
        WEBHOOKS_DISABLE_AFTER: '4s',
        WEBHOOKS_SWEEP_INTERVAL: '2s',
        METRICS_PORT: '0',
      },
    });
    a = await h.createOrg('webhooks-a');
    b = await h.createOrg('webhooks-b');
  }, 120_000);
  afterAll(async () => {
    await h?.stop();
    await receiver?.stop();
  });

  it('registers an endpoint, shows its secret once, and lists, reads, changes and deletes it', async () => {
    const { endpoint, secret } = await register(a, '/crud');
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/=]{40,}$/);
    expect(endpoint).toMatchObject({
      url: receiver.url('/crud'),
      eventTypes: ['installation.removed'],
      description: 'receiver /crud',
      status: 'active',
      disabledReason: null,
    });
    const listed = await h.request('GET', '/v1/webhooks', { token: a.token });
    expect(listed.body.endpoints.map((e: { id: string }) => e.id)).toContain(endpoint.id);
    const read = await h.request('GET', `/v1/webhooks/${endpoint.id}`, { token: a.token });
    expect(read.body).toEqual(endpoint);
    expect(JSON.stringify([listed.body, read.body])).not.toContain(secret.slice(6, 30));

    const patched = await h.request('PATCH', `/v1/webhooks/${endpoint.id}`, {
      token: a.token,
      body: { eventTypes: ['invoice.finalized', 'webhook.endpoint_disabled'], description: null },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      eventTypes: ['invoice.finalized', 'webhook.endpoint_disabled'],
      description: null,
    });
    const off = await h.request('PATCH', `/v1/webhooks/${endpoint.id}`, {
      token: a.token,
      body: { status: 'disabled' },
    });
    expect(off.body).toMatchObject({ status: 'disabled', disabledReason: 'disabled by an admin' });

    expect((await h.request('DELETE', `/v1/webhooks/${endpoint.id}`, { token: a.token })).status).toBe(204);
    expect((await h.request('GET', `/v1/webhooks/${endpoint.id}`, { token: a.token })).status).toBe(404);
    expect(await h.secrets.get(a.org.id, `bazaar-webhook-${endpoint.id}`)).toBeNull();
  });

  it('refuses bad input with the field path', async () => {
    const badType = await h.request('POST', '/v1/webhooks', {
      token: a.token,
      body: { url: receiver.url('/x'), eventTypes: ['version.nope'] },
    });
    expect(badType.status).toBe(400);
    expect(badType.body.error.details[0].path).toBe('json.eventTypes.0');
    const testType = await h.request('POST', '/v1/webhooks', {
      token: a.token,
      body: { url: receiver.url('/x'), eventTypes: ['webhook.test'] },
    });
    expect(testType.status).toBe(400);
    const noTypes = await h.request('POST', '/v1/webhooks', {
      token: a.token,
      body: { url: receiver.url('/x'), eventTypes: [] },
    });
    expect(noTypes.status).toBe(400);
    const notUrl = await h.request('POST', '/v1/webhooks', {
      token: a.token,
      body: { url: 'nope', eventTypes: ['invoice.finalized'] },
    });
    expect(notUrl.status).toBe(422);
    expect(notUrl.body.error.details[0].path).toBe('json.url');
  });

  it('delivers an event signed per Standard Webhooks, with the event id as webhook-id, and records the attempt', async () => {
    const { endpoint } = await register(a, '/signed');
    const eventId = await recordRemoval(a.org.id);
    const [got] = await received('/signed', 1);
    expect(got!.headers['webhook-id']).toBe(eventId);
    expect(Math.abs(Number(got!.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(60);
    expect(got!.signatures).toHaveLength(1);
    expect(got!.verifiedWith).toHaveLength(1);
    expect(got!.event).toEqual({
      id: eventId,
      type: 'installation.removed',
      occurredAt: expect.any(String),
      orgId: a.org.id,
      data: expect.objectContaining({ version: '1.0.0' }),
    });
    const [delivery] = await waitFor(async () => {
      const list = await deliveries(a, endpoint.id);
      return list[0]?.status === 'succeeded' ? list : null;
    }, 'the delivery to be recorded');
    expect(delivery).toMatchObject({
      eventId,
      eventType: 'installation.removed',
      attemptCount: 1,
      lastStatusCode: 200,
    });
    expect(delivery!.attempts).toEqual([
      expect.objectContaining({
        statusCode: 200,
        error: null,
        nextRetryAt: null,
        latencyMs: expect.any(Number),
      }),
    ]);
    // The answer's excerpt is capped.
    expect(delivery!.attempts[0].responseExcerpt.length).toBe(1024);
  });

  it('sends webhook.test to that endpoint only', async () => {
    const { endpoint } = await register(a, '/test-only');
    const other = await register(a, '/test-other');
    const sent = await h.request('POST', `/v1/webhooks/${endpoint.id}/test`, { token: a.token });
    expect(sent.status).toBe(202);
    const [got] = await received('/test-only', 1);
    expect(got!.event).toMatchObject({
      id: sent.body.eventId,
      type: 'webhook.test',
      data: { endpointId: endpoint.id },
    });
    expect(got!.verifiedWith).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(receiver.at('/test-other')).toEqual([]);
    expect(await deliveries(a, other.endpoint.id)).toEqual([]);
  });

  it('retries on the configured schedule with the same webhook-id until a 2xx', async () => {
    receiver.respond('/flaky', (count) => (count <= 2 ? 503 : 200));
    const { endpoint } = await register(a, '/flaky');
    const eventId = await recordRemoval(a.org.id);
    const got = await received('/flaky', 3);
    expect(got.map((request) => request.headers['webhook-id'])).toEqual([eventId, eventId, eventId]);
    expect(got.every((request) => request.verifiedWith.length === 1)).toBe(true);
    const gaps = [got[1]!.receivedAt - got[0]!.receivedAt, got[2]!.receivedAt - got[1]!.receivedAt];
    expect(gaps[0]).toBeGreaterThanOrEqual(SCHEDULE[1]! - 20);
    expect(gaps[1]).toBeGreaterThanOrEqual(SCHEDULE[2]! - 20);
    const [delivery] = await waitFor(async () => {
      const list = await deliveries(a, endpoint.id, '?status=succeeded');
      return list.length === 1 ? list : null;
    }, 'the delivery to succeed');
    expect(delivery!.attempts.map((attempt: { statusCode: number }) => attempt.statusCode)).toEqual([
      200, 503, 503,
    ]);
    expect(delivery!.attempts[1].nextRetryAt).not.toBeNull();
    expect(delivery!.attempts[1].error).toContain('HTTP 503');
    // Its history (retries slept on timers) is kept for the replay test.
    await recordHistory(webhookDeliveryWorkflowId(endpoint.id), 'deliver-webhooks-retried');
  });

  it('gives up when the schedule is spent; a manual retry sends it once more', async () => {
    let down = true;
    receiver.respond('/down', () => (down ? 500 : 204));
    const { endpoint } = await register(a, '/down');
    const eventId = await recordRemoval(a.org.id);
    const [failed] = await waitFor(async () => {
      const list = await deliveries(a, endpoint.id, '?status=failed');
      return list.length === 1 ? list : null;
    }, 'the delivery to fail for good');
    expect(failed).toMatchObject({
      eventId,
      attemptCount: SCHEDULE.length,
      lastStatusCode: 500,
      nextAttemptAt: null,
    });
    expect(receiver.at('/down')).toHaveLength(SCHEDULE.length);

    down = false;
    const retried = await h.request('POST', `/v1/webhooks/${endpoint.id}/deliveries/${failed!.id}/retry`, {
      token: a.token,
    });
    expect(retried.status).toBe(202);
    const again = await received('/down', SCHEDULE.length + 1);
    expect(again.at(-1)!.headers['webhook-id']).toBe(eventId);
    await waitFor(
      async () => (await deliveries(a, endpoint.id))[0]?.status === 'succeeded',
      'the retry to succeed',
    );
    const missing = await h.request('POST', `/v1/webhooks/${endpoint.id}/deliveries/${randomUUID()}/retry`, {
      token: a.token,
    });
    expect(missing.status).toBe(404);
  });

  it('disables an endpoint failing for longer than configured, and says so in an event', async () => {
    receiver.respond('/broken', () => 500);
    const watcher = await register(a, '/watcher', ['webhook.endpoint_disabled']);
    const { endpoint } = await register(a, '/broken');
    await recordRemoval(a.org.id);
    await received('/broken', SCHEDULE.length);
    // Still failing 4 s after the first failure: the next failed attempt disables it.
    await new Promise((resolve) => setTimeout(resolve, 4200));
    await recordRemoval(a.org.id);
    const [notice] = await received('/watcher', 1);
    expect(notice!.event).toMatchObject({
      type: 'webhook.endpoint_disabled',
      data: { endpointId: endpoint.id },
    });
    const read = await h.request('GET', `/v1/webhooks/${endpoint.id}`, { token: a.token });
    expect(read.body.status).toBe('disabled');
    expect(read.body.disabledReason).toMatch(/every attempt has failed since .*HTTP 500/);

    // Disabled: new events are not sent to it, nor tests; re-enabled: they are again.
    const before = receiver.at('/broken').length;
    await recordRemoval(a.org.id);
    const refused = await h.request('POST', `/v1/webhooks/${endpoint.id}/test`, { token: a.token });
    expect(refused.status).toBe(422);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(receiver.at('/broken')).toHaveLength(before);
    receiver.respond('/broken', () => 200);
    const enabled = await h.request('PATCH', `/v1/webhooks/${endpoint.id}`, {
      token: a.token,
      body: { status: 'active' },
    });
    expect(enabled.body).toMatchObject({ status: 'active', disabledReason: null, failingSince: null });
    const last = await recordRemoval(a.org.id);
    await waitFor(
      async () => receiver.at('/broken').some((request) => request.headers['webhook-id'] === last),
      'the re-enabled endpoint to receive the next event',
    );
    expect(watcher.endpoint.status).toBe('active');
  }, 30_000);

  it('signs with both secrets during a rotation grace period', async () => {
    const { endpoint, secret: old } = await register(a, '/rotate');
    const rotated = await h.request('POST', `/v1/webhooks/${endpoint.id}/rotate-secret`, { token: a.token });
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).not.toBe(old);
    expect(Date.parse(rotated.body.previousValidUntil) - Date.now()).toBeGreaterThan(
      SIGNING_SECRET_GRACE_MS - 60_000,
    );
    receiver.trust(rotated.body.secret);
    secretsShown.push(rotated.body.secret);
    await recordRemoval(a.org.id);
    const [got] = await received('/rotate', 1);
    expect(got!.signatures).toHaveLength(2);
    expect(got!.verifiedWith.sort()).toEqual([old, rotated.body.secret].sort());
  });

  it('recovers: re-sends every event of its types since a time, including ones from before it existed', async () => {
    const since = new Date(Date.now() - 1000).toISOString();
    const earlier = await recordRemoval(b.org.id);
    const { endpoint } = await register(b, '/recover');
    const later = await recordRemoval(b.org.id);
    await received('/recover', 1);
    const recovered = await h.request('POST', `/v1/webhooks/${endpoint.id}/recover`, {
      token: b.token,
      body: { since },
    });
    expect(recovered.status).toBe(202);
    expect(recovered.body.deliveries).toBe(2);
    const got = await received('/recover', 3);
    expect(got.map((request) => request.headers['webhook-id']).sort()).toEqual(
      [earlier, later, later].sort(),
    );
    const future = await h.request('POST', `/v1/webhooks/${endpoint.id}/recover`, {
      token: b.token,
      body: { since: new Date(Date.now() + 3600_000).toISOString() },
    });
    expect(future.status).toBe(400);
  });

  it("keeps one organisation's endpoints and deliveries from another (404), and its events from another's endpoints", async () => {
    const { endpoint } = await register(a, '/isolated-a');
    const ofB = await register(b, '/isolated-b');
    await recordRemoval(a.org.id);
    await received('/isolated-a', 1);
    const [delivery] = await deliveries(a, endpoint.id);
    for (const [method, path] of [
      ['GET', `/v1/webhooks/${endpoint.id}`],
      ['PATCH', `/v1/webhooks/${endpoint.id}`],
      ['DELETE', `/v1/webhooks/${endpoint.id}`],
      ['POST', `/v1/webhooks/${endpoint.id}/rotate-secret`],
      ['POST', `/v1/webhooks/${endpoint.id}/test`],
      ['GET', `/v1/webhooks/${endpoint.id}/deliveries`],
      ['POST', `/v1/webhooks/${endpoint.id}/deliveries/${delivery!.id}/retry`],
      ['POST', `/v1/webhooks/${endpoint.id}/recover`],
      // A's delivery through B's own endpoint.
      ['POST', `/v1/webhooks/${ofB.endpoint.id}/deliveries/${delivery!.id}/retry`],
    ] as const) {
      const response = await h.request(method, path, {
        token: b.token,
        body: method === 'GET' || method === 'DELETE' ? undefined : {},
      });
      expect(response.status, `${method} ${path}`).toBe(404);
    }
    const listed = await h.request('GET', '/v1/webhooks', { token: b.token });
    expect(listed.body.endpoints.map((e: { id: string }) => e.id)).not.toContain(endpoint.id);
    expect(receiver.at('/isolated-b').every((request) => request.event.orgId === b.org.id)).toBe(true);
    expect(
      receiver.received.filter(
        (request) => request.path.startsWith('/isolated-b') && request.event.orgId === a.org.id,
      ),
    ).toEqual([]);
  });

  it('counts deliveries by outcome and times attempts in /metrics', async () => {
    const text = await (await fetch(h.metricsUrl!)).text();
    const value = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? 0);
    expect(value(/^bazaar_webhook_deliveries_total\{outcome="succeeded"\} (\d+)/m)).toBeGreaterThan(5);
    expect(value(/^bazaar_webhook_deliveries_total\{outcome="failed_retrying"\} (\d+)/m)).toBeGreaterThan(3);
    expect(value(/^bazaar_webhook_deliveries_total\{outcome="failed_final"\} (\d+)/m)).toBeGreaterThan(0);
    expect(value(/^bazaar_webhook_attempt_duration_seconds_count (\d+)/m)).toBeGreaterThan(10);
    expect(value(/^bazaar_webhook_event_to_first_attempt_seconds_count (\d+)/m)).toBeGreaterThan(5);
  });

  it('sends no API key or signing secret in any body or header', async () => {
    expect(receiver.received.length).toBeGreaterThan(10);
    const sent = JSON.stringify(receiver.received.map(({ headers, body }) => ({ headers, body })));
    for (const secret of [...secretsShown, a.token, b.token, h.adminToken]) {
      expect(secretLeaks(sent, secret), 'a secret in a delivery').toEqual([]);
    }
  });
});

describe('webhook addresses without WEBHOOKS_ALLOW_PRIVATE_NETWORKS', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ env: { BAZAAR_ROLES: 'api' } });
  }, 120_000);
  afterAll(() => h?.stop());

  it('refuses loopback, private, link-local and plain-http URLs with a clear error naming json.url', async () => {
    const org = await h.createOrg('ssrf');
    const cases: Array<[string, RegExp]> = [
      ['https://127.0.0.1/hook', /127\.0\.0\.1 is not a public address \(loopback\)/],
      ['https://10.1.2.3/hook', /private/],
      ['https://169.254.169.254/latest/meta-data', /link-local/],
      ['https://[::1]/hook', /loopback/],
      ['https://[::ffff:192.168.0.1]/hook', /private/],
      ['http://example.com/hook', /must be https/],
      ['https://user:pw@example.com/hook', /user name or password/],
    ];
    for (const [url, why] of cases) {
      const response = await h.request('POST', '/v1/webhooks', {
        token: org.token,
        body: { url, eventTypes: ['invoice.finalized'] },
      });
      expect(response.status, url).toBe(422);
      expect(response.body.error.message, url).toMatch(why);
      expect(response.body.error.message).toMatch(/^the webhook URL/);
      expect(response.body.error.details[0].path).toBe('json.url');
    }
    expect((await h.request('GET', '/v1/webhooks', { token: org.token })).body.endpoints).toEqual([]);
  });
});
