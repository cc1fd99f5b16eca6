import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { echoArtifact, installAgent } from '../support/agents.js';
import { publishAgent } from '../support/publish.js';
import { startHarness, type Harness } from '../support/harness.js';

describe('usage meter: publishers report their remote agents’ usage', () => {
  let h: Harness;
  let publisher: { org: { id: string }; token: string };
  let slug: string;

  const report = (token: string, events: unknown[]) =>
    h.request('POST', '/v1/usage-events', { token, body: { events } });

  /** The installation's monthly aggregates next to the same sums over its raw events. */
  async function aggregatesAndRawSums(installationId: string) {
    const { rows } = await h.db.query(
      `SELECT (SELECT row(sum(invocations), sum(tokens_in), sum(tokens_out), sum(cost))::text
                 FROM usage_monthly WHERE installation_id = $1) AS aggregated,
              (SELECT row(sum(invocations), sum(tokens_in), sum(tokens_out), sum(cost))::text
                 FROM usage_events WHERE installation_id = $1) AS raw`,
      [installationId],
    );
    return rows[0];
  }

  beforeAll(async () => {
    h = await startHarness();
    publisher = await h.createOrg('publisher');
    const listing = await publishAgent(h, {
      publisherToken: publisher.token,
      reviewerToken: await h.createPlatformKey('reviewer'),
      artifact: echoArtifact(),
      manifest: { pricing: { model: 'usage_based', pricePerInvocation: 0.02, pricePer1kTokens: 0.5 } },
    });
    slug = listing.slug;
  }, 120_000);
  afterAll(() => h.stop());

  it('prices events from the installation’s snapshot and counts each id once', async () => {
    const { consumer, installationId } = await installAgent(h, slug);
    const events = [
      { id: 'call-1', installationId, invocations: 2, tokensIn: 300, tokensOut: 700 },
      { id: 'call-2', installationId, tokensIn: 1, occurredAt: new Date(Date.now() - 1000).toISOString() },
    ];
    const first = await report(publisher.token, events);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ accepted: 2, duplicates: 0 });
    expect((await report(publisher.token, events)).body).toEqual({ accepted: 0, duplicates: 2 });

    const stored = await h.db.query(
      `SELECT event_id, source, cost::text FROM usage_events WHERE installation_id = $1 ORDER BY event_id`,
      [installationId],
    );
    expect(stored.rows).toEqual([
      // 2 × 0.02 + 1000 tokens × 0.5 / 1k; 1 × 0.02 + 1 token × 0.5 / 1k: exact decimals, no floats.
      expect.objectContaining({ source: 'publisher', cost: '0.5400000000' }),
      expect.objectContaining({ source: 'publisher', cost: '0.0205000000' }),
    ]);
    const sums = await aggregatesAndRawSums(installationId);
    expect(sums.aggregated).toBe(sums.raw);

    const usage = await h.request('GET', `/v1/usage?listing=${slug}`, { token: consumer.token });
    expect(usage.body.usage[0]).toMatchObject({ invocations: 3, tokensIn: 301, cost: '0.5605000000' });
  });

  it('refuses a whole report, naming each bad event, and stores none of it', async () => {
    const { consumer, installationId } = await installAgent(h, slug);
    const otherPublisher = await h.createOrg();
    const good = { id: 'ok-1', installationId };
    expect((await report(otherPublisher.token, [good])).status).toBe(422);
    expect((await report(consumer.token, [good])).status).toBe(422); // the consumer is not the publisher
    const mixed = await report(publisher.token, [
      good,
      { id: 'future', installationId, occurredAt: '2999-01-01T00:00:00Z' },
      { id: 'before', installationId, occurredAt: '2020-01-01T00:00:00Z' },
      { id: 'unknown', installationId: randomUUID() },
    ]);
    expect(mixed.status).toBe(422);
    expect(mixed.body.error.details.refused).toEqual([
      { index: 1, id: 'future', problem: 'occurredAt is in the future' },
      { index: 2, id: 'before', problem: 'occurredAt is before the installation was provisioned' },
      { index: 3, id: 'unknown', problem: expect.stringContaining('not found') },
    ]);
    const stored = await h.db.query(
      'SELECT count(*)::int AS n FROM usage_events WHERE installation_id = $1',
      [installationId],
    );
    expect(stored.rows[0].n).toBe(0);

    const invalid = await report(publisher.token, [{ id: '', installationId, tokensIn: -1 }]);
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.details.map((d: { path: string }) => d.path)).toEqual(
      expect.arrayContaining(['json.events.0.id', 'json.events.0.tokensIn']),
    );
    expect((await report(publisher.token, [])).status).toBe(400);
    expect(
      (await h.request('POST', '/v1/usage-events', { token: null, body: { events: [good] } })).status,
    ).toBe(401);
  });

  it('ingests concurrent overlapping reports exactly once, aggregates in step', async () => {
    const { installationId } = await installAgent(h, slug);
    const ids = Array.from({ length: 300 }, (_, i) => `burst-${i}`);
    // 12 reports of 50 events each, every id sent twice, all at once.
    const reports = Array.from({ length: 12 }, (_, r) =>
      ids.slice((r % 6) * 50, (r % 6) * 50 + 50).map((id) => ({ id, installationId, tokensOut: 10 })),
    );
    const answers = await Promise.all(reports.map((events) => report(publisher.token, events)));
    expect(answers.every((answer) => answer.status === 200)).toBe(true);
    const accepted = answers.reduce((sum, answer) => sum + answer.body.accepted, 0);
    const duplicates = answers.reduce((sum, answer) => sum + answer.body.duplicates, 0);
    expect({ accepted, duplicates }).toEqual({ accepted: 300, duplicates: 300 });
    const sums = await aggregatesAndRawSums(installationId);
    expect(sums.aggregated).toBe(sums.raw);
    expect(sums.raw).toBe('(300,0,3000,7.5000000000)');
  });
});
