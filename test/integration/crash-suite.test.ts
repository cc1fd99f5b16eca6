// The crash suite: about 100 mixed operations (install, execute, report usage, upgrade, webhook
// test events, remove, a billing run) against a Bazaar whose API and worker run as separate OS
// processes, while the API and the worker are SIGKILLed and restarted, PostgreSQL is crash-stopped
// and restarted, and the Temporal dev server is restarted, at seeded random points. Then the
// promises: every accepted operation reached its one final state, nothing ran or was counted twice,
// no installation is stuck, no runtime is left behind, and no credential value is anywhere it must
// not be. PostgreSQL and Temporal are this suite's own (the machine's server is shared: never restarted).
// CRASH_SEED=<n> replays a run's kill points.
import { randomBytes, randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secretForms } from '../../src/domain/credentials/redact-secrets.js';
import { createLogger } from '../../src/logger.js';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server.js';
import { ensureSearchAttributes } from '../../src/temporal/search-attributes.js';
import { packDirectory } from '../support/artifacts.js';
import { BazaarProcess } from '../support/bazaar-process.js';
import { freePort } from '../support/free-port.js';
import { startPrivatePostgres, type PrivatePostgres } from '../support/private-postgres.js';
import { approveReview, publishThroughReview } from '../support/seed.js';
import { temporalCliPath } from '../support/test-services.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

const seed = Number(process.env.CRASH_SEED ?? Date.now() % 1_000_000);
const LANES = 10; // 10 operations each: 100 in all, and a billing run
const CONCURRENT_LANES = 5;

// mulberry32: a small seeded generator, so a seed replays the same choices and kill points.
function seeded(start: number) {
  let state = start >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const credentialEcho = packDirectory(
  join(new URL('../fixtures/agents/credential-echo', import.meta.url).pathname),
);
const agentManifest = (version: string) => ({
  version,
  description: 'Prints the credential it was given (the suite looks for it everywhere afterwards)',
  pricing: { model: 'usage_based', pricePerInvocation: 0.02 },
  requiredCredentials: [{ name: 'SHOP_API_KEY', description: 'read orders' }],
  runtime: { kind: 'process', command: ['node', 'main.mjs'] },
  resources: { cpu: '250m', memory: '128Mi', timeoutSeconds: 20 },
});
const subscribed = [
  'installation.active',
  'installation.upgraded',
  'installation.removed',
  'execution.succeeded',
  'execution.failed',
];
const terminalExecution = new Set(['succeeded', 'failed', 'timed_out']);

interface Answer {
  status: number;
  body: any;
}

describe('the crash suite: API, worker, PostgreSQL and Temporal restarted under load', () => {
  let postgres: PrivatePostgres;
  let temporalServer: DevServer;
  let receiver: WebhookReceiver;
  let dataDir: string;
  let api: BazaarProcess;
  let worker: BazaarProcess;
  let connection: Connection;
  let temporal: Client;
  let databaseUrl: string;
  let apiUrl: string;
  const adminToken = `crash-admin-${randomUUID()}`;
  const temporalPort = { value: 0 };
  const faultLog: string[] = [];
  const answersSeen: string[] = [];
  let transportErrors = 0;
  let serverErrors = 0;
  let supervising = true;
  let restarting = 0;

  const startTemporal = async () => {
    temporalServer = await startDevServer({
      cliPath: temporalCliPath(),
      port: temporalPort.value,
      dbFile: join(dataDir, 'temporal.sqlite'),
      namespace: 'default',
      logger: createLogger('warn'),
    });
  };

  /** Calls the API over HTTP; a lost connection or a 5xx (a process or service down) is tried again. */
  async function call(
    method: string,
    path: string,
    init: { token?: string; body?: unknown; headers?: Record<string, string>; retryable?: number[] } = {},
  ): Promise<Answer & { attempts: number }> {
    const deadline = Date.now() + 180_000;
    for (let attempts = 1; ; attempts++) {
      try {
        const headers: Record<string, string> = {
          authorization: `Bearer ${init.token ?? adminToken}`,
          ...init.headers,
        };
        let body: BodyInit | undefined;
        if (init.body instanceof Uint8Array) body = new Uint8Array(init.body);
        else if (init.body !== undefined) {
          body = JSON.stringify(init.body);
          headers['content-type'] = 'application/json';
        }
        const response = await fetch(`${apiUrl}${path}`, {
          method,
          headers,
          body,
          signal: AbortSignal.timeout(30_000),
        });
        const text = await response.text();
        answersSeen.push(text);
        if (response.status < 500)
          return { status: response.status, body: text ? JSON.parse(text) : null, attempts };
        serverErrors++;
      } catch {
        transportErrors++;
      }
      if (Date.now() > deadline) throw new Error(`${method} ${path}: no answer within 180 s`);
      await sleep(300);
    }
  }

  /** Calls and expects one of the statuses (409 too after a retry, when given: the first try went through). */
  async function accepted(
    what: string,
    method: string,
    path: string,
    init: Parameters<typeof call>[2] & { ok: number[] },
  ): Promise<Answer> {
    const answer = await call(method, path, init);
    const ok =
      init.ok.includes(answer.status) || (answer.attempts > 1 && init.retryable?.includes(answer.status));
    if (!ok) throw new Error(`${what}: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer;
  }

  async function query<T = any>(sql: string, params: unknown[] = []): Promise<T[]> {
    for (let attempt = 1; ; attempt++) {
      const client = new pg.Client({ connectionString: databaseUrl });
      try {
        await client.connect();
        return (await client.query(sql, params)).rows as T[];
      } catch (error) {
        if (attempt >= 100) throw error;
        await sleep(300);
      } finally {
        await client.end().catch(() => undefined);
      }
    }
  }

  async function waitUntil<T>(
    what: string,
    check: () => Promise<T | null | undefined | false>,
    ms = 180_000,
  ) {
    const deadline = Date.now() + ms;
    let last: unknown;
    while (Date.now() < deadline) {
      try {
        last = await check();
        if (last) return last as T;
      } catch (error) {
        last = String(error);
      }
      await sleep(250);
    }
    throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`);
  }

  beforeAll(async () => {
    console.log(`crash suite seed: ${seed} (CRASH_SEED=${seed} replays it)`);
    dataDir = await mkdtemp(join(tmpdir(), 'bazaar-crash-'));
    postgres = await startPrivatePostgres();
    const url = new URL(postgres.url);
    url.pathname = '/bazaar';
    databaseUrl = url.toString();
    temporalPort.value = await freePort();
    await startTemporal();
    connection = await Connection.connect({ address: temporalServer.address });
    await ensureSearchAttributes(connection, 'default');
    temporal = new Client({ connection });
    receiver = await startWebhookReceiver();
    const apiPort = await freePort();
    apiUrl = `http://127.0.0.1:${apiPort}`;
    const masterKey = randomBytes(32).toString('base64');
    const env = () => ({
      PORT: String(apiPort),
      DATABASE_URL: databaseUrl,
      TEMPORAL_ADDRESS: temporalServer.address,
      TEMPORAL_TASK_QUEUE: 'crash-suite',
      DATA_DIR: dataDir,
      SECRETS_MASTER_KEY: masterKey,
      ADMIN_TOKEN: adminToken,
      EXECUTION_SYNC_WAIT_SECONDS: '5',
      WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true',
      WEBHOOKS_CA_FILE: receiver.caFile,
      WEBHOOKS_RETRY_SCHEDULE: '0,500ms,1s,2s,2s,2s,2s,2s,2s,2s',
      WEBHOOKS_SWEEP_INTERVAL: '1s',
    });
    api = new BazaarProcess('api', env);
    worker = new BazaarProcess('worker', env);
    await api.start(); // migrates first, alone
    await worker.start();
  }, 300_000);

  afterAll(async () => {
    supervising = false;
    await api?.kill();
    await worker?.kill();
    await connection?.close().catch(() => undefined);
    await temporalServer?.stop();
    await postgres?.stop();
    await receiver?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps every promise across kills and restarts', async () => {
    const caller = {
      request: (
        method: string,
        path: string,
        init: { token?: string | null; body?: unknown; headers?: Record<string, string> } = {},
      ) => call(method, path, { ...init, token: init.token ?? undefined }),
      temporal,
    };
    // A publisher with two listings, each with 1.0.0 and 1.1.0 published through review.
    const publisher = (
      await accepted('publisher', 'POST', '/v1/orgs', { body: { name: 'crash publisher' }, ok: [201] })
    ).body;
    const publisherToken = publisher.apiKey.token as string;
    const reviewerToken = (
      await accepted('reviewer', 'POST', '/v1/platform/keys', {
        body: { name: 'r', role: 'reviewer' },
        ok: [201],
      })
    ).body.token as string;
    const listings: Array<{ id: string; slug: string }> = [];
    for (const name of ['a', 'b']) {
      const listing = await publishThroughReview(caller, {
        publisherToken,
        reviewerToken,
        listing: { slug: `crash-${name}-${seed}`, name: `Crash ${name}`, category: 'support' },
        manifest: agentManifest('1.0.0'),
        artifact: credentialEcho,
      });
      const versionPath = `/v1/listings/${listing.id}/versions/1.1.0`;
      await accepted('1.1.0', 'POST', `/v1/listings/${listing.id}/versions`, {
        token: publisherToken,
        body: agentManifest('1.1.0'),
        ok: [201],
      });
      await accepted('upload 1.1.0', 'PUT', `${versionPath}/artifact`, {
        token: publisherToken,
        body: credentialEcho,
        headers: { 'content-type': 'application/gzip' },
        ok: [200],
      });
      const submitted = await accepted('submit 1.1.0', 'POST', `${versionPath}/submit`, {
        token: publisherToken,
        ok: [202],
      });
      await approveReview(caller, submitted.body.workflowId, reviewerToken);
      listings.push(listing);
    }

    // Five consumer organisations, each with its credential and a webhook endpoint of its own.
    const consumers: Array<{
      id: string;
      token: string;
      secretValue: string;
      endpointId: string;
      path: string;
    }> = [];
    for (let i = 0; i < LANES / 2; i++) {
      const created = (
        await accepted('consumer', 'POST', '/v1/orgs', { body: { name: `crash consumer ${i}` }, ok: [201] })
      ).body;
      const token = created.apiKey.token as string;
      const secretValue = `sk_crash_${randomUUID()}>>>?&scope=all`;
      await accepted('credential', 'PUT', '/v1/credentials/SHOP_API_KEY', {
        token,
        body: { value: secretValue },
        ok: [204],
      });
      const path = `/org-${i}`;
      const endpoint = await accepted('webhook', 'POST', '/v1/webhooks', {
        token,
        body: {
          url: receiver.url(path),
          eventTypes: subscribed,
        },
        ok: [201],
      });
      receiver.trust(endpoint.body.secret);
      consumers.push({ id: created.org.id, token, secretValue, endpointId: endpoint.body.endpoint.id, path });
    }

    // What the operations were answered: the ids the promises are checked on.
    const executions: string[] = [];
    const publisherEvents: Array<{ listingId: string; id: string; installationId: string }> = [];
    const testEvents: string[] = [];
    const removedInstallations: string[] = [];
    let operations = 0;

    const installation = (token: string, id: string) => call('GET', `/v1/installations/${id}`, { token });
    const waitInstallation = (token: string, id: string, want: (body: any) => boolean, what: string) =>
      waitUntil(what, async () => {
        const answer = await installation(token, id);
        if (answer.body?.status === 'failed') throw new Error(`${what}: failed: ${answer.body.statusReason}`);
        return want(answer.body) ? answer.body : null;
      });

    async function lane(n: number) {
      const random = seeded(seed * 31 + n);
      const consumer = consumers[n % consumers.length]!;
      const listing = listings[Math.floor(n / consumers.length)]!;
      const { token } = consumer;
      const mine: string[] = [];
      // An async run still queued when its installation is removed would fail, rightly: wait first.
      const runsEnded = () =>
        waitUntil(`lane ${n} runs to end`, async () => {
          for (const id of mine) {
            const answer = await call('GET', `/v1/executions/${id}`, { token });
            if (!terminalExecution.has(answer.body?.status)) return false;
          }
          return true;
        });
      const pause = () => sleep(Math.floor(random() * 400));
      const execute = async (i: number) => {
        const mode = random() < 0.5 ? 'sync' : 'async';
        const answer = await accepted('execute', 'POST', `/v1/installations/${installationId}/executions`, {
          token,
          headers: { 'idempotency-key': `lane-${n}-run-${i}` },
          body: { input: { mode: 'json', lane: n, run: i }, mode },
          ok: [200, 202],
        });
        executions.push(answer.body.id ?? answer.body.executionId);
        mine.push(answer.body.id ?? answer.body.executionId);
        operations++;
        await pause();
      };

      const installed = await accepted('install', 'POST', '/v1/installations', {
        token,
        body: { listing: listing.slug, version: '1.0.0' },
        ok: [202],
      });
      operations++;
      const installationId = installed.body.installationId as string;
      await waitInstallation(token, installationId, (body) => body.status === 'active', `lane ${n} active`);
      for (let i = 0; i < 3; i++) await execute(i);

      const eventId = `lane-${n}-report`;
      const report = await accepted('usage report', 'POST', '/v1/usage-events', {
        token: publisherToken,
        body: { events: [{ id: eventId, installationId, tokensIn: 100, tokensOut: 50 }] },
        ok: [200],
      });
      expect(report.body.accepted + report.body.duplicates).toBe(1);
      publisherEvents.push({ listingId: listing.id, id: eventId, installationId });
      operations++;
      await pause();

      await runsEnded();
      await accepted('upgrade', 'POST', `/v1/installations/${installationId}/upgrade`, {
        token,
        body: { version: '1.1.0', acceptRisk: true },
        ok: [202],
        retryable: [409],
      });
      operations++;
      await waitInstallation(
        token,
        installationId,
        (body) => body.status === 'active' && body.version === '1.1.0',
        `lane ${n} upgraded`,
      );
      for (let i = 3; i < 5; i++) await execute(i);

      const test = await accepted('webhook test', 'POST', `/v1/webhooks/${consumer.endpointId}/test`, {
        token,
        ok: [202],
      });
      testEvents.push(test.body.eventId);
      operations++;
      await pause();

      await runsEnded();
      await accepted('remove', 'DELETE', `/v1/installations/${installationId}`, { token, ok: [202] });
      operations++;
      await waitInstallation(token, installationId, (body) => body.status === 'removed', `lane ${n} removed`);
      removedInstallations.push(installationId);
    }

    // A supervisor, as Kubernetes would be: a process that exited by itself is started again.
    const supervisor = (async () => {
      while (supervising) {
        await sleep(1000);
        for (const process of [api, worker])
          if (supervising && restarting === 0 && !process.running)
            await process.start().catch(() => undefined);
      }
    })();

    const faults: Record<string, () => Promise<void>> = {
      'kill the worker': async () => {
        await worker.kill();
        await worker.start();
      },
      'kill the API': async () => {
        await api.kill();
        await api.start();
      },
      'restart PostgreSQL': () => postgres.restart(),
      'restart the Temporal dev server': async () => {
        await temporalServer.stop();
        await startTemporal();
      },
    };
    const random = seeded(seed);
    const plan = [
      'kill the worker',
      'kill the API',
      'restart PostgreSQL',
      'restart the Temporal dev server',
      'kill the worker',
      'kill the API',
    ];
    for (let i = plan.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [plan[i], plan[j]] = [plan[j]!, plan[i]!];
    }
    const started = Date.now();
    // Each fault strikes once the lanes have done a seeded share of their operations (between 5 % and
    // 85 %, in order), not after a time: on a fast or a slow machine every fault lands mid-load.
    const strikeAt = plan.map(() => Math.floor(LANES * 10 * (0.05 + random() * 0.8))).sort((a, b) => a - b);
    let lanesFailed = false;
    const chaos = (async () => {
      for (const [index, fault] of plan.entries()) {
        while (operations < strikeAt[index]! && !lanesFailed) await sleep(50);
        if (lanesFailed) return;
        faultLog.push(`${((Date.now() - started) / 1000).toFixed(1)} s (operation ${operations}): ${fault}`);
        restarting++;
        try {
          await faults[fault]!();
        } finally {
          restarting--;
        }
      }
    })();

    const queue = Array.from({ length: LANES }, (_, n) => n);
    await Promise.all(
      Array.from({ length: CONCURRENT_LANES }, async () => {
        for (let n = queue.shift(); n !== undefined; n = queue.shift()) await lane(n);
      }),
    ).catch((error: unknown) => {
      lanesFailed = true;
      throw error;
    });
    await chaos;

    // A billing run for this month, with the worker killed while it runs.
    const period = new Date().toISOString().slice(0, 7);
    const billing = await accepted('billing run', 'POST', '/v1/billing-runs', {
      body: { period },
      ok: [202],
    });
    operations++;
    await sleep(Math.floor(random() * 1500));
    faultLog.push(`${((Date.now() - started) / 1000).toFixed(1)} s: kill the worker (billing run)`);
    restarting++;
    await faults['kill the worker']!().finally(() => restarting--);
    await waitUntil('the billing run', async () => {
      const description = await temporal.workflow.getHandle(billing.body.workflowId).describe();
      if (description.status.name === 'FAILED') throw new Error('billing run failed');
      return description.status.name === 'COMPLETED';
    });
    console.log(
      `crash suite seed ${seed}: ${operations} operations in ${((Date.now() - started) / 1000).toFixed(0)} s; ` +
        `faults: ${faultLog.join('; ')}; ${transportErrors} lost connections and ${serverErrors} 5xx answers retried; ` +
        `exits nobody asked for: api ${api.unexpectedExits}, worker ${worker.unexpectedExits}`,
    );
    expect(operations).toBeGreaterThanOrEqual(100);
    expect(faultLog.length).toBe(plan.length + 1);

    // Every accepted execution ended, once, succeeded, and was counted once.
    const ran = await waitUntil('every execution to end', async () => {
      const rows = await query(`SELECT id, status, reason FROM executions WHERE id = ANY($1)`, [executions]);
      return rows.length === executions.length && rows.every((row) => terminalExecution.has(row.status))
        ? rows
        : null;
    });
    expect(ran.filter((row: any) => row.status !== 'succeeded')).toEqual([]);
    expect(new Set(executions).size).toBe(LANES * 5);
    const unfinished = await query(
      `SELECT id, status FROM executions WHERE status NOT IN ('succeeded', 'failed', 'timed_out')`,
    );
    expect(unfinished).toEqual([]);
    const perExecution = await query(
      `SELECT e.id, count(u.event_id)::int AS n FROM executions e LEFT JOIN usage_events u ON u.execution_id = e.id GROUP BY e.id`,
    );
    expect(perExecution.filter((row) => row.n !== 1)).toEqual([]);
    const reported = await query(
      `SELECT event_id FROM usage_events WHERE source = 'publisher' ORDER BY event_id`,
    );
    expect(reported.map((row) => row.event_id)).toEqual(
      publisherEvents.map((event) => `publisher:${event.listingId}:${event.id}`).sort(),
    );
    // Every recorded figure equals the raw events.
    const drift = await query(`
      WITH raw AS (
        SELECT installation_id, count(*) AS events, sum(invocations) AS invocations, sum(tokens_in) AS tokens_in,
               sum(tokens_out) AS tokens_out, sum(cost) AS cost
        FROM usage_events GROUP BY installation_id)
      SELECT coalesce(r.installation_id, m.installation_id) AS installation_id
      FROM raw r FULL JOIN (
        SELECT installation_id, sum(events) AS events, sum(invocations) AS invocations, sum(tokens_in) AS tokens_in,
               sum(tokens_out) AS tokens_out, sum(cost) AS cost
        FROM usage_monthly GROUP BY installation_id) m USING (installation_id)
      WHERE (r.events, r.invocations, r.tokens_in, r.tokens_out, r.cost)
            IS DISTINCT FROM (m.events, m.invocations, m.tokens_in, m.tokens_out, m.cost)`);
    expect(drift).toEqual([]);
    // One invoice per organisation, its usage lines equal to the raw events.
    const invoices = await query(
      `SELECT org_id, count(*)::int AS n FROM invoices WHERE period = $1::date GROUP BY org_id`,
      [`${period}-01`],
    );
    expect(invoices.filter((row) => consumers.some((c) => c.id === row.org_id)).map((row) => row.n)).toEqual(
      consumers.map(() => 1),
    );
    const billed = await query(
      `WITH raw AS (SELECT org_id, sum(invocations) AS invocations, sum(cost) AS cost FROM usage_events GROUP BY org_id),
            lines AS (SELECT l.org_id, sum(l.invocations) AS invocations, sum(l.amount_exact) AS cost
                      FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id
                      WHERE i.period = $1::date AND l.kind = 'usage' GROUP BY l.org_id)
       SELECT raw.org_id, raw.invocations, raw.cost, lines.invocations AS billed_invocations, lines.cost AS billed_cost
       FROM raw LEFT JOIN lines USING (org_id)
       WHERE (raw.invocations, raw.cost) IS DISTINCT FROM (lines.invocations, lines.cost)`,
      [`${period}-01`],
    );
    expect(billed).toEqual([]);

    // No installation stuck; removed ones left no runtime (nor the secrets file in it) behind.
    const stuck = await query(
      `SELECT id, status FROM installations WHERE status IN ('provisioning', 'deprovisioning')`,
    );
    expect(stuck).toEqual([]);
    const lanesEnded = await query(
      `SELECT status, count(*)::int AS n FROM installations WHERE id = ANY($1) GROUP BY status`,
      [removedInstallations],
    );
    expect(lanesEnded).toEqual([{ status: 'removed', n: LANES }]);
    // An upgrade switches the installation over before it removes the old runtime: a lane can see
    // 1.1.0 active, and even remove it, while that last step waits out a killed worker's activity
    // timeout. So every installation workflow must first end, and have completed.
    const installationWorkflows = `WorkflowType IN ('provisionInstallation', 'upgradeInstallation', 'deprovisionInstallation')`;
    await waitUntil(
      'every installation workflow to end',
      async () =>
        (await temporal.workflow.count(`${installationWorkflows} AND ExecutionStatus = 'Running'`)).count ===
        0,
      300_000,
    );
    const notCompleted: string[] = [];
    for await (const ended of temporal.workflow.list({
      query: `${installationWorkflows} AND ExecutionStatus != 'Completed'`,
    }))
      notCompleted.push(`${ended.workflowId}: ${ended.status.name}`);
    expect(notCompleted).toEqual([]);
    const active = new Set(
      (
        await query(
          `SELECT org_id || '/' || id || '/' || version_id AS path FROM installations WHERE status = 'active'`,
        )
      ).map((row) => row.path as string),
    );
    const runtimes: string[] = [];
    const root = join(dataDir, 'runtimes');
    for (const org of await readdir(root).catch(() => []))
      for (const inst of await readdir(join(root, org)))
        for (const version of await readdir(join(root, org, inst)))
          runtimes.push(`${org}/${inst}/${version}`);
    expect(runtimes.filter((path) => !active.has(path))).toEqual([]);

    // Webhooks: every event for an endpoint was delivered, signed, under its own webhook-id; a repeat
    // (a delivery in flight when a worker died) carries the same webhook-id and the same body.
    const due = await waitUntil('every webhook delivery to succeed', async () => {
      const rows = await query(
        `SELECT d.event_id, d.status, w.path FROM webhook_deliveries d
           JOIN (SELECT unnest($1::uuid[]) AS endpoint_id, unnest($2::text[]) AS path) w USING (endpoint_id)`,
        [consumers.map((c) => c.endpointId), consumers.map((c) => c.path)],
      );
      return rows.every((row) => row.status === 'succeeded') ? rows : null;
    });
    const events = await query(`SELECT id FROM events WHERE org_id = ANY($1) AND type = ANY($2)`, [
      consumers.map((c) => c.id),
      [...subscribed, 'webhook.test'],
    ]);
    expect(due.map((row) => row.event_id).sort()).toEqual(events.map((row) => row.id).sort());
    expect(testEvents.every((id) => due.some((row) => row.event_id === id))).toBe(true);
    const bodies = new Map<string, string>();
    for (const request of receiver.received) {
      expect(request.verifiedWith).toHaveLength(1);
      const id = request.headers['webhook-id'] as string;
      expect(request.event.id).toBe(id);
      expect(bodies.get(id) ?? request.body).toBe(request.body);
      bodies.set(id, request.body);
    }
    expect(due.filter((row) => !receiver.at(row.path).some((r) => r.event.id === row.event_id))).toEqual([]);
    const repeats = receiver.received.length - bodies.size;

    // No credential value anywhere it must not be: not in what the API answered, the processes'
    // logs, the webhooks sent, the database (pg_dump), nor Temporal's own SQLite files.
    const { stdout: dump } = await promisify(execFile)(
      '/usr/lib/postgresql/15/bin/pg_dump',
      ['-h', '127.0.0.1', '-p', String(postgres.port), '-U', 'postgres', 'bazaar'],
      { maxBuffer: 512 * 1024 * 1024 },
    );
    const temporalFiles = (await readdir(dataDir)).filter((name) => name.startsWith('temporal.sqlite'));
    // A rollback journal (`-journal`) comes and goes with each SQLite transaction: one gone by now held nothing left to read.
    const readIfThere = (name: string) =>
      readFile(join(dataDir, name)).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return Buffer.alloc(0);
        throw error;
      });
    const temporalBytes = Buffer.concat(await Promise.all(temporalFiles.map(readIfThere)));
    const places: Record<string, string | Buffer> = {
      'API answers': answersSeen.join('\n'),
      'API process output': api.output(),
      'worker process output': worker.output(),
      webhooks: receiver.received.map((request) => request.body).join('\n'),
      'PostgreSQL (pg_dump)': dump,
      "Temporal's SQLite files": temporalBytes,
    };
    const leaks: string[] = [];
    for (const consumer of consumers)
      for (const form of secretForms(consumer.secretValue))
        for (const [place, content] of Object.entries(places))
          if (content.includes(form)) leaks.push(`${place}: ${form}`);
    expect(leaks).toEqual([]);
    expect(temporalBytes.length).toBeGreaterThan(0);
    expect(dump).toContain('[redacted:SHOP_API_KEY]'); // the agents did print it: redaction was exercised
    console.log(
      `crash suite seed ${seed}: ${receiver.received.length} webhook requests, ${repeats} repeats with the same webhook-id`,
    );
    supervising = false;
    await supervisor;
  }, 420_000);
});
