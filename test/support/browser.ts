// Real Chromium for the console's tests: Debian's /usr/bin/chromium driven by playwright-core (never a
// downloaded browser), installed from Debian's packages when missing; and an axe-core check.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import axe from 'axe-core';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

const executablePath = '/usr/bin/chromium';

/** Flags for a quiet, headless Chromium that reaches nothing but the pages it is sent to. */
const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Installs Debian's chromium when it is missing (as root with apt-get), then launches it. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(executablePath)) {
    try {
      execFileSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: 'ignore' });
    } catch {
      execFileSync('apt-get', ['update', '-qq'], { stdio: 'ignore' });
      execFileSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: 'ignore' });
    }
  }
  return chromium.launch({ executablePath, args: chromiumArgs, headless: true });
}

/**
 * A page of its own (one browser context per person) signed in to the console at `base` with an API
 * key, `width` px wide (under 500: a phone).
 */
export async function signedInPage(
  browser: Browser,
  base: string,
  token: string,
  width = 1280,
): Promise<{ page: Page; context: BrowserContext }> {
  const context = await browser.newContext({ viewport: { width, height: 860 }, isMobile: width < 500 });
  const page = await context.newPage();
  await page.goto(base);
  await page.getByLabel('API key').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  return { page, context };
}

const axeSource: string = axe.source;

/** One accessibility problem axe-core found. */
export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

/**
 * Runs axe-core (WCAG 2.x A and AA rules) on the page as it is now; returns the serious and critical
 * violations. Evaluated through the DevTools protocol, so the console's CSP (no inline scripts) holds.
 */
export async function seriousAccessibilityViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as { axe: { run: (context: unknown, options: unknown) => Promise<any> } }
    ).axe;
    const result = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
    });
    return result.violations.map((v: any) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      targets: v.nodes.map((n: any) => String(n.target)),
    }));
  });
  return violations.filter((v: AxeViolation) => v.impact === 'serious' || v.impact === 'critical');
}
