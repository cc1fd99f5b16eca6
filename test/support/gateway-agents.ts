// Agents that call the tool gateway for tests: the openai-caller agent with the openai package
// bundled into its artifact, the stand-in upstream and catalog tools it calls, published through
// review and installable by a consumer who stored the tools' credentials.
import { randomUUID } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { packDirectory } from './artifacts.js';
import type { Harness } from './harness.js';
import { startOpenAiUpstream } from './openai-upstream.js';
import { publishAgent } from './publish.js';

const repo = resolve(import.meta.dirname, '../..');

/** The openai-caller agent with the openai package in its node_modules (its ES build only: smaller). */
async function openAiAgentArtifact(): Promise<Buffer> {
  const directory = await mkdtemp(join(tmpdir(), 'bazaar-openai-agent-'));
  try {
    await cp(join(repo, 'test/fixtures/agents/openai-caller'), directory, { recursive: true });
    await cp(join(repo, 'node_modules/openai'), join(directory, 'node_modules/openai'), {
      recursive: true,
      filter: (source) => !/(\.d\.m?ts|\.map|\.js|\.md)$|\/src(\/|$)/.test(source.slice(repo.length)),
    });
    return packDirectory(directory);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

/** The gateway world one Bazaar needs: the upstream, its CA, the catalog's tools and the artifact. */
export async function startWorld() {
  const suffix = randomUUID().slice(0, 8);
  const openAiKey = `sk-tenant-${randomUUID()}`;
  const upstream = await startOpenAiUpstream({ apiKey: openAiKey });
  const caDir = await mkdtemp(join(tmpdir(), 'bazaar-gateway-ca-'));
  const caFile = join(caDir, 'ca.pem');
  await writeFile(caFile, await readFile(upstream.certFile, 'utf8'));
  return {
    suffix,
    openAiKey,
    upstream,
    caFile,
    llmTool: `llm-${suffix}`,
    llmCredential: `LLM_KEY_${suffix.toUpperCase()}`,
    httpTool: `orders-${suffix}`,
    httpCredential: `ORDERS_KEY_${suffix.toUpperCase()}`,
    artifact: await openAiAgentArtifact(),
    /** Chat completions the upstream has received so far. */
    chats: () => upstream.requests.filter((request) => request.path === '/v1/chat/completions'),
    async stop() {
      await upstream.stop();
      await rm(caDir, { recursive: true, force: true });
    },
  };
}
export type World = Awaited<ReturnType<typeof startWorld>>;

/** Adds the world's tools to the catalog and publishes the agent declaring `tools`; returns its slug. */
export async function publishCaller(h: Harness, world: World, tools: string[]) {
  for (const tool of [
    {
      name: world.llmTool,
      kind: 'llm',
      description: 'chat',
      baseUrl: world.upstream.baseUrl,
      credentialName: world.llmCredential,
      models: ['gpt-test'],
    },
    {
      name: world.httpTool,
      kind: 'http',
      description: 'orders',
      baseUrl: 'https://orders.example.com/api',
      credentialName: world.httpCredential,
      injection: { header: 'X-Api-Key', template: '{credential}' },
      allowedMethods: ['GET'],
      allowedPathPrefixes: ['/orders'],
    },
  ])
    await h.request('POST', '/v1/platform/tools', { body: tool }); // 409 once it exists
  const publisher = await h.createOrg('publisher');
  const { slug } = await publishAgent(h, {
    publisherToken: publisher.token,
    reviewerToken: await h.createPlatformKey('reviewer'),
    artifact: world.artifact,
    manifest: {
      requiredTools: tools,
      requiredCredentials: [],
      pricing: { model: 'usage_based', pricePer1kTokens: 1 },
      runtime: { kind: 'process', command: ['node', 'main.mjs'] },
      resources: { cpu: '500m', memory: '256Mi', timeoutSeconds: 30 },
    },
  });
  return slug;
}

/** A consumer who stored both tools' credentials. */
export async function consumerWithCredentials(h: Harness, world: World) {
  const consumer = await h.createOrg('consumer');
  for (const [name, value] of [
    [world.llmCredential, world.openAiKey],
    [world.httpCredential, 'orders-key'],
  ])
    await h.call('PUT', `/v1/credentials/${name}`, { token: consumer.token, body: { value } });
  return consumer;
}
