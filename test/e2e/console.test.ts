// The web console in real Chromium (playwright-core driving Debian's chromium) against a real Bazaar:
// API, Temporal, PostgreSQL, the worker and the agent sandbox. One journey across the roles: a
// publisher publishes an agent with its code, a reviewer approves it, a consumer finds it by
// describing the problem, installs it with a credential, runs it from the generated form and sees the
// run and its cost in the history and in usage. Each main page is screenshotted (into docs/screenshots/
// with BAZAAR_SCREENSHOTS=1, else into a temporary directory, so a test run leaves the checkout clean)
// and checked by axe-core for serious accessibility violations.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen } from '../../src/api/listen.js';
import { createLogger } from '../../src/logger.js';
import { packDirectory } from '../support/artifacts.js';
import { launchChromium, seriousAccessibilityViolations, signedInPage } from '../support/browser.js';
import { startHarness, type Harness } from '../support/harness.js';

const root = new URL('../../', import.meta.url).pathname;
const screenshots =
  process.env.BAZAAR_SCREENSHOTS === '1'
    ? join(root, 'docs/screenshots')
    : join(tmpdir(), `bazaar-console-screenshots-${process.pid}`);
const agentDir = join(root, 'agents/refund-policy');

describe('the web console in Chromium', () => {
  let h: Harness;
  let server: Server;
  let base: string;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  let publisher: { org: { id: string; name: string }; token: string };
  let consumer: { org: { id: string; name: string }; token: string };
  let reviewerToken: string;
  let artifactPath: string;
  const slug = `refund-desk-${Date.now().toString(36)}`;
  const a11y: Record<string, unknown[]> = {};

  beforeAll(async () => {
    // Not execFileSync: a worker blocked by a long rebuild misses vitest's 60 s RPC answer.
    await promisify(execFile)('bash', ['scripts/build-web.sh'], { cwd: root });
    h = await startHarness();
    server = await listen(h.app, { port: 0, hostname: '127.0.0.1', logger: createLogger('silent') });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    publisher = await h.createOrg('Acme Support Tools');
    consumer = await h.createOrg('Globex Retail');
    reviewerToken = await h.createPlatformKey('reviewer');
    const dir = await mkdtemp(join(tmpdir(), 'bazaar-console-'));
    artifactPath = join(dir, 'refund-policy.tar.gz');
    await writeFile(artifactPath, packDirectory(agentDir));
    await mkdir(screenshots, { recursive: true });
    browser = await launchChromium();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((done) => server?.close(done));
    await h?.stop();
  });

  /** A signed-in page of its own (one browser context per person), at 1280 px. */
  async function signedIn(token: string): Promise<Page> {
    const { page, context } = await signedInPage(browser, base, token);
    contexts.push(context);
    return page;
  }

  /** Screenshot of the page as it is, and its axe-core check (kept for one assertion at the end). */
  async function capture(page: Page, name: string) {
    // The page, not the notes of what the test just did (they would cover its right-hand side).
    // (A note may also leave by itself, after 8 s, between the count and the click.)
    const dismiss = page.getByRole('button', { name: /^Dismiss: / });
    while ((await dismiss.count()) > 0)
      await dismiss
        .first()
        .click({ timeout: 2000 })
        .catch(() => undefined);
    await page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true });
    a11y[name] = await seriousAccessibilityViolations(page);
  }

  it('signs in with a key: an HttpOnly session cookie, no key in storage, and a wrong key is refused', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(base);
    await page.getByRole('heading', { name: 'Sign in to Bazaar' }).waitFor();
    await capture(page, 'sign-in');
    await page.getByLabel('API key').fill('bzr_key_0123456789abcdef_' + 'A'.repeat(43));
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/unknown or revoked.*request/);

    await page.getByLabel('API key').fill(consumer.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Globex Retail · admin').waitFor();
    const cookies = await context.cookies();
    expect(cookies).toEqual([
      expect.objectContaining({ name: 'bazaar_session', httpOnly: true, sameSite: 'Strict' }),
    ]);
    const storage = await page.evaluate(() => JSON.stringify({ ...localStorage, ...sessionStorage }));
    expect(storage).not.toContain(consumer.token);
    expect(await page.evaluate(() => document.cookie)).toBe(''); // HttpOnly: no script can read it

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to Bazaar' }).waitFor();
    expect(await context.cookies()).toEqual([]);
  });

  it('a publisher creates a listing and a version, uploads the code and submits it for review', async () => {
    const page = await signedIn(publisher.token);
    await page.getByRole('link', { name: 'My listings' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Refund desk');
    await page.getByLabel('Slug (its address)').fill(slug);
    await page.getByLabel('Category').fill('customer-support');
    await page.getByLabel('Tags (comma-separated)').fill('returns, e-commerce');
    await page.getByRole('button', { name: 'Create listing' }).click();
    await page.getByRole('heading', { name: 'Add a version' }).waitFor();

    const manifest = JSON.parse(await readFile(join(agentDir, 'manifest.json'), 'utf8'));
    delete manifest.pricing.freeInvocations; // so the first run costs something to show
    manifest.changelog = 'First version: **approve, partial or deny** with reasons.';
    manifest.longDescription =
      '## How it decides\n\n- return window\n- item condition\n\n<script>alert(1)</script>';
    manifest.requiredCredentials = [{ name: 'SHOP_API_KEY', description: 'read-only orders API key' }];
    const editor = page.getByLabel('Manifest (JSON)');
    // The editor checks the schema as you type: a wrong pricing model is named before saving.
    await editor.fill(JSON.stringify({ ...manifest, pricing: { model: 'gratis' } }, null, 2));
    await page.getByText('/pricing/model must be equal to one of the allowed values').waitFor();
    expect(await page.getByRole('button', { name: 'Create draft version' }).isDisabled()).toBe(true);
    await editor.fill(JSON.stringify(manifest, null, 2));
    await page.getByText('Valid against the manifest schema.').waitFor();
    await page.getByRole('button', { name: 'Create draft version' }).click();
    await page.getByTestId('version-1.0.0').getByText('draft').waitFor();

    await page.getByLabel('Agent code (.tar.gz): choose a file or drop it here').setInputFiles(artifactPath);
    await page.getByText('Uploaded.').waitFor();
    await capture(page, 'publisher-listing');
    await page.getByRole('button', { name: 'Submit 1.0.0 for review' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Submit' }).click();
    await page.getByTestId('version-1.0.0').getByText('in review').waitFor();
  });

  it('a reviewer sees the version in the queue with its manifest and approves it', async () => {
    const page = await signedIn(reviewerToken);
    await page.getByRole('link', { name: 'Reviews' }).click();
    await page.getByRole('heading', { name: /Refund desk/ }).waitFor({ timeout: 30_000 });
    await page.getByText('Manifest valid against the manifest schema').waitFor({ timeout: 30_000 });
    await capture(page, 'reviews');
    await page.getByRole('button', { name: 'Approve 1.0.0' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Approve' }).click();
    await page.getByText('Refund desk 1.0.0 approved').waitFor();
    // Other test files share this database and may leave versions in the queue: this one leaves it.
    await page.getByRole('heading', { name: /Refund desk/ }).waitFor({ state: 'detached', timeout: 30_000 });
  });

  it('the publisher sees the review end live: published', async () => {
    const page = contexts[1]!.pages()[0]!;
    await page.getByTestId('version-1.0.0').getByText('published').waitFor({ timeout: 30_000 });
  });

  it('a consumer finds it by describing the problem, reads it, and installs it with a credential', async () => {
    const page = await signedIn(consumer.token);
    await page
      .getByLabel('Describe the problem you want solved')
      .fill('can a customer send back an order for a refund');
    await page.getByRole('link', { name: 'Refund desk' }).waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('result-count').textContent()).toMatch(/^\d+\+? agents? found$/);
    await capture(page, 'catalog');

    await page.getByRole('link', { name: 'Refund desk' }).click();
    await page.getByRole('heading', { name: 'Refund desk', level: 1 }).waitFor();
    expect(await page.getByTestId('pricing-example').textContent()).toBe('100 runs ≈ $2.00');
    // Markdown rendered, raw HTML dropped.
    await page.getByRole('heading', { name: 'How it decides' }).waitFor();
    expect(await page.locator('.markdown script').count()).toBe(0);
    expect(await page.locator('.markdown strong', { hasText: 'approve, partial or deny' }).count()).toBe(1);
    await page.getByText('Missing credential: SHOP_API_KEY').waitFor();
    expect(await page.getByRole('button', { name: 'Install 1.0.0' }).isDisabled()).toBe(true);
    await capture(page, 'listing');

    await page.getByLabel('SHOP_API_KEY').fill('sk_test_globex_orders');
    await page.getByRole('button', { name: 'Store SHOP_API_KEY' }).click();
    await page.getByText('Credential SHOP_API_KEY stored').waitFor();
    await page.getByLabel(/Monthly budget/).fill('25');
    await page.getByRole('button', { name: 'Install 1.0.0' }).click();
    await page.getByTestId('installation-status').getByText('active').waitFor({ timeout: 60_000 });
    expect(await page.getByText('sk_test_globex_orders').count()).toBe(0);
  });

  it('the consumer runs it from the form generated from its inputSchema and sees the run and its cost', async () => {
    const page = contexts.at(-1)!.pages()[0]!;
    await page.locator('#root_request_orderDate').fill('2026-11-01');
    await page.locator('#root_request_requestDate').fill('2026-11-20');
    await page.locator('#root_request_amount').fill('40');
    await page.locator('#root_request_condition').selectOption('unopened');
    await page.locator('#root_policy_windowDays').fill('30');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    const result = page.getByTestId('run-result');
    await result.getByText('succeeded').waitFor({ timeout: 60_000 });
    expect(await result.textContent()).toContain('$0.02');
    expect(await page.getByLabel('Output').textContent()).toContain('"decision"');
    await page.getByTestId('history').getByText('$0.02').waitFor();
    await capture(page, 'installation');

    await page.getByRole('link', { name: 'Usage' }).click();
    await page.getByTestId('usage-per-listing').getByText(slug).waitFor();
    expect(await page.getByTestId('usage-per-listing').textContent()).toContain('$0.02');
    await page.locator('.recharts-bar-rectangle').first().waitFor();
    await capture(page, 'usage');

    for (const [link, name] of [
      ['Installations', 'installations'],
      ['Credentials', 'credentials'],
      ['API keys', 'keys'],
      ['Audit', 'audit'],
      ['Events', 'events'],
      ['Invoices', 'invoices'],
    ] as const) {
      await page.getByRole('link', { name: link, exact: true }).click();
      await page.getByRole('heading', { level: 1 }).waitFor();
      await page.locator('[role=status] .spinner').waitFor({ state: 'detached' });
      await capture(page, name);
    }
  });

  it('a second version: the reviewer sees its diff, the consumer upgrades, the publisher deprecates the first', async () => {
    const publisherPage = contexts[1]!.pages()[0]!;
    const manifest = JSON.parse(await readFile(join(agentDir, 'manifest.json'), 'utf8'));
    delete manifest.pricing.freeInvocations;
    manifest.version = '1.1.0';
    manifest.changelog = 'Explains partial refunds.';
    manifest.requiredCredentials = [{ name: 'SHOP_API_KEY', description: 'read-only orders API key' }];
    manifest.pricing.pricePerInvocation = 0.03;
    await publisherPage.getByLabel('Manifest (JSON)').fill(JSON.stringify(manifest, null, 2));
    await publisherPage.getByRole('button', { name: 'Create draft version' }).click();
    const draft = publisherPage.getByTestId('version-1.1.0');
    await draft.getByText('draft').waitFor();
    await draft.getByLabel('Agent code (.tar.gz): choose a file or drop it here').setInputFiles(artifactPath);
    await draft.getByText('Uploaded.').waitFor();
    await publisherPage.getByRole('button', { name: 'Submit 1.1.0 for review' }).click();
    await publisherPage.getByRole('dialog').getByRole('button', { name: 'Submit' }).click();
    await draft.getByText('in review').waitFor();

    const reviewerPage = contexts[2]!.pages()[0]!;
    await reviewerPage.getByRole('heading', { name: /Refund desk 1\.1\.0/ }).waitFor({ timeout: 30_000 });
    await reviewerPage.getByText('Changes from the published version 1.0.0').click();
    const diff = reviewerPage.getByLabel('Manifest changes from 1.0.0 to 1.1.0');
    await diff.waitFor();
    expect(await diff.locator('.removed').allTextContents()).toEqual(
      expect.arrayContaining([expect.stringContaining('"pricePerInvocation": 0.02')]),
    );
    expect(await diff.locator('.added').allTextContents()).toEqual(
      expect.arrayContaining([expect.stringContaining('"pricePerInvocation": 0.03')]),
    );
    await reviewerPage.getByRole('button', { name: 'Approve 1.1.0' }).click();
    await reviewerPage.getByRole('dialog').getByRole('button', { name: 'Approve' }).click();
    await draft.getByText('published').waitFor({ timeout: 30_000 });

    const consumerPage = contexts.at(-1)!.pages()[0]!;
    await consumerPage.getByRole('link', { name: 'Installations' }).click();
    await consumerPage.getByRole('link', { name: slug }).click();
    // Before upgrading, the advisory says what changes: here the price, +50 %.
    const advisory = consumerPage.getByRole('region', { name: 'What changes in 1.1.0' });
    await advisory.getByText(/risk/).first().waitFor();
    expect(await advisory.textContent()).toContain('+50%');
    await consumerPage.getByRole('button', { name: 'Upgrade to 1.1.0' }).click();
    await consumerPage.getByRole('dialog').getByRole('button', { name: 'Upgrade' }).click();
    await consumerPage.getByRole('heading', { name: `${slug} 1.1.0` }).waitFor({ timeout: 60_000 });
    await consumerPage.getByTestId('installation-status').getByText('active').waitFor({ timeout: 60_000 });

    await publisherPage.getByRole('button', { name: 'Deprecate 1.0.0' }).click();
    await publisherPage.getByRole('dialog').getByRole('button', { name: 'Deprecate' }).click();
    await publisherPage.getByTestId('version-1.0.0').getByText('deprecated').waitFor();
    await publisherPage.getByRole('link', { name: 'My listings' }).click();
    await publisherPage.getByRole('heading', { name: 'Payouts' }).waitFor();
    await publisherPage.locator('[role=status] .spinner').waitFor({ state: 'detached' });
    await capture(publisherPage, 'publisher');
  }, 180_000);

  it('reads at phone width', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(base);
    await page.getByLabel('API key').fill(consumer.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByLabel('Describe the problem you want solved').fill('refund request policy');
    await page.getByRole('link', { name: 'Refund desk' }).waitFor({ timeout: 30_000 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(screenshots, 'catalog-phone.png'), fullPage: true });
  });

  it('a platform admin sees the organisations and starts a billing run', async () => {
    const page = await signedIn(h.adminToken);
    await page.getByRole('link', { name: 'Organisations' }).click();
    await page
      .getByRole('cell', { name: /Globex Retail/ })
      .first()
      .waitFor();
    await capture(page, 'organizations');
    await page.getByRole('link', { name: 'Billing runs' }).click();
    await page.getByRole('button', { name: 'Start billing run' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Start' }).click();
    await page.getByText('COMPLETED').waitFor({ timeout: 60_000 });
    await capture(page, 'billing-runs');
  });

  it('goes back to sign-in when the session dies because its key was revoked', async () => {
    const issued = await h.call('POST', `/v1/orgs/${consumer.org.id}/keys`, {
      token: consumer.token,
      body: { name: 'laptop', role: 'member' },
    });
    const page = await signedIn(issued.token);
    await page.getByText('Globex Retail · member').waitFor();
    expect((await h.request('DELETE', `/v1/keys/${issued.key.id}`, { token: consumer.token })).status).toBe(
      204,
    );
    await page.getByRole('link', { name: 'Installations' }).click();
    await page.getByRole('heading', { name: 'Sign in to Bazaar' }).waitFor();
  });

  it('finds no serious accessibility violation on any page (axe-core)', () => {
    expect(Object.keys(a11y).length).toBeGreaterThanOrEqual(15);
    for (const [pageName, violations] of Object.entries(a11y)) expect(violations, pageName).toEqual([]);
  });
});
