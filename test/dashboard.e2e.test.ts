/**
 * The dashboard end to end in real headless Chromium, against the real server on a fresh PGlite database:
 * first start (empty state with the demo offer), then two tiny trained runs (RWA vs LSTM on adding T=20):
 * the runs table, the compared curves, a heatmap decoded in the browser (size, markers, hover value equal
 * to the server's decoding), reload restoring the view from the URL, a share link opened in a fresh
 * context, launching a tiny run and seeing it finish live, a phone-width layout, and the time to the first
 * paint of the runs table with 1,000 runs (reported, not asserted). Screenshots: dist/test-output/.
 *   npx tsc -p . && node --test dist/test/dashboard.e2e.test.js
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { startApp, type App } from '../src/server/app.js';
import { loadConfig } from '../src/server/config.js';
import type { Database } from '../src/server/db/database.js';
import { decodeHidden } from '../src/trainer/codec/index.js';
import { resolveRunConfig } from '../src/trainer/config.js';
import { createRun, executeRun } from '../src/trainer/runs.js';
import { freshDatabase } from './helpers/db.js';
import { chromiumMissing, dashboardBuilt, launchChromium, screenshot, watchErrors } from './helpers/browser.js';

const TOKEN = 'dashboard-test-token-0123456789';
const skip = chromiumMissing() || dashboardBuilt();

const tiny = (model: string) =>
  resolveRunConfig({
    task: 'adding',
    taskOptions: { length: 20 },
    model,
    units: 16,
    steps: 60,
    evalEvery: 10,
    snapshotEvery: 20,
    snapshotSamples: 2,
    testSize: 50,
    batchSize: 20,
  });

test(
  'the dashboard in Chromium: runs, curves, heatmaps, reload, share, launch',
  { skip, timeout: 420_000 },
  async (t) => {
    const db: Database = await freshDatabase('pglite');
    let app: App | undefined;
    let browser: Browser | undefined;
    try {
      app = await startApp(loadConfig({}, { port: 0, apiToken: TOKEN, workers: 1, heartbeatSeconds: 10 }), { db });
      browser = await launchChromium();
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const page = await context.newPage();
      const errors = watchErrors(page);
      const base = app.url.replace(/\/$/, '');

      await t.test('first start: an empty database offers the demo comparison', async () => {
        await page.goto(`${base}/#token=${TOKEN}`);
        await page.getByText('No runs yet.').waitFor();
        assert.ok(await page.getByRole('button', { name: 'Start the demo comparison' }).isVisible());
        assert.equal(page.url(), `${base}/`, 'the token leaves the URL');
        assert.equal(await page.evaluate(() => localStorage.getItem('rwa-lab.token')), TOKEN);
        await screenshot(page, 'empty');
      });

      // Two real runs, trained here while the server runs (the same embedded database).
      const ids: number[] = [];
      for (const model of ['rwa', 'lstm']) {
        const run = await createRun(db, tiny(model), { experiment: 'adding T=20: rwa vs lstm' });
        const result = await executeRun(db, run.id, { threads: 1 });
        assert.equal(result.status, 'SUCCEEDED');
        ids.push(run.id);
      }

      await t.test('the runs table lists the runs with their best test loss', async () => {
        await page.goto(`${base}/`);
        await page.locator('tbody tr').nth(1).waitFor();
        assert.equal(await page.locator('tbody tr').count(), 2);
        const models = await page.locator('tbody td[data-col="model"]').allTextContents();
        assert.deepEqual(models.sort(), ['LSTM', 'RWA']);
        await page.waitForFunction(() => !document.querySelector('tbody td[data-col="best"] .pending'));
        const best = await page.locator('tbody td[data-col="best"]').allTextContents();
        assert.ok(
          best.every((b) => Number(b) > 0),
          `best test loss ${best}`,
        );
        await screenshot(page, 'runs');
      });

      await t.test('comparing two runs draws their test and train curves', async () => {
        for (const id of ids) await page.check(`tbody input[data-id="${id}"]`);
        await page.getByRole('button', { name: 'Compare 2 selected' }).click();
        await page.waitForFunction(() => document.querySelectorAll('#view-curves path.line').length === 4);
        assert.match(page.url(), new RegExp(`view=curves&runs=${ids[0]},${ids[1]}`));
        const lines = await page.$$eval('#view-curves path.line', (ps) =>
          ps.map((p) => ({
            key: p.getAttribute('data-key'),
            points: Number(p.getAttribute('data-points')),
            d: p.getAttribute('d') ?? '',
          })),
        );
        const stored = await db.prisma.metricSeries.findMany({
          where: { runId: { in: ids }, name: 'loss' },
          include: { _count: { select: { points: true } } },
        });
        for (const l of lines) {
          const [runId, split] = l.key!.split('-');
          const expected = stored.find((s) => s.runId === Number(runId) && s.split === split!.toUpperCase())!._count
            .points;
          assert.equal(l.points, expected, `${l.key} points`);
          assert.ok((l.d.match(/L/g) ?? []).length >= expected - 1, `${l.key} path has its points`);
        }
        assert.match((await page.locator('#view-curves .axis-label').allTextContents()).join('|'), /MSE \(log scale\)/);
        const box = (await page.locator('#view-curves svg.curves-chart').boundingBox())!;
        await page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.4);
        await page.locator('#view-curves .readout text').waitFor();
        assert.match((await page.locator('#view-curves .readout text').textContent()) ?? '', /step \d+.*#\d+ RWA/);
        await screenshot(page, 'curves');
        // Zoom by dragging across the plot: the URL carries it and the server re-buckets the range.
        await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.5);
        await page.mouse.down();
        await page.mouse.move(box.x + box.width * 0.7, box.y + box.height * 0.5, { steps: 5 });
        await page.mouse.up();
        await page.waitForURL(/zoom=\d+-\d+/);
        await page.getByRole('button', { name: 'Reset zoom' }).click();
        await page.waitForURL((u) => !u.search.includes('zoom='));
        await page.locator('#view-curves input.smooth').fill('0.6');
        await page.waitForURL(/smooth=0.6/);
      });

      const snap = await db.prisma.hiddenStateSnapshot.findFirstOrThrow({
        where: { runId: ids[0]!, sample: 0 },
        orderBy: { step: 'desc' },
      });
      const h = decodeHidden(snap.codec, snap.codecParams, snap.data);

      await t.test('the hidden states draw as a heatmap with the task markers and exact hover values', async () => {
        await page.locator('nav.tabs a[data-nav="states"]').click();
        const canvas = page.locator('#view-states canvas');
        await canvas.waitFor();
        assert.equal(await canvas.getAttribute('data-cells'), `${snap.timeSteps}x${snap.units}`);
        const cb = (await canvas.boundingBox())!;
        assert.ok(cb.width > 300 && cb.height > 300, `canvas ${cb.width}x${cb.height}`);
        const events = snap.events as { markers: number[] };
        const markers = await page.$$eval('#view-states .marker[data-t]', (gs) =>
          gs.map((g) => ({
            t: Number(g.getAttribute('data-t')),
            y: g.getBoundingClientRect().y + g.getBoundingClientRect().height / 2,
          })),
        );
        assert.deepEqual(
          markers.map((m) => m.t),
          [...events.markers].sort((a, b) => a - b),
        );
        const markerLines = await page.$$eval('#view-states .marker line', (ls) =>
          ls.map((l) => l.getBoundingClientRect().y),
        );
        markerLines.forEach((y, i) => {
          const expected = cb.y + ((markers[i]!.t + 0.5) / snap.timeSteps) * cb.height;
          assert.ok(Math.abs(y - expected) < 1.5, `marker t=${markers[i]!.t} at y=${y}, expected ${expected}`);
        });
        // Hover a cell: the read-out shows the value the server's decoder gives for it.
        const tCell = 13;
        const unit = 5;
        await page.mouse.move(
          cb.x + ((unit + 0.5) / snap.units) * cb.width,
          cb.y + ((tCell + 0.5) / snap.timeSteps) * cb.height,
        );
        const text = await page.locator('#view-states .readout-line').textContent();
        const m = /t = (\d+), unit (\d+): h = (-?[\d.]+)/.exec(text ?? '');
        assert.ok(m, `read-out: ${text}`);
        assert.equal(Number(m[1]), tCell);
        assert.equal(Number(m[2]), unit);
        assert.ok(
          Math.abs(Number(m[3]) - h[tCell * snap.units + unit]!) < 6e-4,
          `${m[3]} vs ${h[tCell * snap.units + unit]}`,
        );
        // The colour of the hottest cell is red, of the coldest blue.
        let hi = 0;
        let lo = 0;
        for (let i = 1; i < h.length; i++) {
          if (h[i]! > h[hi]!) hi = i;
          if (h[i]! < h[lo]!) lo = i;
        }
        const rgb = await page.evaluate(
          ([cells, T, N]) => {
            const c = document.querySelector<HTMLCanvasElement>('#view-states canvas')!;
            const ctx = c.getContext('2d')!;
            return cells.map((i) => {
              const tt = Math.floor(i / N);
              const u = i % N;
              return [
                ...ctx.getImageData(
                  Math.floor(((u + 0.5) / N) * c.width),
                  Math.floor(((tt + 0.5) / T) * c.height),
                  1,
                  1,
                ).data,
              ];
            });
          },
          [[hi, lo], snap.timeSteps, snap.units] as [number[], number, number],
        );
        assert.ok(rgb[0]![0]! - rgb[0]![2]! > 50, `hottest cell ${rgb[0]} is red`);
        assert.ok(rgb[1]![2]! - rgb[1]![0]! > 50, `coldest cell ${rgb[1]} is blue`);
        await screenshot(page, 'heatmap');
      });

      await t.test('a reload restores the view from the URL', async () => {
        const steps = (
          await db.prisma.hiddenStateSnapshot.findMany({
            where: { runId: ids[0]!, sample: 0 },
            orderBy: { step: 'asc' },
          })
        ).map((s) => s.step);
        await page.locator('#view-states input.step-slider').fill('1');
        await page.waitForURL(new RegExp(`step=${steps[1]}`));
        await page.selectOption('#view-states select[aria-label="Unit order"]', 'change');
        await page.waitForURL(/units=change/);
        const before = page.url();
        await page.reload();
        await page.locator('#view-states canvas').waitFor();
        assert.equal(page.url(), before);
        assert.equal(await page.locator('#view-states .step-value').textContent(), String(steps[1]));
        assert.equal(await page.locator('#view-states select[aria-label="Unit order"]').inputValue(), 'change');
        assert.ok(await page.locator('nav.tabs a[data-nav="states"].active').isVisible());
      });

      await t.test('a share link opens the same view read-only in a fresh browser context', async () => {
        await page.getByRole('button', { name: 'Share view' }).click();
        const input = page.locator('#share-panel input.share-url');
        await input.waitFor();
        const url = await input.inputValue();
        assert.match(url, /\/share\/share_[\w-]+\?view=states/);
        const fresh = await browser!.newContext({ viewport: { width: 1280, height: 900 } });
        try {
          const shared = await fresh.newPage();
          const sharedErrors = watchErrors(shared);
          await shared.goto(url);
          await shared.locator('#view-states canvas').waitFor();
          assert.ok(await shared.locator('#shared-badge').isVisible());
          assert.equal(await shared.locator('nav.tabs a[data-nav="launch"]').isVisible(), false);
          assert.equal(await shared.locator('#share-button').isVisible(), false);
          assert.equal(
            await shared.locator('#view-states .step-value').textContent(),
            await page.locator('#view-states .step-value').textContent(),
          );
          assert.equal(await shared.locator('#view-states select[aria-label="Unit order"]').inputValue(), 'change');
          assert.equal(
            await shared.evaluate(() => localStorage.getItem('rwa-lab.token')),
            null,
            'no API token in the fresh context',
          );
          await shared.locator('nav.tabs a[data-nav="curves"]').click();
          await shared.waitForFunction(() => document.querySelectorAll('#view-curves path.line').length === 4);
          await screenshot(shared, 'shared-curves');
          assert.deepEqual(sharedErrors, []);
        } finally {
          await fresh.close();
        }
      });

      await t.test('launching a tiny run shows it live until it finishes', async () => {
        await page.locator('nav.tabs a[data-nav="launch"]').click();
        const form = page.locator('form.launch-form');
        await form.locator('input[name=units]').fill('0');
        await form.getByRole('button', { name: 'Start' }).click();
        assert.match((await form.locator('[data-field="units"] .error').textContent()) ?? '', /1 to 4,096/);
        await form.locator('input[name=length]').fill('10');
        await form.locator('input[name=models][value=lstm]').uncheck();
        await form.locator('input[name=units]').fill('8');
        await form.locator('input[name=steps]').fill('30');
        await form.locator('input[name=evalEvery]').fill('10');
        await form.getByRole('button', { name: 'Start' }).click();
        await page.waitForURL(/view=curves&runs=\d+/);
        const legend = page.locator('#view-curves .legend li');
        await legend.first().waitFor();
        await page.locator('#view-curves .legend .status-succeeded').waitFor({ timeout: 60_000 });
        await page.waitForFunction(() => document.querySelectorAll('#view-curves path.line').length === 2);
        await screenshot(page, 'launched');
      });

      await t.test('a phone-width page has no horizontal overflow', async () => {
        await page.setViewportSize({ width: 390, height: 844 });
        await page.goto(`${base}/?view=states&runs=${ids[0]}`);
        await page.locator('#view-states canvas').waitFor();
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(overflow <= 1, `page overflows by ${overflow}px`);
        await screenshot(page, 'phone-heatmap');
        await page.setViewportSize({ width: 1280, height: 900 });
      });

      await t.test('the runs view paints 1,000 runs quickly', async () => {
        const now = Date.now();
        await db.prisma.run.createMany({
          data: Array.from({ length: 1000 }, (_, i) => ({
            model: ['rwa', 'lstm', 'gru'][i % 3]!,
            task: 'adding',
            length: [100, 1000][i % 2]!,
            units: 250,
            config: {},
            seed: i,
            status: 'SUCCEEDED' as const,
            totalSteps: 50_000,
            currentStep: 50_000,
            createdAt: new Date(now - i * 1000),
          })),
        });
        await page.goto(`${base}/`);
        await page.waitForFunction(() => performance.getEntriesByName('rwa-runs-painted').length > 0);
        const paint = await page.evaluate(() => performance.getEntriesByName('rwa-runs-painted')[0]!.startTime);
        await page.waitForFunction(
          () => !/loading/.test(document.querySelector('.toolbar .count')?.textContent ?? 'loading'),
        );
        assert.match((await page.locator('.toolbar .count').textContent()) ?? '', /1,003 runs/);
        t.diagnostic(`runs view with 1,003 runs: first rows painted ${paint.toFixed(0)} ms after navigation start`);
        console.log(`# first meaningful paint of the runs view (1,003 runs): ${paint.toFixed(0)} ms`);
      });

      assert.deepEqual(errors, []);
    } finally {
      await browser?.close();
      await app?.close();
      await db.close();
    }
  },
);
