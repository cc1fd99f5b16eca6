// The console's trust and integration pages in real Chromium against a real Bazaar (API, Temporal,
// PostgreSQL, worker, sandbox) and a real HTTPS webhook receiver: a consumer rates an agent it has
// run and sees the histogram and its review, the publisher replies, a platform admin hides another
// rating and the average moves; an admin registers a webhook endpoint (its secret shown once), sends a
// test event and reads the delivery with its attempt; a publisher sees a version's impact before
// deprecating it and its runs per day; a reviewer sees the automated checks. axe-core checks every new
// page, the open dialogs, and the pages at phone width (375 px). The main ones are screenshotted (into
// docs/screenshots/ with BAZAAR_SCREENSHOTS=1, else into a temporary directory).
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen } from '../../src/api/listen.js';
import { createLogger } from '../../src/logger.js';
import { echoArtifact, echoManifest, installAgent } from '../support/agents.js';
import { launchChromium, seriousAccessibilityViolations, signedInPage } from '../support/browser.js';
import { startHarness, type Harness } from '../support/harness.js';
import { approveSubmission, publishAgent, uploadCodeIfProcess } from '../support/publish.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

const root = new URL('../../', import.meta.url).pathname;
const screenshots =
  process.env.BAZAAR_SCREENSHOTS === '1'
    ? join(root, 'docs/screenshots')
    : join(tmpdir(), `bazaar-console-trust-screenshots-${process.pid}`);
// The checks whose page is also screenshotted, and the file each goes to.
const screenshotted: Record<string, string> = {
  'listing-reply-form': 'listing-ratings',
  webhook: 'webhook',
  'deprecate-dialog': 'deprecate-impact',
};
type Org = { org: { id: string; name: string }; token: string };

describe('the console’s trust and webhook pages in Chromium', () => {
  let h: Harness;
  let receiver: WebhookReceiver;
  let server: Server;
  let base: string;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  let publisher: Org;
  let reviewer: string;
  let happy: Org;
  let grumpy: Org;
  let newcomer: Org;
  let listing: { id: string; slug: string };
  const a11y: Record<string, unknown[]> = {};

  beforeAll(async () => {
    // Not execFileSync: a worker blocked by a long rebuild misses vitest's 60 s RPC answer.
    await promisify(execFile)('bash', ['scripts/build-web.sh'], { cwd: root });
    receiver = await startWebhookReceiver();
    h = await startHarness({
      env: {
        WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true',
        WEBHOOKS_CA_FILE: receiver.caFile,
        // Three quick attempts, so a failing delivery is given up on (failed) within the test.
        WEBHOOKS_RETRY_SCHEDULE: '0,200ms,200ms',
      },
    });
    server = await listen(h.app, { port: 0, hostname: '127.0.0.1', logger: createLogger('silent') });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    publisher = await h.createOrg('Northwind Agents');
    reviewer = await h.createPlatformKey('reviewer');
    listing = await publishAgent(h, {
      publisherToken: publisher.token,
      reviewerToken: reviewer,
      artifact: echoArtifact(),
      manifest: {
        description: 'Echoes what it is given',
        requiredCredentials: [],
        pricing: { model: 'free' },
      },
    });
    // Two consumers that have run it (so they may rate it), and one that has not.
    [happy, grumpy] = [await h.createOrg('Happy Hotels'), await h.createOrg('Grumpy Garages')];
    for (const consumer of [happy, grumpy]) {
      const { installationId } = await installAgent(h, listing.slug, { consumer });
      const run = await h.call('POST', `/v1/installations/${installationId}/executions`, {
        token: consumer.token,
        body: { input: { hello: consumer.org.name }, mode: 'sync' },
      });
      expect(run.status).toBe('succeeded');
    }
    newcomer = await h.createOrg('Newcomer Networks');
    await h.call('PUT', `/v1/listings/${listing.slug}/ratings/mine`, {
      token: grumpy.token,
      body: { stars: 2, title: 'Too plain', text: 'It only echoes.' },
    });
    await mkdir(screenshots, { recursive: true });
    browser = await launchChromium();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((done) => server?.close(done));
    await h?.stop();
    await receiver?.stop();
  });

  async function signedIn(token: string, width = 1280): Promise<Page> {
    const { page, context } = await signedInPage(browser, base, token, width);
    contexts.push(context);
    return page;
  }

  async function settled(page: Page) {
    await page.getByRole('heading', { level: 1 }).first().waitFor();
    await page.waitForFunction(() => !document.querySelector('[role=status] .spinner'));
  }

  async function check(page: Page, name: string) {
    const file = screenshotted[name];
    if (file) await page.screenshot({ path: join(screenshots, `${file}.png`), fullPage: true });
    a11y[name] = await seriousAccessibilityViolations(page);
  }

  it('a consumer that ran the agent rates it: its review (plain text) and the histogram appear', async () => {
    const page = await signedIn(happy.token);
    await page.goto(`${base}/listings/${listing.slug}`);
    await settled(page);
    const histogram = page.getByTestId('rating-histogram');
    await histogram.getByText('2.0 of 5').waitFor();
    expect(await histogram.getByTestId('stars-2').textContent()).toBe('1');
    await check(page, 'listing-rate-form');

    const mine = page.getByTestId('my-rating');
    await mine.getByLabel('5 stars').check();
    await mine.getByLabel('Title (optional)').fill('Does what it says');
    await mine
      .getByLabel('Review (optional, plain text)')
      .fill('Echoes <script>alert(1)</script> back\nfast.');
    await mine.getByRole('button', { name: 'Publish rating' }).click();
    await page.getByText('Thank you: your rating is published').waitFor();
    await histogram.getByText('3.5 of 5').waitFor();
    expect(await histogram.getByTestId('stars-5').textContent()).toBe('1');
    const review = page.getByTestId('reviews').locator('li.review', { hasText: 'Does what it says' });
    await review.waitFor();
    // Written markup is shown as text, never run or rendered.
    expect(await review.locator('.plain-text').textContent()).toBe(
      'Echoes <script>alert(1)</script> back\nfast.',
    );
    expect(await page.locator('.reviews script').count()).toBe(0);
    expect(await review.textContent()).toContain('Happy Hotels · version 1.0.0');

    // Edit it, then read it back.
    await mine.getByRole('button', { name: 'Edit your rating' }).click();
    await mine.getByLabel('4 stars').check();
    await mine.getByRole('button', { name: 'Save rating' }).click();
    await page.getByText('Your rating was updated').waitFor();
    await histogram.getByText('3.0 of 5').waitFor();
    await mine.getByLabel('4 of 5 stars').waitFor();
  });

  it('an organisation that has not used it is told why it cannot rate, with the API’s reason', async () => {
    const page = await signedIn(newcomer.token);
    await page.goto(`${base}/listings/${listing.slug}`);
    const refusal = page.getByTestId('rating-refusal');
    await refusal.waitFor();
    expect(await refusal.textContent()).toContain(
      'only an organisation that has used this agent may rate it: install it and run it successfully first',
    );
    expect(await page.getByRole('button', { name: 'Publish rating' }).count()).toBe(0);
  });

  it('the publisher replies once; the consumer reads the reply', async () => {
    const page = await signedIn(publisher.token);
    await page.goto(`${base}/listings/${listing.slug}`);
    await settled(page);
    expect(await page.getByTestId('my-rating').count()).toBe(0);
    await page.getByRole('button', { name: 'Reply to Happy Hotels' }).click();
    await page.getByLabel('Your public reply to Happy Hotels (plain text)').fill('Thank you, Happy Hotels!');
    await check(page, 'listing-reply-form');
    await page.getByRole('button', { name: 'Publish reply' }).click();
    await page.getByText('Reply published').waitFor();
    // Once: the button now edits the one reply.
    await page.getByRole('button', { name: 'Edit reply to Happy Hotels' }).waitFor();

    const consumer = contexts[0]!.pages()[0]!;
    await consumer.reload();
    const review = consumer.locator('li.review', { hasText: 'Does what it says' });
    await review.getByText('Publisher’s reply').waitFor();
    expect(await review.textContent()).toContain('Thank you, Happy Hotels!');
  });

  it('a platform admin hides a rating with a reason: it leaves the list and the average', async () => {
    const page = await signedIn(h.adminToken);
    await page.goto(`${base}/listings/${listing.slug}`);
    await settled(page);
    await page.getByTestId('rating-histogram').getByText('3.0 of 5').waitFor();
    await page.getByRole('button', { name: 'Hide rating by Grumpy Garages' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Reason').fill('Off-topic');
    await check(page, 'hide-rating-dialog');
    await dialog.getByRole('button', { name: 'Hide' }).click();
    await page.getByText('Rating by Grumpy Garages hidden').waitFor();
    await page.getByTestId('rating-histogram').getByText('4.0 of 5').waitFor();
    await page.locator('li.review', { hasText: 'Too plain' }).waitFor({ state: 'detached' });
    expect(await page.getByTestId('stars-2').textContent()).toBe('0');
  });

  it('an admin registers a webhook endpoint: its secret is shown once, and a test event is delivered', async () => {
    const page = contexts[0]!.pages()[0]!;
    await page.getByRole('link', { name: 'Webhooks' }).click();
    await settled(page);
    await page.getByText('No endpoints yet').waitFor();
    await page.getByLabel('URL (public https://)').fill(receiver.url('/console'));
    await page.getByLabel('Description (optional)').fill('Our operations bus');
    await page.getByLabel('installation.active').check();
    await page.getByLabel('rating.created').check();
    await check(page, 'webhooks');
    await page.getByRole('button', { name: 'Register endpoint' }).click();
    const secretBox = page.getByTestId('secret-once');
    const secret = (await secretBox.getByLabel('Secret value').textContent())!.trim();
    expect(secret).toMatch(/^whsec_/);
    receiver.trust(secret);
    await check(page, 'webhooks-secret-shown');
    await secretBox.getByRole('button', { name: 'I have copied it' }).click();
    await secretBox.waitFor({ state: 'detached' });

    await page.getByRole('link', { name: receiver.url('/console') }).click();
    await page.getByRole('heading', { name: receiver.url('/console') }).waitFor();
    expect(await page.content()).not.toContain(secret);
    await page.getByText('No deliveries yet').waitFor();
    await page.getByRole('button', { name: 'Send test event' }).click();
    const delivery = page.getByTestId('delivery-webhook.test');
    await delivery.getByText('succeeded').waitFor({ timeout: 30_000 });
    await delivery.locator('summary').click();
    expect(await delivery.getByTestId('attempt-status').first().textContent()).toBe('200');
    expect(await delivery.locator('.excerpt').first().textContent()).toContain('"answered":200');
    // The receiver got it, signed with the secret shown once.
    const got = receiver.at('/console').find((request) => request.event.type === 'webhook.test');
    expect(got?.verifiedWith).toEqual([secret]);
    await check(page, 'webhook');

    await page.getByRole('button', { name: 'Rotate secret' }).click();
    await check(page, 'rotate-secret-dialog');
    await page.getByRole('dialog').getByRole('button', { name: 'Rotate' }).click();
    const rotated = (await page.getByTestId('secret-once').getByLabel('Secret value').textContent())!.trim();
    expect(rotated).toMatch(/^whsec_/);
    expect(rotated).not.toBe(secret);
    await page.getByRole('button', { name: 'I have copied it' }).click();

    await page.getByRole('button', { name: 'Disable' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Disable' }).click();
    await page.getByTestId('endpoint-status').getByText('disabled').waitFor();
    await page.getByRole('button', { name: 'Enable' }).click();
    await page.getByTestId('endpoint-status').getByText('active').waitFor();
  });

  it('a failed delivery shows each attempt’s answer and is retried by hand; missed events are recovered', async () => {
    // Answers 503 three times (every scheduled attempt), then 200.
    receiver.respond('/flaky', (count) => (count <= 3 ? 503 : 200));
    const { endpoint } = await h.call('POST', '/v1/webhooks', {
      token: happy.token,
      body: { url: receiver.url('/flaky'), eventTypes: ['installation.active'] },
    });
    const page = contexts[0]!.pages()[0]!;
    await page.goto(`${base}/webhooks/${endpoint.id}`);
    await settled(page);
    await page.getByRole('button', { name: 'Send test event' }).click();
    const delivery = page.getByTestId('delivery-webhook.test');
    await delivery.getByText('failed').waitFor({ timeout: 30_000 });
    await delivery.locator('summary').click();
    expect(await delivery.getByTestId('attempt-status').allTextContents()).toEqual(['503', '503', '503']);
    await delivery.getByRole('button', { name: 'Retry webhook.test' }).click();
    await page.getByText('queued to be sent again now').waitFor();
    await delivery.getByText('succeeded').waitFor({ timeout: 30_000 });
    expect(receiver.at('/flaky')).toHaveLength(4);

    // Everything of its types since an hour ago: the installation that became active in the set-up.
    const since = await page.evaluate(() => {
      const at = new Date(Date.now() - 3_600_000 - new Date().getTimezoneOffset() * 60_000);
      return at.toISOString().slice(0, 16);
    });
    await page.getByLabel('Since (your local time)').fill(since);
    await page.getByRole('button', { name: 'Re-send events' }).click();
    await page.getByText(/^[1-9]\d* events? will be sent again$/).waitFor();
    await page
      .getByTestId('delivery-installation.active')
      .getByText('succeeded')
      .waitFor({ timeout: 30_000 });
  });

  it('a publisher sees a version’s impact before deprecating it, and its runs per day', async () => {
    const version = await h.call('POST', `/v1/listings/${listing.id}/versions`, {
      token: publisher.token,
      body: { ...echoManifest, version: '1.1.0', changelog: 'Faster.' },
    });
    await uploadCodeIfProcess(h, publisher.token, listing.id, version);
    const submitted = await h.call('POST', `/v1/listings/${listing.id}/versions/1.1.0/submit`, {
      token: publisher.token,
    });
    await approveSubmission(h, submitted.workflowId, reviewer);

    const page = contexts[2]!.pages()[0]!;
    await page.getByRole('link', { name: 'My listings' }).click();
    await page.getByRole('link', { name: /Refund helper/ }).click();
    await settled(page);
    const usage = page.getByTestId('listing-usage');
    await usage.getByText('2 runs, 2 succeeded (100 %).').waitFor();
    await usage.locator('.recharts-bar-rectangle').first().waitFor();
    await check(page, 'publisher-listing');

    await page.getByRole('button', { name: 'Deprecate 1.0.0' }).click();
    const dialog = page.getByRole('dialog');
    const impact = dialog.getByTestId('version-impact');
    await impact.getByText('2 installations run 1.0.0').waitFor();
    expect(await impact.textContent()).toContain('1.1.0');
    await check(page, 'deprecate-dialog');
    await dialog.getByRole('button', { name: 'Deprecate' }).click();
    await page.getByText('Version 1.0.0 deprecated; 2 installations run it still').waitFor();
    await page.getByTestId('version-1.0.0').getByText('deprecated').waitFor();
  });

  it('a reviewer sees the automated checks of a version waiting for review', async () => {
    const version = await h.call('POST', `/v1/listings/${listing.id}/versions`, {
      token: publisher.token,
      body: { ...echoManifest, version: '1.2.0' },
    });
    await uploadCodeIfProcess(h, publisher.token, listing.id, version);
    await h.call('POST', `/v1/listings/${listing.id}/versions/1.2.0/submit`, { token: publisher.token });
    const page = await signedIn(reviewer);
    await page.getByRole('link', { name: 'Reviews' }).click();
    const checks = page.getByTestId('automated-checks');
    await checks.getByText('Manifest valid against the manifest schema').waitFor({ timeout: 30_000 });
    expect(await checks.textContent()).toContain('Agent code uploaded before submission');
    await check(page, 'reviews-checks');
  });

  it('reads at phone width (375 px): no sideways scrolling, no serious violation', async () => {
    const page = await signedIn(happy.token, 375);
    for (const [path, name] of [
      [`/listings/${listing.slug}`, 'listing-phone'],
      ['/webhooks', 'webhooks-phone'],
    ] as const) {
      await page.goto(`${base}${path}`);
      await settled(page);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, name).toBeLessThanOrEqual(0);
      await check(page, name);
    }
    await page.getByRole('link', { name: receiver.url('/console') }).click();
    await settled(page);
    expect(
      await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth),
    ).toBeLessThanOrEqual(0);
    await check(page, 'webhook-phone');
  });

  it('the shared key form issues an organisation key and a platform key, each token shown once', async () => {
    const page = contexts[0]!.pages()[0]!;
    await page.getByRole('link', { name: 'API keys' }).click();
    await settled(page);
    const panel = page.getByRole('region', { name: 'Issue a key' });
    await panel.getByLabel('Name').fill('ci-runner');
    await panel.getByLabel('Role').selectOption('member');
    await panel.getByRole('button', { name: 'Issue key' }).click();
    const token = (await panel.getByTestId('secret-once').getByLabel('Secret value').textContent())!.trim();
    expect(token).toMatch(/^bzr_/);
    await page.getByRole('button', { name: 'Revoke ci-runner' }).waitFor();
    await panel.getByRole('button', { name: 'I have copied it' }).click();
    expect(await page.content()).not.toContain(token);
    const me = await h.request('GET', '/v1/me', { token });
    expect(me.body).toMatchObject({ orgName: 'Happy Hotels', role: 'member', keyName: 'ci-runner' });

    const admin = contexts[3]!.pages()[0]!;
    await admin.getByRole('link', { name: 'Organisations' }).click();
    await settled(admin);
    const platform = admin.getByRole('region', { name: 'Issue a platform key' });
    await platform.getByLabel('Name').fill('second-reviewer');
    await platform.getByRole('button', { name: 'Issue key' }).click();
    const reviewerToken = (await platform.getByLabel('Secret value').textContent())!.trim();
    expect((await h.request('GET', '/v1/me', { token: reviewerToken })).body.role).toBe('reviewer');
  });

  it('the consumer deletes its rating: it leaves the list and the histogram', async () => {
    const page = contexts[0]!.pages()[0]!;
    await page.goto(`${base}/listings/${listing.slug}`);
    await settled(page);
    await page.getByRole('button', { name: 'Delete your rating' }).click();
    await check(page, 'delete-rating-dialog');
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await page.getByText('Your rating was deleted').waitFor();
    await page.getByTestId('rating-histogram').getByText('No ratings yet').waitFor();
    await page.locator('li.review', { hasText: 'Does what it says' }).waitFor({ state: 'detached' });
    await page.getByTestId('my-rating').getByRole('button', { name: 'Publish rating' }).waitFor();
  });

  it('finds no serious accessibility violation on the new pages and dialogs (axe-core)', () => {
    expect(Object.keys(a11y).length).toBeGreaterThanOrEqual(12);
    for (const [pageName, violations] of Object.entries(a11y)) expect(violations, pageName).toEqual([]);
  });
});
