// A worker killed (SIGKILL) while it delivers webhooks: another worker picks the deliveries up when
// the heartbeat stops. Nothing is lost; what was in flight arrives again with the same webhook-id.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.js';
import { waitFor } from '../support/wait-for.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';
import { WorkerProcesses } from '../support/worker-processes.js';

describe('a worker killed mid-delivery', () => {
  let h: Harness;
  let receiver: WebhookReceiver;
  const env = () => ({
    WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true',
    WEBHOOKS_CA_FILE: receiver.caFile,
    WEBHOOKS_RETRY_SCHEDULE: '0,200ms,400ms',
    WEBHOOKS_SWEEP_INTERVAL: '1s',
  });
  const workers = new WorkerProcesses(() => h, env);

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    h = await startHarness({ env: { BAZAAR_ROLES: 'api', ...env() } });
    await workers.start();
  }, 120_000);
  afterAll(async () => {
    workers.killAll();
    await h?.stop();
    await receiver?.stop();
  });

  it('loses no event and re-sends the one in flight with the same webhook-id', async () => {
    const org = await h.createOrg('crash');
    const created = await h.request('POST', '/v1/webhooks', {
      token: org.token,
      body: { url: receiver.url('/slow'), eventTypes: ['invoice.finalized'] },
    });
    expect(created.status).toBe(201);
    receiver.trust(created.body.secret);
    const endpointId = created.body.endpoint.id as string;
    // The 3rd request hangs: the worker is killed while it waits for the answer.
    receiver.respond('/slow', (count) => (count === 3 ? 'hang' : 200));

    const sent: string[] = [];
    for (let i = 0; i < 10; i++) {
      const test = await h.request('POST', `/v1/webhooks/${endpointId}/test`, { token: org.token });
      expect(test.status).toBe(202);
      sent.push(test.body.eventId);
    }
    await waitFor(async () => receiver.at('/slow').length >= 3, 'the worker to be mid-delivery');
    const inFlight = receiver.at('/slow')[2]!.headers['webhook-id'];
    workers.killAll();

    await workers.start();
    await waitFor(
      async () => {
        const ids = new Set(receiver.at('/slow').map((request) => request.headers['webhook-id']));
        return sent.every((id) => ids.has(id));
      },
      'every event to arrive after the restart',
      60_000,
    );
    const got = receiver.at('/slow');
    expect(got.every((request) => request.verifiedWith.length === 1)).toBe(true);
    // At most a duplicate, and only of what was in flight (or sent but not yet recorded) when killed.
    const counts = new Map<string, number>();
    for (const request of got)
      counts.set(
        request.headers['webhook-id'] as string,
        (counts.get(request.headers['webhook-id'] as string) ?? 0) + 1,
      );
    expect(counts.get(inFlight as string)).toBe(2);
    expect([...counts.values()].every((count) => count <= 2)).toBe(true);
    const list = await waitFor(async () => {
      const response = await h.request('GET', `/v1/webhooks/${endpointId}/deliveries?status=succeeded`, {
        token: org.token,
      });
      return response.body.deliveries.length === sent.length ? response.body.deliveries : null;
    }, 'every delivery to be recorded as succeeded');
    expect(list.map((delivery: { eventId: string }) => delivery.eventId).sort()).toEqual([...sent].sort());
  }, 90_000);
});
