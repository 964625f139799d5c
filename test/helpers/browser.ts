/**
 * Real headless Chromium for the dashboard tests: Debian's chromium package (`apt-get install -y chromium`;
 * .ci/run installs it) driven by playwright-core. Playwright gives every launch a fresh profile directory.
 * Screenshots go to dist/test-output/ (look at them: the file viewer shows PNGs).
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { packageRoot } from '../../src/server/paths.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const OUTPUT_DIR = path.join(packageRoot, 'dist', 'test-output');

export function chromiumMissing(): string | false {
  return fs.existsSync(CHROMIUM)
    ? false
    : `no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Collects page errors and console errors so a test can assert there were none. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  return errors;
}

export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(OUTPUT_DIR, { recursive: true });
  const file = path.join(OUTPUT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** The built dashboard must exist (npm run build / npm test build it). */
export function dashboardBuilt(): string | false {
  return fs.existsSync(path.join(packageRoot, 'dist', 'dashboard', 'main.js'))
    ? false
    : 'dist/dashboard is not built: run npm run build';
}
