/**
 * The Report view in real headless Chromium, against the real server on a fresh PGlite database holding a
 * small recorded reproduction (test/helpers/report-data.ts): picking experiments (filter, a prefix's
 * "select all"), the table's cells against what buildReport computes, the curves button opening Curves
 * with the row's runs and the authors' log, back and reload restoring the view from the URL, and its share
 * link opening the report read-only. Screenshots: dist/test-output/report*.png.
 *   npx tsc -p . && node scripts/build-dashboard.mjs && node --test dist/test/dashboard.report.test.js
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { startApp, type App } from '../src/server/app.js';
import { loadConfig } from '../src/server/config.js';
import type { Database } from '../src/server/db/database.js';
import { reportGroups } from '../src/report/generate.js';
import { fmtSpread } from '../src/report/markdown.js';
import { fmtInt, fmtValue } from '../src/report/summary.js';
import { freshDatabase } from './helpers/db.js';
import { chromiumMissing, dashboardBuilt, launchChromium, screenshot, watchErrors } from './helpers/browser.js';
import { recordReportData, REPORT_EXPERIMENTS as E } from './helpers/report-data.js';

const TOKEN = 'dashboard-test-token-0123456789';
const skip = chromiumMissing() || dashboardBuilt();

test(
  'the Report view in Chromium: pick experiments, ours beside the paper, curves, reload, share',
  { skip, timeout: 240_000 },
  async (t) => {
    const db: Database = await freshDatabase('pglite');
    let app: App | undefined;
    let browser: Browser | undefined;
    try {
      const ids = await recordReportData(db);
      app = await startApp(loadConfig({}, { port: 0, apiToken: TOKEN, workers: 0, heartbeatSeconds: 10 }), { db });
      browser = await launchChromium();
      const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
      const page = await context.newPage();
      const errors = watchErrors(page);
      const base = app.url.replace(/\/$/, '');
      const quick = [E.rwaLstm, E.gru];
      const expected = (await reportGroups(db, quick, { paperLogs: false })).groups[0]!;
      const cell = (row: string, col: string) =>
        page.locator(`#view-report tr[data-row="${row}"] td[data-col="${col}"]`).textContent();

      await t.test('the picker lists experiments with run counts; a prefix selects all of them', async () => {
        await page.goto(`${base}/#token=${TOKEN}`);
        await page.locator('nav.tabs a[data-nav="report"]').click();
        await page.getByText('Pick experiments.').waitFor();
        const item = page.locator('#view-report .experiment-list li', { hasText: E.rwaLstm }).first();
        assert.equal(await item.locator('.count').textContent(), '3 runs');
        await page.locator('#view-report input[aria-label="Filter experiments"]').fill('copy');
        assert.deepEqual(await page.locator('#view-report .experiment-list .name').allTextContents(), [E.other]);
        await page.locator('#view-report input[aria-label="Filter experiments"]').fill('');
        await page.locator('#view-report button[data-prefix="reproduce quick:"]').click();
        await page.waitForURL((u) => new URL(u).searchParams.getAll('exp').length === 2);
        assert.deepEqual(new URL(page.url()).searchParams.getAll('exp'), quick);
        assert.equal(await page.locator('#view-report .experiment-list input:checked').count(), 2);
      });

      await t.test(
        'the table puts our steps to threshold beside the paper’s, as buildReport computes them',
        async () => {
          await page.locator('#view-report tr[data-row="RWA"]').waitFor();
          const rwa = expected.rows.find((r) => r.label === 'RWA')!;
          assert.equal(rwa.steps!.n, 2);
          assert.equal(await cell('RWA', 'steps'), fmtSpread(rwa.steps, fmtInt));
          assert.match((await cell('RWA', 'steps'))!, /^[\d,]+ ± [\d,]+ \([\d,]+–[\d,]+, n=2\)$/);
          assert.equal(await cell('RWA', 'paper-steps'), '1,000');
          assert.equal(
            await cell('RWA', 'final'),
            fmtSpread(rwa.final, (v) => fmtValue(v, 'loss')),
          );
          assert.equal(await cell('RWA', 'paper-final'), '1.8e-6');
          assert.equal(await cell('RWA', 'params'), '209');
          assert.equal(await cell('RWA', 'speed'), '45.0 ± 7.07 (40.0–50.0, n=2)');
          assert.equal(await cell('LSTM', 'steps'), 'never (3,000 steps)');
          assert.equal(await cell('LSTM', 'paper-steps'), '3,700');
          assert.equal(await cell('GRU', 'paper-steps'), '—');
          assert.equal(
            await page.locator('#view-report tr[data-verdict-for="RWA"] td[data-col="verdict"]').textContent(),
            rwa.verdict.join(' '),
          );
          assert.deepEqual(await page.locator('#view-report .report-group h2').allTextContents(), ['adding T=100']);
          assert.equal(await page.locator('#view-report .sentence').textContent(), expected.sentences[0]);
          assert.deepEqual(await page.locator('#view-report .beyond li').allTextContents(), expected.beyond);
          await screenshot(page, 'report');
        },
      );

      await t.test('a row’s curves button opens Curves with its runs and the authors’ log', async () => {
        await page.locator('#view-report tr[data-row="RWA"] button.curves-button').click();
        const runs = [...ids.rwa, ids.paperRwa];
        await page.waitForURL((u) => new URL(u).searchParams.get('view') === 'curves');
        assert.equal(new URL(page.url()).searchParams.get('runs'), runs.join(','));
        await page.waitForFunction(() => document.querySelectorAll('#view-curves path.line').length === 3);
        const keys = await page.$$eval('#view-curves path.line', (ps) => ps.map((p) => p.getAttribute('data-key')));
        assert.deepEqual(keys.sort(), runs.map((id) => `${id}-test`).sort());
        assert.match((await page.locator('#view-curves .legend').textContent()) ?? '', /paper RWA/);
        await page.goBack();
        await page.locator('#view-report tr[data-row="RWA"]').waitFor();
      });

      await t.test('a reload keeps the report', async () => {
        const before = page.url();
        await page.reload();
        await page.locator('#view-report tr[data-row="LSTM"]').waitFor();
        assert.equal(page.url(), before);
        assert.ok(await page.locator('nav.tabs a[data-nav="report"].active').isVisible());
        assert.equal(await cell('RWA', 'paper-steps'), '1,000');
        assert.equal(await page.locator('#view-report .experiment-list input:checked').count(), 2);
      });

      await t.test('its share link opens the report read-only', async () => {
        await page.getByRole('button', { name: 'Share view' }).click();
        const input = page.locator('#share-panel input.share-url');
        await input.waitFor();
        const url = await input.inputValue();
        assert.match(url, /\/share\/share_[\w-]+\?view=report&exp=/);
        const link = await db.prisma.shareLink.findFirstOrThrow({ orderBy: { createdAt: 'desc' } });
        assert.deepEqual(
          [...(link.view as { runIds: number[] }).runIds].sort((a, b) => a - b),
          [...ids.rwa, ids.lstm, ids.gru, ids.paperRwa].sort((a, b) => a - b),
          'the report’s runs and its reference log, nothing else',
        );
        const fresh = await browser!.newContext({ viewport: { width: 1400, height: 900 } });
        try {
          const shared = await fresh.newPage();
          const sharedErrors = watchErrors(shared);
          await shared.goto(url);
          await shared.locator('#view-report tr[data-row="RWA"]').waitFor();
          assert.ok(await shared.locator('#shared-badge').isVisible());
          assert.equal(await shared.locator('#view-report .report-picker').isVisible(), false, 'no picker');
          assert.equal(
            await shared.locator('#view-report tr[data-row="RWA"] td[data-col="steps"]').textContent(),
            await cell('RWA', 'steps'),
          );
          await screenshot(shared, 'report-shared');
          assert.deepEqual(sharedErrors, []);
        } finally {
          await fresh.close();
        }
      });

      await t.test('an unknown experiment in the URL says so', async () => {
        await page.goto(`${base}/?view=report&exp=nope`);
        await page.getByText('Cannot compute this report.').waitFor();
        assert.match((await page.locator('#view-report .notice.error').textContent()) ?? '', /no experiment "nope"/);
      });

      assert.deepEqual(
        errors.filter((e) => !/400|Bad Request/.test(e)),
        [],
      );
    } finally {
      await browser?.close();
      await app?.close();
      await db.close();
    }
  },
);
