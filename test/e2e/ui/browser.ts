import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOTS = join(__dirname, '../../../test-results/ui');

/**
 * Debian's Chromium, headless, quiet: no sandbox (root in CI), no GPU, nothing phoning home.
 * Playwright gives every launch its own fresh temporary profile (user-data-dir).
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

/**
 * A viewport screenshot (sticky bars and the live feed sit where a person sees them, unlike in a
 * full-page capture); `height` grows the viewport for long pages.
 */
export async function screenshot(page: Page, name: string, height?: number): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  const size = page.viewportSize();
  if (height && size) await page.setViewportSize({ width: size.width, height });
  await page.screenshot({ path });
  if (height && size) await page.setViewportSize(size);
  return path;
}

/** Console errors and failed requests of a page, so a test failure says what the browser saw. */
export function collectProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  return problems;
}

/**
 * A page of its own (fresh context, 1280×900) opened at `url` and signed in there through the
 * sign-in form; it waits for `heading`, since signing in keeps the page that was asked for.
 */
export async function openSignedIn(
  browser: Browser,
  url: string,
  person: { email: string; password: string },
  heading: string,
): Promise<{ page: Page; problems: string[] }> {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  page.setDefaultTimeout(15_000);
  const problems = collectProblems(page);
  await page.goto(url);
  await page.getByLabel('Email').fill(person.email);
  await page.getByLabel('Password').fill(person.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: heading }).first().waitFor();
  return { page, problems };
}
