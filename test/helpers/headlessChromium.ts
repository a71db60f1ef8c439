import { existsSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';

/** The system Chromium the browser tests drive (`apt-get install -y chromium`, see `.ci/run`). */
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];

/** A headless Chromium with one page, and the errors that page has logged or thrown. */
export interface HeadlessPage {
  browser: Browser;
  page: Page;
  /** Console errors and uncaught exceptions of the page, as text, in order. */
  pageErrors: string[];
}

/**
 * Launches the system Chromium headless and opens one page of `viewport` that
 * records its console errors and uncaught exceptions.
 *
 * @throws {Error} naming the path and the package when Chromium is not installed
 */
export async function openHeadlessPage(viewport: {
  width: number;
  height: number;
}): Promise<HeadlessPage> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}; the dashboard tests need it (apt-get install -y chromium)`,
    );
  }
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const page = await browser.newPage({ viewport });
  const pageErrors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(message.text());
  });
  page.on('pageerror', (error) => pageErrors.push(String(error)));
  return { browser, page, pageErrors };
}
