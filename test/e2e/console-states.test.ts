// The console's states and keyboard use in real Chromium, against a real Bazaar on a database of its
// own (other e2e files share the run's database and leave versions in the review queue, so "empty"
// could not be asserted there): a new organisation's pages say they are empty and where to go next; a
// missing resource is a page with the API's message, status, code and request id and a way back; the
// webhook forms refuse an endpoint without event types, inline, before asking the API; the reviewer's
// queue goes from empty to one version and back to empty after a rejection with a reason, which the
// publisher reads; a platform admin creates, suspends (with a reason) and reinstates an organisation;
// and the keyboard: the skip link, focus on the heading after navigation, visible focus, Enter sends a
// form, Escape closes a dialog and gives focus back. axe-core checks each state.
import { execFile } from 'node:child_process';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen } from '../../src/api/listen.js';
import { createLogger } from '../../src/logger.js';
import { echoArtifact, echoManifest } from '../support/agents.js';
import { launchChromium, seriousAccessibilityViolations, signedInPage } from '../support/browser.js';
import { listingBody, startHarness, type Harness } from '../support/harness.js';
import { publishListing } from '../support/publish.js';

const root = new URL('../../', import.meta.url).pathname;
type Org = { org: { id: string; name: string }; token: string };

describe('the console’s empty, error and keyboard states in Chromium', () => {
  let h: Harness;
  let server: Server;
  let base: string;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  let publisher: Org;
  let consumer: Org;
  let reviewer: string;
  const a11y: Record<string, unknown[]> = {};

  beforeAll(async () => {
    // Not execFileSync: a rebuild can take over a minute on a loaded machine, and a worker blocked that
    // long misses vitest's 60 s answer to its own progress report ("Timeout calling onTaskUpdate").
    await promisify(execFile)('bash', ['scripts/build-web.sh'], { cwd: root });
    // Private addresses allowed, so that a loopback URL may be registered as a webhook endpoint.
    h = await startHarness({ ownDatabase: true, env: { WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true' } });
    server = await listen(h.app, { port: 0, hostname: '127.0.0.1', logger: createLogger('silent') });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    publisher = await h.createOrg('Fresh Publishing');
    consumer = await h.createOrg('Empty Estates');
    reviewer = await h.createPlatformKey('reviewer');
    browser = await launchChromium();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((done) => server?.close(done));
    await h?.stop();
  });

  async function signedIn(token: string): Promise<Page> {
    const { page, context } = await signedInPage(browser, base, token);
    contexts.push(context);
    return page;
  }

  async function settled(page: Page) {
    await page.getByRole('heading', { level: 1 }).first().waitFor();
    await page.waitForFunction(() => !document.querySelector('[role=status] .spinner'));
  }

  /** What has focus: its tag, id and text. */
  const focused = (page: Page) =>
    page.evaluate(() => {
      const active = document.activeElement as HTMLElement | null;
      return { tag: active?.tagName, id: active?.id, text: active?.textContent?.trim() };
    });

  it('a new organisation’s pages say they are empty and where to go next', async () => {
    const page = await signedIn(consumer.token);
    for (const [link, ...empties] of [
      ['Installations', 'No installations yet.'],
      ['Usage', 'No runs in this period.'],
      ['Invoices', 'No invoices yet'],
      ['My listings', 'You have not listed an agent yet', 'No payouts yet'],
      ['Credentials', 'No credentials yet.'],
      ['Webhooks', 'No endpoints yet'],
    ] as const) {
      await page.getByRole('link', { name: link, exact: true }).click();
      await settled(page);
      for (const empty of empties) await page.getByText(empty).first().waitFor();
      a11y[`empty ${link}`] = await seriousAccessibilityViolations(page);
    }
    // No dead end: the empty installations page leads to the catalog.
    await page.getByRole('link', { name: 'Installations', exact: true }).click();
    await page.getByRole('link', { name: 'Find an agent in the catalog' }).click();
    await page.getByLabel('Describe the problem you want solved').waitFor();
  });

  it('the catalog counts its results, filters narrow them, no match says what to try; a listing names its publisher', async () => {
    await publishListing(h, {
      publisherToken: publisher.token,
      reviewerToken: reviewer,
      listing: { name: 'Ticket echo', category: 'support', tags: ['tickets'] },
      manifest: {
        ...echoManifest,
        description: 'Echoes a customer support ticket back unchanged',
        pricing: { model: 'free' },
        requiredCredentials: [],
      },
    });
    const page = contexts[0]!.pages()[0]!;
    await page.getByRole('link', { name: 'Catalog', exact: true }).click();
    await page.getByLabel('Describe the problem you want solved').fill('echo a customer support ticket');
    const count = page.getByTestId('result-count');
    await count.getByText('1 agent found').waitFor({ timeout: 30_000 });
    await page.getByRole('link', { name: 'Ticket echo' }).waitFor();

    await page.getByLabel('Pricing').selectOption('usage_based');
    await count.getByText('No agents match').waitFor();
    await page.getByText('Try other words, or fewer filters.').waitFor();
    a11y['catalog without a match'] = await seriousAccessibilityViolations(page);
    await page.getByLabel('Pricing').selectOption('free');
    await count.getByText('1 agent found').waitFor();
    await page.getByLabel('Category').fill('billing');
    await count.getByText('No agents match').waitFor();
    await page.getByLabel('Category').fill('support');
    await page.getByLabel('Tags (comma-separated)').fill('tickets');
    await count.getByText('1 agent found').waitFor();
    await page.getByLabel('Minimum rating').selectOption('4');
    await count.getByText('No agents match').waitFor(); // nobody has rated it yet
    await page.getByLabel('Minimum rating').selectOption('');
    await count.getByText('1 agent found').waitFor();

    await page.getByRole('link', { name: 'Ticket echo' }).click();
    await page.getByRole('heading', { name: 'Ticket echo', level: 1 }).waitFor();
    expect(await page.getByTestId('publisher').textContent()).toBe('by Fresh Publishing');
  });

  it('a missing installation, listing or page is a page of its own: the API’s message, code and request id, and a way back', async () => {
    const page = contexts[0]!.pages()[0]!;
    const missing = 'inst-that-does-not-exist';
    const answer = await h.request('GET', `/v1/installations/${missing}`, { token: consumer.token });
    expect(answer.status).toBe(404);
    await page.goto(`${base}/installations/${missing}`);
    await page.getByRole('heading', { name: 'Could not load the installation', level: 1 }).waitFor();
    const alert = page.getByRole('alert');
    const text = (await alert.textContent())!;
    expect(text).toContain(answer.body.error.message);
    expect(text).toMatch(new RegExp(`404 ${answer.body.error.code} · request \\S+`));
    a11y['missing installation'] = await seriousAccessibilityViolations(page);
    await page.getByRole('link', { name: '← All installations' }).click();
    await page.getByRole('heading', { name: 'Installations', level: 1 }).waitFor();

    await page.goto(`${base}/listings/no-such-agent-here`);
    await page.getByRole('heading', { name: 'Could not load the listing', level: 1 }).waitFor();
    expect(await page.getByRole('alert').textContent()).toMatch(/404 not_found · request \S+/);
    await page.getByRole('link', { name: '← Back to the catalog' }).click();
    await page.getByLabel('Describe the problem you want solved').waitFor();

    await page.goto(`${base}/no/such/page`);
    await page.getByRole('heading', { name: 'Page not found' }).waitFor();
    await page.getByRole('link', { name: 'Go to the catalog' }).click();
    await page.getByLabel('Describe the problem you want solved').waitFor();
  });

  it('the keyboard: skip link, focus on the heading after navigation, visible focus, Enter sends, Escape cancels', async () => {
    const page = contexts[0]!.pages()[0]!;
    // The skip link is the first thing in the page, shows itself when focused and leads to the content.
    expect(
      await page.evaluate(() => document.querySelector('a, button, input, select, textarea')?.textContent),
    ).toBe('Skip to content');
    const skip = page.getByRole('link', { name: 'Skip to content' });
    await skip.focus();
    const box = (await skip.boundingBox())!;
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.y).toBeGreaterThanOrEqual(0);
    await page.keyboard.press('Enter');
    expect((await focused(page)).id).toBe('main');

    // Following a link by keyboard lands on the new page's heading, even when the page arrives later.
    await page.getByRole('link', { name: 'Credentials', exact: true }).focus();
    await page.keyboard.press('Enter');
    await page.waitForFunction(
      () => document.activeElement?.tagName === 'H1' && document.activeElement.textContent === 'Credentials',
    );

    // Tab moves through the form in order; Enter in a field sends it.
    await page.getByLabel('Name').fill('SHOP_API_KEY');
    await page.keyboard.press('Tab');
    expect((await focused(page)).id).toBe('cred-value');
    // Focus is visible where the keyboard put it.
    expect(await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle)).not.toBe(
      'none',
    );
    await page.keyboard.type('sk_test_keyboard');
    await page.keyboard.press('Enter');
    await page.getByText('Credential SHOP_API_KEY stored').waitFor();
    await page.getByRole('cell', { name: 'SHOP_API_KEY', exact: true }).waitFor();

    // Replace takes the person to the value to type, the name filled in.
    await page.getByRole('button', { name: 'Replace SHOP_API_KEY' }).click();
    expect((await focused(page)).id).toBe('cred-value');
    expect(await page.getByLabel('Name').inputValue()).toBe('SHOP_API_KEY');

    // A confirmation dialog takes focus on its answer; Escape cancels it and gives focus back.
    const remove = page.getByRole('button', { name: 'Delete SHOP_API_KEY' });
    await remove.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    expect(await focused(page)).toMatchObject({ tag: 'BUTTON', text: 'Delete' });
    a11y['confirm dialog'] = await seriousAccessibilityViolations(page);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    expect(await focused(page)).toMatchObject({ tag: 'BUTTON', text: 'Delete SHOP_API_KEY' });
    const kept = await h.request('GET', '/v1/credentials', { token: consumer.token });
    expect(kept.body.credentials.map((c: { name: string }) => c.name)).toEqual(['SHOP_API_KEY']);
    // Enter on the focused answer confirms.
    await page.keyboard.press('Enter');
    await dialog.waitFor();
    await page.keyboard.press('Enter');
    await page.getByText('Credential SHOP_API_KEY deleted').waitFor();
    await page.getByText('No credentials yet.').waitFor();
    // A note of what happened can be dismissed from the keyboard before it leaves by itself.
    await page.getByRole('button', { name: 'Dismiss: Credential SHOP_API_KEY deleted' }).focus();
    await page.keyboard.press('Enter');
    await page.getByText('Credential SHOP_API_KEY deleted').waitFor({ state: 'detached', timeout: 2000 });
  });

  it('a webhook endpoint needs at least one event type: said inline, before the API is asked', async () => {
    const page = contexts[0]!.pages()[0]!;
    await page.getByRole('link', { name: 'Webhooks', exact: true }).click();
    await settled(page);
    await page.getByLabel('URL (public https://)').fill('https://127.0.0.1:9/hooks');
    await page.getByRole('button', { name: 'Register endpoint' }).click();
    const error = page.getByText('Choose at least one event type');
    await error.waitFor();
    // Announced, tied to the event types, and focus is on the first of them.
    expect(await error.getAttribute('role')).toBe('alert');
    const describedBy = await page.locator('fieldset.event-types').getAttribute('aria-describedby');
    expect(describedBy).toBe(await error.getAttribute('id'));
    expect((await focused(page)).tag).toBe('INPUT');
    a11y['webhook without event types'] = await seriousAccessibilityViolations(page);
    expect((await h.request('GET', '/v1/webhooks', { token: consumer.token })).body.endpoints).toEqual([]);

    await page.getByLabel('invoice.finalized').check();
    await error.waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Register endpoint' }).click();
    await page.getByTestId('secret-once').waitFor();
    await page.getByRole('button', { name: 'I have copied it' }).click();
    // The form is empty again and says nothing until it is sent again.
    expect(await page.getByText('Choose at least one event type').count()).toBe(0);

    // Editing the endpoint: choosing none is refused the same way, and nothing changes.
    await page.getByRole('link', { name: 'https://127.0.0.1:9/hooks' }).click();
    await settled(page);
    await page.getByRole('button', { name: 'Choose none' }).click();
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Choose at least one event type').waitFor();
    const [endpoint] = (await h.request('GET', '/v1/webhooks', { token: consumer.token })).body.endpoints;
    expect(endpoint.eventTypes).toEqual(['invoice.finalized']);
    // And the API refuses an empty list on its own too.
    const empty = await h.request('PATCH', `/v1/webhooks/${endpoint.id}`, {
      token: consumer.token,
      body: { eventTypes: [] },
    });
    expect(empty.status).toBe(400);
    expect(empty.body.error.details[0].path).toBe('json.eventTypes');
  });

  it('the review queue: empty, then a version arrives, is rejected with a reason, and the queue is empty again', async () => {
    const page = await signedIn(reviewer);
    await page.getByRole('link', { name: 'Reviews' }).click();
    await settled(page);
    await page.getByText('Nothing is waiting for review.').waitFor();
    a11y['empty review queue'] = await seriousAccessibilityViolations(page);

    const listing = await h.call('POST', '/v1/listings', {
      token: publisher.token,
      body: listingBody({ name: 'Keyboard echo' }),
    });
    await h.call('POST', `/v1/listings/${listing.id}/versions`, {
      token: publisher.token,
      body: { ...echoManifest, version: '1.0.0' },
    });
    // The publisher drops the agent's code on the version (drag and drop, not the file picker) and submits.
    const publisherPage = await signedIn(publisher.token);
    await publisherPage.goto(`${base}/publisher/${listing.id}`);
    const version = publisherPage.getByTestId('version-1.0.0');
    await version.getByTestId('dropzone').evaluate((zone, base64) => {
      const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      const dataTransfer = new DataTransfer();
      dataTransfer.items.add(new File([bytes], 'echo.tar.gz', { type: 'application/gzip' }));
      for (const type of ['dragenter', 'dragover', 'drop'])
        zone.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer }));
    }, echoArtifact().toString('base64'));
    await version.getByText('Uploaded.').waitFor();
    await publisherPage.getByText(/Code uploaded \(echo\.tar\.gz, sha256 [0-9a-f]{12}…\)/).waitFor();
    await publisherPage.getByRole('button', { name: 'Submit 1.0.0 for review' }).click();
    await publisherPage.getByRole('dialog').getByRole('button', { name: 'Submit' }).click();
    await version.getByText('in review').waitFor();

    // The queue follows by itself.
    await page.getByRole('heading', { name: /Keyboard echo/ }).waitFor({ timeout: 30_000 });
    await page.getByText('Manifest valid against the manifest schema').waitFor({ timeout: 30_000 });
    const reject = page.getByRole('button', { name: 'Reject 1.0.0' });
    expect(await reject.isDisabled()).toBe(true); // a rejection needs a reason
    await page.getByLabel(/^Reason/).fill('The description does not say what it echoes.');
    await reject.click();
    const dialog = page.getByRole('dialog');
    expect(await dialog.textContent()).toContain('because: The description does not say what it echoes.');
    await dialog.getByRole('button', { name: 'Reject' }).click();
    await page.getByText('Keyboard echo 1.0.0 rejected').waitFor();
    await page.getByText('Nothing is waiting for review.').waitFor({ timeout: 30_000 });

    await version.getByText('The description does not say what it echoes.').waitFor({ timeout: 30_000 });
  });

  it('a platform admin creates an organisation, suspends it with a reason and reinstates it', async () => {
    const page = await signedIn(h.adminToken);
    await page.getByRole('link', { name: 'Organisations' }).click();
    await settled(page);
    const create = page.getByRole('region', { name: 'Create an organisation' });
    await create.getByLabel('Name').fill('Suspendable Supplies');
    await create.getByRole('button', { name: 'Create' }).click();
    await page.getByText('Organisation Suspendable Supplies created').waitFor();
    const token = (await page.getByTestId('secret-once').getByLabel('Secret value').textContent())!.trim();
    expect((await h.request('GET', '/v1/me', { token })).body.orgName).toBe('Suspendable Supplies');
    await page.getByRole('button', { name: 'I have copied it' }).click();
    await page.getByTestId('secret-once').waitFor({ state: 'detached' });
    await page.waitForFunction(() => document.activeElement?.tagName === 'H1'); // not lost to the body

    await page.getByRole('button', { name: 'Suspend Suspendable Supplies' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Reason').fill('Unpaid invoices');
    a11y['suspend dialog'] = await seriousAccessibilityViolations(page);
    await page.keyboard.press('Enter'); // Enter in the reason sends the dialog's form
    await page.getByText('Suspendable Supplies is now suspended').waitFor();
    // The Suspend button is gone (Reinstate took its place): focus did not fall to the page's body.
    await page.waitForFunction(() => document.activeElement?.tagName === 'H1');
    const row = page.getByRole('row', { name: /Suspendable Supplies/ });
    await row.getByText('Unpaid invoices').waitFor();
    a11y['organisations with a suspended one'] = await seriousAccessibilityViolations(page);

    await page.getByRole('button', { name: 'Reinstate Suspendable Supplies' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Reinstate' }).click();
    await page.getByText('Suspendable Supplies is now active').waitFor();
    await row.getByRole('button', { name: 'Suspend Suspendable Supplies' }).waitFor();
  });

  it('reads at phone width (375 px): no sideways scrolling on each role’s pages, no serious violation', async () => {
    for (const [token, paths] of [
      [
        consumer.token,
        ['/installations', '/usage', '/invoices', '/credentials', '/publisher', '/installations/gone'],
      ],
      [reviewer, ['/reviews']],
      [h.adminToken, ['/admin/organizations', '/admin/billing']],
    ] as const) {
      const { page, context } = await signedInPage(browser, base, token, 375);
      contexts.push(context);
      for (const path of paths) {
        await page.goto(`${base}${path}`);
        await settled(page);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        expect(overflow, path).toBeLessThanOrEqual(0);
        a11y[`phone ${path}`] = await seriousAccessibilityViolations(page);
      }
    }
  });

  it('finds no serious accessibility violation in any of these states (axe-core)', () => {
    expect(Object.keys(a11y).length).toBeGreaterThanOrEqual(11);
    for (const [state, violations] of Object.entries(a11y)) expect(violations, state).toEqual([]);
  });
});
