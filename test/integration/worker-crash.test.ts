// A worker killed (SIGKILL, with its sandboxed agent) in the middle of an execution: another worker
// picks the execution up when the heartbeat stops, and it still ends in one terminal state with one
// usage event.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packFiles } from '../support/artifacts.js';
import { listingBody, manifest, startHarness, type Harness } from '../support/harness.js';
import { approveSubmission } from '../support/publish.js';
import { waitFor } from '../support/wait-for.js';
import { WorkerProcesses } from '../support/worker-processes.js';

// Takes about five seconds, so the worker can be killed while it runs.
const slowAgent = `
let raw = '';
process.stdin.on('data', (chunk) => (raw += chunk));
process.stdin.on('end', () => setTimeout(() => {
  process.stdout.write(JSON.stringify({ done: JSON.parse(raw) }));
  console.error(JSON.stringify({ usage: { tokensIn: 10, tokensOut: 20 } }));
}, 5000));
`;

describe('a worker killed mid-execution', () => {
  let h: Harness;
  const workers = new WorkerProcesses(() => h);

  beforeAll(async () => {
    h = await startHarness({ env: { BAZAAR_ROLES: 'api' } });
    await workers.start();
  }, 120_000);
  afterAll(async () => {
    workers.killAll();
    await h.stop();
  });

  it('ends in one terminal state with one usage event, run to completion by another worker', async () => {
    const publisher = await h.createOrg('publisher');
    const reviewer = await h.createPlatformKey('reviewer');
    const listing = await h.request('POST', '/v1/listings', { token: publisher.token, body: listingBody() });
    await h.request('POST', `/v1/listings/${listing.body.id}/versions`, {
      token: publisher.token,
      body: manifest({
        requiredCredentials: [],
        resources: { cpu: '500m', memory: '128Mi', timeoutSeconds: 30 },
      }),
    });
    const upload = await h.app.request(`/v1/listings/${listing.body.id}/versions/1.0.0/artifact`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${publisher.token}`, 'content-type': 'application/gzip' },
      body: new Uint8Array(await packFiles({ 'main.js': slowAgent })),
    });
    expect(upload.status).toBe(200);
    const submitted = await h.request('POST', `/v1/listings/${listing.body.id}/versions/1.0.0/submit`, {
      token: publisher.token,
    });
    await approveSubmission(h, submitted.body.workflowId, reviewer);

    const consumer = await h.createOrg();
    const installed = await h.request('POST', '/v1/installations', {
      token: consumer.token,
      body: { listing: listing.body.slug },
    });
    await h.temporal.workflow.getHandle(installed.body.workflowId).result();

    const started = await h.request('POST', `/v1/installations/${installed.body.installationId}/executions`, {
      token: consumer.token,
      body: { input: { order: 42 }, mode: 'async' },
    });
    const executionId = started.body.executionId as string;
    const status = async () =>
      (await h.request('GET', `/v1/executions/${executionId}`, { token: consumer.token })).body;
    await waitFor(async () => (await status()).status === 'running', 'the execution to be running');
    await new Promise((resolve) => setTimeout(resolve, 1000)); // the agent is mid-run now
    workers.killAll();

    await workers.start();
    const finished = await waitFor(
      async () => {
        const current = await status();
        return ['succeeded', 'failed', 'timed_out'].includes(current.status) ? current : null;
      },
      'the execution to end on the second worker',
      90_000,
    );
    expect(finished).toMatchObject({
      status: 'succeeded',
      output: { done: { order: 42 } },
      tokensIn: 10,
      tokensOut: 20,
    });

    const events = await h.db.query('SELECT count(*)::int AS n FROM usage_events WHERE execution_id = $1', [
      executionId,
    ]);
    expect(events.rows[0].n).toBe(1);
    const history = await h.temporal.workflow.getHandle(started.body.workflowId).fetchHistory();
    const attempts = history
      .events!.filter((event) => event.activityTaskStartedEventAttributes)
      .map((event) => event.activityTaskStartedEventAttributes!.attempt);
    expect(Math.max(...attempts.map(Number))).toBeGreaterThanOrEqual(2); // the run was retried after the kill
  }, 180_000);
});
