import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nonRetryable } from '../../src/domain/failures.js';
import { echoArtifact, installAgent } from '../support/agents.js';
import { startHarness, type Harness } from '../support/harness.js';
import { publishAgent } from '../support/publish.js';

/** One sample's value from Prometheus text, by metric name and exact label set; undefined if absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels)
    .map(([key, value]) => `${key}="${value}"`)
    .sort()
    .join(',');
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const got = (match[2] ?? '')
      .split(/,(?=\w+=")/)
      .filter(Boolean)
      .sort()
      .join(',');
    if (got === wanted) return Number(match[3]);
  }
  return undefined;
}

describe('metrics: Prometheus text at /metrics on METRICS_PORT', () => {
  let h: Harness;
  let publisher: { org: { id: string }; token: string };
  let slug: string;
  // Set by a test: the next beginExecution fails as the real one does when the installation may not run.
  let refuseNextBegin = false;

  const scrape = async () => {
    const response = await fetch(h.metricsUrl!);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return response.text();
  };

  beforeAll(async () => {
    h = await startHarness({
      env: { METRICS_PORT: '0' },
      activities: (real) => ({
        async beginExecution(input) {
          if (refuseNextBegin) {
            refuseNextBegin = false;
            throw nonRetryable('NotEntitled', 'refused for the test');
          }
          return real.beginExecution(input);
        },
      }),
    });
    publisher = await h.createOrg('publisher');
    slug = (
      await publishAgent(h, {
        publisherToken: publisher.token,
        reviewerToken: await h.createPlatformKey('reviewer'),
        artifact: echoArtifact(),
      })
    ).slug;
  }, 120_000);
  afterAll(() => h?.stop());

  it('times requests by route template and status, never by raw path', async () => {
    const id = randomUUID();
    const { token } = await h.createOrg();
    expect((await h.request('GET', `/v1/installations/${id}`, { token: null })).status).toBe(401);
    expect((await h.request('GET', `/v1/installations/${id}`, { token })).status).toBe(404);
    expect((await h.request('GET', `/v1/no-such-thing/${id}`)).status).toBe(404);
    expect((await h.request('GET', '/health')).status).toBe(200);

    const text = await scrape();
    const count = (route: string, status: string) =>
      sample(text, 'bazaar_http_request_duration_seconds_count', { method: 'GET', route, status });
    expect(count('/v1/installations/:id', '401')).toBe(1);
    expect(count('/v1/installations/:id', '404')).toBe(1);
    expect(count('unmatched', '404')).toBeGreaterThanOrEqual(1);
    expect(count('/health', '200')).toBeGreaterThanOrEqual(1);
    expect(
      sample(text, 'bazaar_http_request_duration_seconds_bucket', {
        method: 'GET',
        route: '/v1/installations/:id',
        status: '401',
        le: '+Inf',
      }),
    ).toBe(1);
    expect(text).not.toContain(id);
    // Node's own process metrics, under the same prefix.
    expect(text).toMatch(/^bazaar_process_cpu_user_seconds_total \d/m);
  });

  it('counts workflow starts and outcomes, activities, executions by status and runtime, and the index', async () => {
    const { consumer, installationId } = await installAgent(h, slug);
    const run = await h.request('POST', `/v1/installations/${installationId}/executions`, {
      token: consumer.token,
      body: { input: { hello: 'metrics' }, mode: 'sync' },
    });
    expect(run.body.status).toBe('succeeded');
    refuseNextBegin = true;
    const refused = await h.request('POST', `/v1/installations/${installationId}/executions`, {
      token: consumer.token,
      body: { input: {}, mode: 'sync' },
    });
    expect(refused.body).toMatchObject({
      status: 'failed',
      reason: expect.stringContaining('refused for the test'),
    });
    // The answer comes once the execution is finished; its workflow ends just after.
    for (const { workflowId } of [run.body, refused.body])
      await h.temporal.workflow.getHandle(workflowId).result();

    const text = await scrape();
    expect(sample(text, 'bazaar_executions_total', { status: 'succeeded', runtime: 'process' })).toBe(1);
    expect(sample(text, 'bazaar_executions_total', { status: 'failed', runtime: 'process' })).toBe(1);
    expect(sample(text, 'bazaar_workflow_starts_total', { type: 'executeAgent' })).toBe(2);
    expect(sample(text, 'bazaar_workflow_starts_total', { type: 'provisionInstallation' })).toBe(1);
    expect(
      sample(text, 'bazaar_workflow_outcomes_total', { type: 'provisionInstallation', outcome: 'completed' }),
    ).toBe(1);
    expect(
      sample(text, 'bazaar_workflow_outcomes_total', { type: 'executeAgent', outcome: 'completed' }),
    ).toBe(2);
    expect(sample(text, 'bazaar_activity_duration_seconds_count', { activity: 'runExecution' })).toBe(1);
    expect(
      sample(text, 'bazaar_activity_failures_total', { activity: 'beginExecution', type: 'NotEntitled' }),
    ).toBe(1);
    expect(
      sample(text, 'bazaar_activity_failures_total', { activity: 'runExecution', type: 'NotEntitled' }),
    ).toBe(undefined);
    // The listing published above is in the index, so it holds at least one vector.
    expect(sample(text, 'bazaar_search_index_vectors')).toBeGreaterThanOrEqual(1);
  });

  it('counts usage events reported over the API, accepted and duplicate', async () => {
    const { installationId } = await installAgent(h, slug);
    const events = [1, 2, 3].map((n) => ({ id: `metrics-${n}`, installationId, tokensIn: n }));
    const report = () => h.request('POST', '/v1/usage-events', { token: publisher.token, body: { events } });
    expect((await report()).body).toEqual({ accepted: 3, duplicates: 0 });
    expect((await report()).body).toEqual({ accepted: 0, duplicates: 3 });

    const text = await scrape();
    expect(sample(text, 'bazaar_usage_events_ingested_total', { result: 'accepted' })).toBe(3);
    expect(sample(text, 'bazaar_usage_events_ingested_total', { result: 'duplicate' })).toBe(3);
  });

  it('is served on its own port only: not on the API, nothing else on the metrics port', async () => {
    expect((await h.app.request('/metrics')).status).toBe(404);
    expect((await h.request('GET', '/metrics')).status).toBe(404);
    const metricsPort = new URL(h.metricsUrl!);
    expect((await fetch(new URL('/v1/installations', metricsPort))).status).toBe(404);
    expect((await fetch(h.metricsUrl!, { method: 'POST' })).status).toBe(405);
  });

  it('backs every series the Grafana dashboard queries (k8s/grafana-dashboard.json)', async () => {
    const dashboard = await readFile(new URL('../../k8s/grafana-dashboard.json', import.meta.url), 'utf8');
    const names = new Set(dashboard.match(/\bbazaar_\w+/g));
    expect(names.size).toBeGreaterThan(8);
    // After the tests above, every metric of Bazaar's has at least one sample.
    const text = await scrape();
    const missing = [...names].filter((name) => !new RegExp(`^${name}[{ ]`, 'm').test(text));
    expect(missing).toEqual([]);
  });
});
