import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { echoArtifact, uploadArtifact } from '../support/agents.js';
import { listingBody, manifest, startHarness, type Harness } from '../support/harness.js';
import { publishAgent } from '../support/publish.js';
import { waitFor } from '../support/wait-for.js';

describe('tool catalog: routes, version rules, installing', () => {
  let h: Harness;
  let publisher: { org: { id: string }; token: string };
  let reviewer: string;
  const suffix = randomUUID().slice(0, 8);
  const llmName = `llm-${suffix}`;
  const httpName = `http-${suffix}`;
  const llmCredential = `LLM_KEY_${suffix.toUpperCase()}`;
  const httpCredential = `HTTP_KEY_${suffix.toUpperCase()}`;

  beforeAll(async () => {
    h = await startHarness();
    publisher = await h.createOrg('tool publisher');
    reviewer = await h.createPlatformKey('reviewer');
  }, 120_000);
  afterAll(() => h?.stop());

  const llmTool = {
    name: llmName,
    kind: 'llm',
    description: 'OpenAI-compatible chat models',
    baseUrl: 'https://llm.example.com/v1',
    credentialName: llmCredential,
    models: ['gpt-4o-mini', 'text-embedding-3-small'],
    pricePer1kInputTokens: 0.00015,
    pricePer1kOutputTokens: 0.0006,
  };
  const httpTool = {
    name: httpName,
    kind: 'http',
    description: 'Order lookups',
    baseUrl: 'https://orders.example.com/api',
    credentialName: httpCredential,
    injection: { header: 'X-Api-Key', template: '{credential}' },
    allowedMethods: ['GET'],
    allowedPathPrefixes: ['/orders'],
  };

  it('a platform admin adds tools; every key reads the catalog without upstreams or prices', async () => {
    const created = await h.request('POST', '/v1/platform/tools', { body: llmTool });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ ...llmTool, allowedMethods: [], allowedPathPrefixes: [] });
    const http = await h.request('POST', '/v1/platform/tools', { body: httpTool });
    expect(http.status).toBe(201);
    expect(http.body.injection).toEqual({ header: 'x-api-key', template: '{credential}' });

    const listed = await h.request('GET', '/v1/tools', { token: publisher.token });
    expect(listed.status).toBe(200);
    const mine = listed.body.tools.filter((tool: { name: string }) => tool.name.endsWith(suffix));
    expect(mine).toEqual([
      { name: httpName, kind: 'http', description: 'Order lookups', credentialName: httpCredential },
      {
        name: llmName,
        kind: 'llm',
        description: 'OpenAI-compatible chat models',
        credentialName: llmCredential,
        models: ['gpt-4o-mini', 'text-embedding-3-small'],
      },
    ]);
    const audit = await h.db.query(
      `SELECT action FROM audit_events WHERE subject_type = 'tool' AND subject_id = $1`,
      [llmName],
    );
    expect(audit.rows.map((row) => row.action)).toEqual(['tool.created']);
  });

  it('answers 409 for a name taken, 400 with field paths, 403 to other keys, 404 for a missing tool', async () => {
    expect((await h.request('POST', '/v1/platform/tools', { body: llmTool })).status).toBe(409);
    const bad = await h.request('POST', '/v1/platform/tools', {
      body: {
        ...httpTool,
        name: `bad-${suffix}`,
        baseUrl: 'http://plain.example.com',
        allowedMethods: ['BREW'],
      },
    });
    expect(bad.status).toBe(400);
    const paths = bad.body.error.details.map((detail: { path: string }) => detail.path);
    expect(paths).toEqual(expect.arrayContaining(['json.baseUrl', 'json.allowedMethods.0']));
    const noModels = await h.request('POST', '/v1/platform/tools', {
      body: { ...llmTool, name: `bad-${suffix}`, models: [] },
    });
    expect(noModels.status).toBe(400);
    expect(noModels.body.error.details[0].path).toBe('json.models');

    for (const [method, path, body] of [
      ['POST', '/v1/platform/tools', { ...llmTool, name: `x-${suffix}` }],
      ['PATCH', `/v1/platform/tools/${llmName}`, { description: 'mine now' }],
      ['DELETE', `/v1/platform/tools/${llmName}`, undefined],
    ] as const) {
      const refused = await h.request(method, path, { token: publisher.token, body });
      expect(refused.status, `${method} ${path}`).toBe(403);
      expect((await h.request(method, path, { token: reviewer, body })).status).toBe(403);
    }
    expect(
      (await h.request('PATCH', `/v1/platform/tools/nope-${suffix}`, { body: { description: 'x' } })).status,
    ).toBe(404);
    expect((await h.request('DELETE', `/v1/platform/tools/nope-${suffix}`)).status).toBe(404);
  });

  it('changes a tool, refusing fields of the other kind with their path', async () => {
    const changed = await h.request('PATCH', `/v1/platform/tools/${llmName}`, {
      body: { models: ['gpt-4o-mini'], description: 'Chat only' },
    });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ models: ['gpt-4o-mini'], description: 'Chat only', kind: 'llm' });
    const wrong = await h.request('PATCH', `/v1/platform/tools/${llmName}`, {
      body: { allowedMethods: ['GET'] },
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.details).toEqual([
      { path: 'json.allowedMethods', message: 'not a field of llm tools' },
    ]);
    const unknown = await h.request('PATCH', `/v1/platform/tools/${llmName}`, { body: { name: 'other' } });
    expect(unknown.status).toBe(400);
  });

  it('refuses a version naming tools the catalog lacks (422 at create and at submit), naming them', async () => {
    const listing = await h.call('POST', '/v1/listings', { token: publisher.token, body: listingBody() });
    const refused = await h.request('POST', `/v1/listings/${listing.id}/versions`, {
      token: publisher.token,
      body: manifest({ requiredTools: [llmName, `ghost-${suffix}`, `phantom-${suffix}`] }),
    });
    expect(refused.status).toBe(422);
    expect(refused.body.error.details).toEqual({ unknownTools: [`ghost-${suffix}`, `phantom-${suffix}`] });
    expect(refused.body.error.message).toContain(`ghost-${suffix}, phantom-${suffix}`);

    // A draft that was valid, whose tool left the catalog before submission.
    const gone = `gone-${suffix}`;
    await h.call('POST', '/v1/platform/tools', { body: { ...httpTool, name: gone } });
    const draft = await h.request('POST', `/v1/listings/${listing.id}/versions`, {
      token: publisher.token,
      body: manifest({ requiredTools: [gone] }),
    });
    expect(draft.status).toBe(201);
    expect((await uploadArtifact(h, publisher.token, listing.id, echoArtifact())).status).toBe(200);
    expect((await h.request('DELETE', `/v1/platform/tools/${gone}`)).status).toBe(204);
    const submitted = await h.request('POST', `/v1/listings/${listing.id}/versions/1.0.0/submit`, {
      token: publisher.token,
    });
    expect(submitted.status).toBe(422);
    expect(submitted.body.error.details).toEqual({ unknownTools: [gone] });
  });

  it("refuses a version that declares a tool's credential as its own (422)", async () => {
    const listing = await h.call('POST', '/v1/listings', { token: publisher.token, body: listingBody() });
    const refused = await h.request('POST', `/v1/listings/${listing.id}/versions`, {
      token: publisher.token,
      body: manifest({
        requiredTools: [llmName],
        requiredCredentials: [{ name: 'SHOP_API_KEY' }, { name: llmCredential }],
      }),
    });
    expect(refused.status).toBe(422);
    expect(refused.body.error.details).toEqual({ toolCredentials: [llmCredential] });
  });

  it('caps a run in the manifest: resources.maxToolCalls and maxTokens, validated', async () => {
    const listing = await h.call('POST', '/v1/listings', { token: publisher.token, body: listingBody() });
    const bad = await h.request('POST', `/v1/listings/${listing.id}/versions`, {
      token: publisher.token,
      body: manifest({ resources: { maxToolCalls: 0, maxTokens: 'many' } }),
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((detail: { path: string }) => detail.path)).toEqual([
      'json.resources.maxToolCalls',
      'json.resources.maxTokens',
    ]);
  });

  it('installing needs the tools’ credentials (422 naming every missing one); the listing shows its tools; a used tool cannot be deleted', async () => {
    const { slug } = await publishAgent(h, {
      publisherToken: publisher.token,
      reviewerToken: reviewer,
      artifact: echoArtifact(),
      manifest: { requiredTools: [llmName, httpName], requiredCredentials: [{ name: 'SHOP_API_KEY' }] },
    });
    const consumer = await h.createOrg('tool consumer');
    await h.call('PUT', `/v1/credentials/${llmCredential}`, {
      token: consumer.token,
      body: { value: 'sk-x' },
    });
    const refused = await h.request('POST', '/v1/installations', {
      token: consumer.token,
      body: { listing: slug },
    });
    expect(refused.status).toBe(422);
    expect(refused.body.error.details).toEqual({ missing: ['SHOP_API_KEY', httpCredential] });

    const shown = await h.request('GET', `/v1/listings/${slug}`, { token: consumer.token });
    expect(shown.status).toBe(200);
    expect(shown.body.tools.map((tool: { name: string }) => tool.name)).toEqual([httpName, llmName]);
    expect(shown.body.tools[1]).not.toHaveProperty('baseUrl');

    const inUse = await h.request('DELETE', `/v1/platform/tools/${llmName}`);
    expect(inUse.status).toBe(409);
    expect(inUse.body.error.details.versions).toEqual([`${slug}@1.0.0`]);
  });

  it('serves a listing’s tools from its cached page, and shows a changed tool at once', async () => {
    const { slug } = await publishAgent(h, {
      publisherToken: publisher.token,
      reviewerToken: reviewer,
      artifact: echoArtifact(),
      manifest: { requiredTools: [llmName] },
    });
    const consumer = await h.createOrg('cached page reader');
    const described = async () => {
      const shown = await h.request('GET', `/v1/listings/${slug}`, { token: consumer.token });
      expect(shown.status).toBe(200);
      return shown.body.tools.find((tool: { name: string }) => tool.name === llmName)?.description as string;
    };
    const before = await described();
    await described(); // the page is cached now

    // A change made with the announcement switched off is not seen: the tools come from the cached page.
    const client = await h.db.connect();
    try {
      await client.query("SET session_replication_role = 'replica'");
      await client.query('UPDATE tools SET description = $2 WHERE name = $1', [llmName, 'unannounced']);
    } finally {
      await client.query('RESET session_replication_role');
      client.release();
    }
    expect(await described()).toBe(before);

    // An ordinary change, from anywhere, is announced naming the listings declaring the tool.
    await h.db.query('UPDATE tools SET description = $2 WHERE name = $1', [llmName, 'announced']);
    await waitFor(async () => (await described()) === 'announced', 'the changed tool on the listing');
  });
});
