// Every route in the OpenAPI registry, walked against its declared access (`x-bazaar-access`):
// 401 without a key and with a revoked key, 403 for every role it does not admit, 404 for an object
// of another organisation. A route whose path names something this test cannot fill fails it, so a
// new route is covered or the test says why not.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rolesFor, type RouteAccess } from '../../src/api/access.js';
import type { Role } from '../../src/domain/auth/principal.js';
import { echoArtifact, installAgent } from '../support/agents.js';
import { listingBody, manifest, startHarness, type Harness } from '../support/harness.js';
import { publishAgent } from '../support/publish.js';

interface Operation {
  method: string;
  path: string;
  access: RouteAccess | undefined;
  description: string;
}

// Path parameters that name the caller's own namespace, not an object another organisation owns.
const ownNamespaceParams = new Set(['name']);

describe('declared access on every route', () => {
  let h: Harness;
  let operations: Operation[];
  // Org A owns the objects; org B is the other tenant. Platform keys have no organisation.
  const tokens = {} as Record<'aAdmin' | 'aMember' | 'bAdmin' | 'bMember' | 'reviewer' | 'revoked', string>;
  const a = {} as {
    orgId: string;
    memberKeyId: string;
    publicListing: string;
    privateListing: string;
    installationId: string;
    executionId: string;
    invoiceId: string;
    provisionWorkflowId: string;
    publishWorkflowId: string;
    webhookId: string;
    deliveryId: string;
  };

  beforeAll(async () => {
    // Every route is called without a key twice: far more failures than the per-address throttle allows.
    h = await startHarness({ env: { AUTH_FAILURES_PER_MINUTE: '100000' } });
    const orgA = await h.createOrg('tenant-a');
    const orgB = await h.createOrg('tenant-b');
    tokens.aAdmin = orgA.token;
    tokens.bAdmin = orgB.token;
    tokens.aMember = await h.createOrgKey(orgA.org.id, orgA.token, 'member');
    tokens.bMember = await h.createOrgKey(orgB.org.id, orgB.token, 'member');
    tokens.reviewer = await h.createPlatformKey('reviewer');
    const doomed = await h.request('POST', `/v1/orgs/${orgA.org.id}/keys`, {
      token: orgA.token,
      body: { name: 'doomed', role: 'admin' },
    });
    tokens.revoked = doomed.body.token;
    expect((await h.request('DELETE', `/v1/keys/${doomed.body.key.id}`, { token: orgA.token })).status).toBe(
      204,
    );
    const keys = await h.request('GET', `/v1/orgs/${orgA.org.id}/keys`, { token: orgA.token });
    a.orgId = orgA.org.id;
    a.memberKeyId = keys.body.keys.find((key: { role: string }) => key.role === 'member').id;

    const published = await publishAgent(h, {
      publisherToken: orgA.token,
      reviewerToken: tokens.reviewer,
      artifact: echoArtifact(),
      manifest: { requiredCredentials: [] },
    });
    a.publicListing = published.slug;
    const versions = await h.db.query('SELECT id FROM listing_versions WHERE listing_id = $1', [
      published.id,
    ]);
    a.publishWorkflowId = `publish:${versions.rows[0].id}`;
    const draft = await h.request('POST', '/v1/listings', {
      token: orgA.token,
      body: listingBody({ visibility: 'private' }),
    });
    await h.request('POST', `/v1/listings/${draft.body.id}/versions`, {
      token: orgA.token,
      body: manifest(),
    });
    a.privateListing = draft.body.slug;

    const { installationId } = await installAgent(h, published.slug, { consumer: orgA });
    a.installationId = installationId;
    a.provisionWorkflowId = `provision:${installationId}`;
    const run = await h.request('POST', `/v1/installations/${installationId}/executions`, {
      token: orgA.token,
      body: { input: { hello: 'world' }, mode: 'sync' },
    });
    expect(run.status).toBe(200);
    a.executionId = run.body.id;
    const invoice = await h.db.query(
      `INSERT INTO invoices (org_id, period, currency, currency_exponent, total_minor)
       VALUES ($1, '2026-01-01', 'usd', 2, 100) RETURNING id`,
      [a.orgId],
    );
    a.invoiceId = invoice.rows[0].id;
    // Stored directly: registering through the API would check the address, and nothing here delivers.
    const webhook = await h.db.query(
      `INSERT INTO webhook_endpoints (org_id, url, event_types)
       VALUES ($1, 'https://hooks.example/a', '{webhook.endpoint_disabled}') RETURNING id`,
      [a.orgId],
    );
    a.webhookId = webhook.rows[0].id;
    a.deliveryId = '00000000-0000-4000-8000-000000000001';

    const doc = await h.request('GET', '/openapi.json', { token: null });
    operations = Object.entries(doc.body.paths as Record<string, Record<string, any>>).flatMap(
      ([path, methods]) =>
        Object.entries(methods).map(([method, operation]) => ({
          method: method.toUpperCase(),
          path,
          access: operation['x-bazaar-access'],
          description: operation.description ?? '',
        })),
    );
  }, 180_000);
  afterAll(() => h.stop());

  /** Org A's object for a path parameter of this operation, or an error naming what is not covered. */
  function valueFor(operation: Operation, param: string): string {
    const owned = operation.access?.owned;
    if (owned?.param === param) {
      const byKind: Record<string, string> = {
        listing: a.privateListing,
        'visible-listing': a.privateListing,
        installation: a.installationId,
        execution: a.executionId,
        invoice: a.invoiceId,
        organization: a.orgId,
        'api-key': a.memberKeyId,
        workflow: a.provisionWorkflowId,
        webhook: a.webhookId,
      };
      if (byKind[owned.kind]) return byKind[owned.kind]!;
    }
    if (param === 'id' && operation.path.startsWith('/v1/listings/')) return a.privateListing;
    if (param === 'version') return '1.0.0';
    if (param === 'versionId') return a.publishWorkflowId.replace('publish:', '');
    if (param === 'orgId') return a.orgId;
    if (param === 'ratingId') return '00000000-0000-4000-8000-000000000000';
    if (param === 'deliveryId') return a.deliveryId;
    if (ownNamespaceParams.has(param)) return 'SHOP_API_KEY';
    throw new Error(`${operation.method} ${operation.path}: no test value for {${param}}; add one here`);
  }

  const pathOf = (operation: Operation) =>
    operation.path.replace(/\{(\w+)\}/g, (_, param: string) =>
      encodeURIComponent(valueFor(operation, param)),
    );
  const call = (operation: Operation, token: string | null) =>
    h.request(operation.method, pathOf(operation), { token });

  // A key of org A for each role (the objects are A's, so only the role can refuse it).
  const ownKeyFor = (role: Role) =>
    ({
      admin: tokens.aAdmin,
      member: tokens.aMember,
      reviewer: tokens.reviewer,
      'platform-admin': h.adminToken,
    })[role];

  it('every route declares its access, and the OpenAPI description says it', () => {
    expect(operations.length).toBeGreaterThan(30);
    for (const operation of operations) {
      expect(operation.access, `${operation.method} ${operation.path}`).toBeDefined();
      expect(operation.description, `${operation.method} ${operation.path}`).toContain('**Access:**');
    }
  });

  it('answers 401 without a key and with a revoked key on every non-public route', async () => {
    for (const operation of operations.filter((op) => !op.access!.levels.includes('public'))) {
      for (const token of [null, tokens.revoked]) {
        const response = await call(operation, token);
        expect(
          response.status,
          `${operation.method} ${operation.path} with ${token ? 'a revoked' : 'no'} key`,
        ).toBe(401);
        expect(response.body.error.code).toBe('unauthorized');
      }
    }
  });

  it('answers 403 to every role the route does not admit', async () => {
    let checked = 0;
    for (const operation of operations.filter((op) => !op.access!.levels.includes('public'))) {
      const admitted = rolesFor(operation.access!);
      for (const role of (['admin', 'member', 'reviewer', 'platform-admin'] as const).filter(
        (candidate) => !admitted.includes(candidate),
      )) {
        const response = await call(operation, ownKeyFor(role));
        expect(response.status, `${operation.method} ${operation.path} as ${role}`).toBe(403);
        expect(response.body.error.code).toBe('forbidden');
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(40);
  });

  it('answers 404 to another organisation for an object named in the path', async () => {
    let checked = 0;
    for (const operation of operations.filter((op) => /\{\w+\}/.test(op.path))) {
      const params = [...operation.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]!);
      for (const param of params) valueFor(operation, param); // every parameter is covered
      if (params.every((param) => ownNamespaceParams.has(param))) continue;
      const admitted = rolesFor(operation.access!);
      const otherTenant = admitted.includes('member')
        ? tokens.bMember
        : admitted.includes('admin')
          ? tokens.bAdmin
          : null;
      if (!otherTenant) continue; // platform-only: there is no other organisation to be
      const response = await call(operation, otherTenant);
      expect(response.status, `${operation.method} ${operation.path} as another organisation`).toBe(404);
      expect(response.body.error.code).toBe('not_found');
      checked++;
    }
    expect(checked).toBeGreaterThan(15);
  });

  it('lets a reviewer read publish reviews and versions awaiting review, nothing else of a tenant', async () => {
    const as = (path: string) => h.request('GET', path, { token: tokens.reviewer });
    expect((await as(`/v1/workflows/${a.publishWorkflowId}`)).status).toBe(200);
    expect((await as(`/v1/workflows/${encodeURIComponent(a.provisionWorkflowId)}`)).status).toBe(404);
    expect((await as(`/v1/executions/${a.executionId}`)).status).toBe(403);
    expect((await as(`/v1/listings/${a.privateListing}`)).status).toBe(404);
    expect((await as(`/v1/listings/${a.privateListing}/versions/1.0.0`)).status).toBe(404);
    // Once submitted, the private draft is the reviewer's to read, and only that version.
    await h.db.query(
      `UPDATE listing_versions SET status = 'in_review'
       WHERE listing_id = (SELECT id FROM listings WHERE slug = $1)`,
      [a.privateListing],
    );
    const inReview = await as(`/v1/listings/${a.privateListing}`);
    expect(inReview.status).toBe(200);
    expect(inReview.body.versions.map((v: { status: string }) => v.status)).toEqual(['in_review']);
    // Platform admins still read everything.
    const asAdmin = await h.request('GET', `/v1/workflows/${encodeURIComponent(a.provisionWorkflowId)}`);
    expect(asAdmin.status).toBe(200);
  });
});
