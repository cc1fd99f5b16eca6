// The console shows the tool gateway's part in real Chromium: the tools an agent uses on its listing
// page, and on the installation page each run's usage source and, opened, its tool calls (tool,
// model, status, tokens, duration), for a run of a real agent that called the gateway from the sandbox.
import { execFile } from 'node:child_process';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen } from '../../src/api/listen.js';
import { createLogger } from '../../src/logger.js';
import { installAgent } from '../support/agents.js';
import { launchChromium, signedInPage } from '../support/browser.js';
import { consumerWithCredentials, publishCaller, startWorld, type World } from '../support/gateway-agents.js';
import { startHarness, type Harness } from '../support/harness.js';

describe('the console shows tools and tool calls', () => {
  let h: Harness;
  let world: World;
  let server: Server;
  let browser: Browser;

  beforeAll(async () => {
    // Not execFileSync: a worker blocked by a long rebuild misses vitest's 60 s RPC answer.
    await promisify(execFile)('bash', ['scripts/build-web.sh'], {
      cwd: new URL('../../', import.meta.url).pathname,
    });
    world = await startWorld();
    h = await startHarness({ env: { GATEWAY_UPSTREAM_CA_FILE: world.caFile } });
    server = await listen(h.app, { port: 0, hostname: '127.0.0.1', logger: createLogger('silent') });
    browser = await launchChromium();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((done) => server?.close(done));
    await h?.stop();
    await world?.stop();
  });

  it('lists the listing’s tools and a run’s metered tool calls', async () => {
    const slug = await publishCaller(h, world, [world.llmTool]);
    const consumer = await consumerWithCredentials(h, world);
    const { installationId } = await installAgent(h, slug, { consumer });
    const ran = await h.request('POST', `/v1/installations/${installationId}/executions`, {
      token: consumer.token,
      body: { input: { action: 'chat', model: 'gpt-test' }, mode: 'sync' },
    });
    expect(ran.body).toMatchObject({ status: 'succeeded', usageSource: 'gateway' });

    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const { page } = await signedInPage(browser, base, consumer.token);

    await page.goto(new URL(`/listings/${slug}`, page.url()).href);
    const tools = page.getByRole('list', { name: 'Tools it calls through the gateway' });
    await tools.waitFor();
    expect(await tools.textContent()).toContain(
      `${world.llmTool} (language model) — chat · models: gpt-test`,
    );

    await page.goto(new URL(`/installations/${installationId}`, page.url()).href);
    const history = page.getByTestId('history');
    await history.waitFor();
    expect(await history.textContent()).toContain('34 / 10 (metered by the gateway)');
    await history.getByRole('button', { name: 'Tool calls' }).click();
    const calls = page.getByTestId('tool-calls');
    await calls.waitFor();
    const rows = await calls.locator('tbody tr').allTextContents();
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(row).toMatch(new RegExp(`^${world.llmTool}gpt-testsucceeded175\\d`));
  }, 120_000);
});
