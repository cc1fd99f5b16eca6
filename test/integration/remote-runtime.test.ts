import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findVersionById } from '../../src/domain/catalog/repository.js';
import type { Manifest } from '../../src/domain/catalog/schemas.js';
import { RemoteEndpointRefusedError } from '../../src/runtime/remote/resolve-endpoint.js';
import { redactInvocationResult } from '../../src/runtime/redact-invocation-result.js';
import { RemoteRuntimeDriver } from '../../src/runtime/remote/remote-runtime-driver.js';
import { activeSigningSecrets, SIGNING_SECRET_GRACE_MS } from '../../src/runtime/remote/signing-secrets.js';
import type { Invocation, RuntimeRef } from '../../src/runtime/runtime-driver.js';
import { installAgent } from '../support/agents.js';
import { startHarness, type Harness } from '../support/harness.js';
import { startHttpsEndpoint, verifyStandardWebhook, type HttpsEndpoint } from '../support/https-endpoint.js';
import { publishListing } from '../support/publish.js';
import { secretLeaks, storedAboutRun } from '../support/secret-leaks.js';

const MAX_RESPONSE_BYTES = 16 * 1024;
const GATEWAY_PUBLIC_URL = 'https://gateway.bazaar.test';

describe('remote runtime: publisher-hosted agents', () => {
  let endpoint: HttpsEndpoint;
  let h: Harness;
  let publisher: { org: { id: string }; token: string };
  let reviewer: string;

  /** Publishes a remote version calling this path of the test endpoint, and gives it a signing secret. */
  async function publishRemote(path: string, manifest: Record<string, unknown> = {}) {
    const listing = await publishListing(h, {
      publisherToken: publisher.token,
      reviewerToken: reviewer,
      manifest: { runtime: { kind: 'remote', endpoint: endpoint.url(path) }, ...manifest },
    });
    const created = await h.request('POST', `/v1/listings/${listing.id}/signing-secret`, {
      token: publisher.token,
    });
    expect(created.status).toBe(201);
    endpoint.useSecret(created.body.secret);
    return { ...listing, secret: created.body.secret as string };
  }

  /** A consumer holding SHOP_API_KEY (declared) and UNDECLARED_TOKEN (not declared), with the listing installed. */
  async function installWithCredentials(slug: string) {
    const consumer = await h.createOrg();
    const values = { SHOP_API_KEY: `shop-${randomUUID()}`, UNDECLARED_TOKEN: `undeclared-${randomUUID()}` };
    for (const [name, value] of Object.entries(values)) {
      const put = await h.request('PUT', `/v1/credentials/${name}`, {
        token: consumer.token,
        body: { value },
      });
      expect(put.status).toBe(204);
    }
    const { installationId } = await installAgent(h, slug, { consumer });
    return { consumer, installationId, values };
  }

  const execute = (installationId: string, token: string, input: unknown) =>
    h.request('POST', `/v1/installations/${installationId}/executions`, {
      token,
      body: { input, mode: 'sync' },
    });

  /** The runtime reference and manifest of an installation, to call the driver directly. */
  async function driverTarget(installationId: string) {
    const { rows } = await h.db.query('SELECT org_id, version_id FROM installations WHERE id = $1', [
      installationId,
    ]);
    const version = await findVersionById(h.db, rows[0].version_id);
    const ref = h.runtime.refFor({
      orgId: rows[0].org_id,
      installationId,
      versionId: rows[0].version_id,
      runtimeKind: 'remote',
    });
    return { ref, manifest: version!.manifest as Manifest, orgId: rows[0].org_id as string };
  }

  const invocation = (manifest: Manifest, overrides: Partial<Invocation> = {}): Invocation => ({
    executionId: randomUUID(),
    input: { ping: true },
    manifest,
    ...overrides,
  });

  const withEndpoint = (manifest: Manifest, path: string): Manifest => ({
    ...manifest,
    runtime: { kind: 'remote', endpoint: endpoint.url(path) },
  });

  let echo: Awaited<ReturnType<typeof publishRemote>>;
  let installed: Awaited<ReturnType<typeof installWithCredentials>>;
  let target: Awaited<ReturnType<typeof driverTarget>>;

  beforeAll(async () => {
    endpoint = await startHttpsEndpoint();
    h = await startHarness({
      env: {
        REMOTE_AGENTS_ALLOW_PRIVATE_NETWORKS: 'true',
        REMOTE_AGENTS_CA_FILE: endpoint.caFile,
        REMOTE_AGENTS_MAX_RESPONSE_BYTES: String(MAX_RESPONSE_BYTES),
        GATEWAY_PUBLIC_URL,
      },
    });
    publisher = await h.createOrg('remote-publisher');
    reviewer = await h.createPlatformKey('reviewer');
    echo = await publishRemote('/echo');
    installed = await installWithCredentials(echo.slug);
    target = await driverTarget(installed.installationId);
  }, 120_000);
  afterAll(async () => {
    await h?.stop();
    await endpoint?.stop();
  });

  it('runs a remote agent: the endpoint verifies the signature with the secret from the API, usage and cost are recorded', async () => {
    endpoint.useSecret(echo.secret);
    const input = { question: 'can I return these boots?' };
    const run = await execute(installed.installationId, installed.consumer.token, input);
    expect(run.status).toBe(200);
    expect(run.body).toMatchObject({
      status: 'succeeded',
      output: { echo: input, credentials: ['SHOP_API_KEY'] },
      tokensIn: 12,
      tokensOut: 34,
      reason: null,
    });
    expect(Number(run.body.cost)).toBeCloseTo(0.02, 10);

    const sent = endpoint.received.find((r) => r.headers['webhook-id'] === run.body.id)!;
    expect(sent.signatureProblem).toBeNull();
    expect(JSON.parse(sent.body)).toEqual(input);
    expect(sent.headers['x-bazaar-installation-id']).toBe(installed.installationId);
    expect(sent.headers['content-type']).toBe('application/json');

    const events = await h.db.query('SELECT * FROM usage_events WHERE execution_id = $1', [run.body.id]);
    expect(events.rows).toHaveLength(1);
    expect(events.rows[0]).toMatchObject({
      tokens_in: 12,
      tokens_out: 34,
      org_id: installed.consumer.org.id,
    });
  });

  it('forwards exactly the declared credentials, each read audited against the execution; never an undeclared one', async () => {
    const run = await execute(installed.installationId, installed.consumer.token, { n: 1 });
    expect(run.body.status).toBe('succeeded');
    const sent = endpoint.received.find((r) => r.headers['webhook-id'] === run.body.id)!;
    const credentials = JSON.parse(
      Buffer.from(sent.headers['x-bazaar-credentials'] as string, 'base64url').toString('utf8'),
    );
    expect(credentials).toEqual({ SHOP_API_KEY: installed.values.SHOP_API_KEY });
    const everything = JSON.stringify(sent.headers) + sent.body;
    expect(everything).not.toContain(installed.values.UNDECLARED_TOKEN);

    const reads = await h.db.query(
      `SELECT subject_id FROM audit_events
       WHERE org_id = $1 AND action = 'credential.read' AND details->>'executionId' = $2`,
      [installed.consumer.org.id, run.body.id],
    );
    expect(reads.rows.map((row) => row.subject_id)).toEqual(['SHOP_API_KEY']);
    expect(await h.runtime.secretNames(target.ref)).toEqual(['SHOP_API_KEY']);

    // A version that declares nothing gets no credentials header at all.
    const bare = await h.runtime.invoke(
      target.ref,
      invocation({ ...target.manifest, requiredCredentials: [] }),
    );
    expect(bare.status).toBe('succeeded');
    expect(bare.output).toMatchObject({ credentials: [] });
    expect(endpoint.received.at(-1)!.headers['x-bazaar-credentials']).toBeUndefined();
  });

  it('sends a run granted tools the public gateway and its token inside the signed body, and no credential there', async () => {
    endpoint.useSecret(echo.secret);
    const grant = { token: `bzgw_${randomUUID()}`, tools: [{ name: 'openai', kind: 'llm' as const }] };
    const input = { question: 'which boots?' };
    const result = await h.runtime.invoke(target.ref, invocation(target.manifest, { input, gateway: grant }));
    expect(result.status).toBe('succeeded');
    const sent = endpoint.received.at(-1)!;
    // The endpoint verified the signature over the body that carries the gateway.
    expect(sent.signatureProblem).toBeNull();
    expect(JSON.parse(sent.body)).toEqual({
      input,
      gateway: { url: GATEWAY_PUBLIC_URL, token: grant.token },
    });
    for (const value of Object.values(installed.values)) expect(sent.body).not.toContain(value);
    // Swapping the gateway on the way breaks the signature.
    const swapped = sent.body.replace(GATEWAY_PUBLIC_URL, 'https://gateway.attacker.test');
    expect(verifyStandardWebhook(echo.secret, sent.headers, swapped)).toBe('no signature matches');
    // The endpoint echoed its body: the token is redacted from what is kept, like a credential.
    const kept = JSON.stringify(redactInvocationResult(result));
    expect(kept).not.toContain(grant.token);
    expect(kept).toContain(GATEWAY_PUBLIC_URL);

    // A version without tools still gets its bare input.
    await h.runtime.invoke(target.ref, invocation(target.manifest, { input }));
    expect(JSON.parse(endpoint.received.at(-1)!.body)).toEqual(input);
  });

  it('signing secrets: publisher admins only, shown once, never listed as credentials, rotation audited', async () => {
    const member = await h.createOrgKey(publisher.org.id, publisher.token, 'member');
    const other = await h.createOrg();
    const path = `/v1/listings/${echo.id}/signing-secret`;
    expect((await h.request('POST', path, { token: member })).status).toBe(403);
    expect((await h.request('POST', path, { token: other.token })).status).toBe(404);
    expect(
      (await h.request('POST', `/v1/listings/${randomUUID()}/signing-secret`, { token: publisher.token }))
        .status,
    ).toBe(404);

    const listed = await h.request('GET', '/v1/credentials', { token: publisher.token });
    expect(listed.status).toBe(200);
    expect(JSON.stringify(listed.body)).not.toMatch(/signing/);
    const audit = await h.request('GET', '/v1/audit', { token: publisher.token });
    expect(JSON.stringify(audit.body)).toContain('listing.signing_secret_rotated');
    expect(JSON.stringify(audit.body)).not.toContain(echo.secret);
  });

  it('keeps signing with the replaced secret during the grace period, then only with the new one', async () => {
    const old = echo.secret;
    const rotated = await h.request('POST', `/v1/listings/${echo.id}/signing-secret`, {
      token: publisher.token,
    });
    expect(rotated.status).toBe(201);
    expect(rotated.body.secret).not.toBe(old);
    expect(Date.parse(rotated.body.previousValidUntil) - Date.parse(rotated.body.rotatedAt)).toBe(
      SIGNING_SECRET_GRACE_MS,
    );

    // The publisher has not deployed the new secret yet: requests still verify with the old one.
    endpoint.useSecret(old);
    expect((await execute(installed.installationId, installed.consumer.token, 1)).body.status).toBe(
      'succeeded',
    );
    expect((endpoint.received.at(-1)!.headers['webhook-signature'] as string).split(' ')).toHaveLength(2);
    endpoint.useSecret(rotated.body.secret);
    expect((await execute(installed.installationId, installed.consumer.token, 2)).body.status).toBe(
      'succeeded',
    );
    echo.secret = rotated.body.secret;

    const owner = { publisherOrgId: publisher.org.id, listingId: echo.id };
    const later = new Date(Date.now() + SIGNING_SECRET_GRACE_MS + 1000);
    expect(await activeSigningSecrets(h.secrets, owner)).toEqual([rotated.body.secret, old]);
    expect(await activeSigningSecrets(h.secrets, owner, later)).toEqual([rotated.body.secret]);
  });

  it('an endpoint rejects a tampered or wrongly signed request, and the execution fails with its answer', async () => {
    // Replay the last signed request with another body: the endpoint refuses it.
    const last = endpoint.received.at(-1)!;
    const replay = await postRaw(endpoint.url('/echo'), await readFile(endpoint.caFile, 'utf8'), {
      headers: {
        'content-type': 'application/json',
        'webhook-id': last.headers['webhook-id'] as string,
        'webhook-timestamp': last.headers['webhook-timestamp'] as string,
        'webhook-signature': last.headers['webhook-signature'] as string,
      },
      body: JSON.stringify({ tampered: true }),
    });
    expect(replay.status).toBe(401);
    expect(replay.body).toMatch(/no signature matches/);

    // An endpoint holding another secret refuses Bazaar's request: a failed execution with the reason.
    endpoint.useSecret('whsec_' + Buffer.alloc(32, 7).toString('base64'));
    const run = await execute(installed.installationId, installed.consumer.token, { n: 3 });
    expect(run.body.status).toBe('failed');
    expect(run.body.reason).toMatch(/answered HTTP 401: .*signature rejected: no signature matches/);
    expect(run.body.cost).toBe('0.0000000000');
    endpoint.useSecret(echo.secret);
  });

  it('ends a run past the deadline as timed out, through the whole execution path', async () => {
    const slow = await publishRemote('/slow', {
      resources: { cpu: '500m', memory: '256Mi', timeoutSeconds: 1 },
    });
    const { consumer, installationId } = await installWithCredentials(slow.slug);
    const run = await execute(installationId, consumer.token, {});
    expect(run.status).toBe(200);
    expect(run.body.status).toBe('timed_out');
    expect(run.body.reason).toMatch(/did not answer within 1 s/);
    endpoint.useSecret(echo.secret);
  });

  it.each([
    ['/big', /answered more than 16384 bytes/],
    ['/not-json', /did not answer one JSON document: "this is not JSON"/],
    ['/redirect', /redirect \(HTTP 302\); redirects are not followed/],
    ['/fail', /answered HTTP 500: .*the shop API said no/],
  ])('reports %s as a failed invocation with a readable reason', async (path, reason) => {
    const result = await h.runtime.invoke(target.ref, invocation(withEndpoint(target.manifest, path)));
    expect(result.status).toBe('failed');
    expect(result.reason).toMatch(reason);
  });

  it('reports an unreachable endpoint, an untrusted certificate and a cancelled run as failures, not crashes', async () => {
    const closed = await h.runtime.invoke(
      target.ref,
      invocation({ ...target.manifest, runtime: { kind: 'remote', endpoint: 'https://127.0.0.1:1/run' } }),
    );
    expect(closed).toMatchObject({
      status: 'failed',
      reason: expect.stringMatching(/could not reach .*ECONNREFUSED/),
    });

    const untrusting = new RemoteRuntimeDriver({
      db: h.db,
      secrets: h.secrets,
      policy: { allowPrivateNetworks: true },
      maxResponseBytes: MAX_RESPONSE_BYTES,
    });
    const ref: RuntimeRef = { ...target.ref, driver: 'remote' };
    const untrusted = await untrusting.invoke(ref, invocation(withEndpoint(target.manifest, '/echo')));
    expect(untrusted).toMatchObject({
      status: 'failed',
      reason: expect.stringMatching(/self-signed|certificate/i),
    });

    const controller = new AbortController();
    const cancelled = h.runtime.invoke(
      target.ref,
      invocation(withEndpoint(target.manifest, '/slow'), { signal: controller.signal }),
    );
    setTimeout(() => controller.abort(), 200);
    expect(await cancelled).toMatchObject({ status: 'failed', reason: 'the run was cancelled' });
  });

  it.each([
    ['json', 'succeeded'],
    ['prose', 'failed'],
    ['error', 'failed'],
  ])(
    'an endpoint echoing its credentials (%s): execution, workflow status and history hold none of them',
    async (leak, status) => {
      const leaky = await publishRemote('/leak');
      const { consumer, installationId, values } = await installWithCredentials(leaky.slug);
      const run = await execute(installationId, consumer.token, { leak });
      expect(run.body.status).toBe(status);
      const stored = await storedAboutRun(h, {
        runAnswer: run.body,
        executionId: run.body.id,
        token: consumer.token,
      });
      const sent = endpoint.received.find((r) => r.headers['webhook-id'] === run.body.id)!;
      const header = sent.headers['x-bazaar-credentials'] as string;
      expect(JSON.parse(stored.workflow).status).toBe('COMPLETED');
      const everything = Object.values(stored).join('\n');
      expect(secretLeaks(everything, values.SHOP_API_KEY)).toEqual([]);
      expect(secretLeaks(everything, header)).toEqual([]);
      expect(everything).toContain('[redacted:SHOP_API_KEY]');
      endpoint.useSecret(echo.secret);
    },
  );

  it('refuses private addresses when configuration does not allow them, before any credential is read', async () => {
    const strict = new RemoteRuntimeDriver({
      db: h.db,
      secrets: h.secrets,
      policy: { allowPrivateNetworks: false },
      maxResponseBytes: MAX_RESPONSE_BYTES,
    });
    const { rows } = await h.db.query('SELECT listing_id FROM listing_versions WHERE id = $1', [
      target.ref.location.split('/')[2],
    ]);
    const spec = {
      orgId: target.orgId,
      installationId: installed.installationId,
      versionId: target.ref.location.split('/')[2]!,
      runtimeKind: 'remote' as const,
      listingId: rows[0].listing_id,
      manifest: target.manifest,
    };
    await expect(strict.createRuntime(spec)).rejects.toBeInstanceOf(RemoteEndpointRefusedError);
    await expect(strict.createRuntime(spec)).rejects.toThrow(
      /127\.0\.0\.1 is not a public address \(loopback\)/,
    );

    const before = endpoint.received.length;
    for (const address of [
      'https://127.0.0.1/run',
      'https://localhost/run',
      'https://[::ffff:10.0.0.1]/run',
    ]) {
      const run = invocation({ ...target.manifest, runtime: { kind: 'remote', endpoint: address } });
      const result = await strict.invoke(target.ref, run);
      expect(result.status).toBe('failed');
      expect(result.reason).toMatch(
        /is not a public address \((loopback|IPv4-mapped 10\.0\.0\.1 \(private\))\)/,
      );
      const reads = await h.db.query(`SELECT 1 FROM audit_events WHERE details->>'executionId' = $1`, [
        run.executionId,
      ]);
      expect(reads.rows).toHaveLength(0);
    }
    expect(endpoint.received.length).toBe(before);
  });
});

/** POSTs to an HTTPS URL trusting this CA; answers the status and body text. */
function postRaw(
  url: string,
  ca: string,
  init: { headers: Record<string, string>; body: string },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: init.headers, ca }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    req.on('error', reject);
    req.end(init.body);
  });
}
