/**
 * Headless Chromium from Debian (/usr/bin/chromium, `apt-get install chromium`), driven by the pinned
 * playwright-core: no browser is ever downloaded. A fresh profile directory per launch.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
export const SCREENSHOT_DIR = path.resolve(__dirname, '..', '..', 'build', 'viewer-screenshots');

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** console errors and uncaught page errors seen so far (the page must not throw) */
  pageErrors: string[];
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium)`);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'dtt-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  return {
    context,
    page,
    pageErrors,
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Open a viewer page and wait until it has rendered (body[data-ready]); resolves to load timings. */
export async function open(page: Page, url: string): Promise<{ state: string; wallMs: number; pageMs: number }> {
  const t0 = Date.now();
  await page.goto(url);
  await page.waitForSelector('body[data-ready]', { timeout: 30_000 });
  const wallMs = Date.now() - t0;
  const state = (await page.getAttribute('body', 'data-ready')) ?? '';
  const pageMs = Number(await page.getAttribute('body', 'data-ready-ms'));
  return { state, wallMs, pageMs };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
