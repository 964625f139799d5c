import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dbKinds, freshDatabase } from './helpers/db.js';
import { startApp } from '../src/server/app.js';
import { loadConfig } from '../src/server/config.js';

for (const kind of dbKinds) {
  test(`${kind}: the server answers the health query over HTTP and serves the page`, async () => {
    const db = await freshDatabase(kind);
    const app = await startApp(loadConfig({}, { port: 0 }), { db });
    try {
      const res = await fetch(`${app.url}graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          query: '{ health { version databaseKind migrations { applied known pending upToDate } } }',
        }),
      });
      assert.equal(res.status, 200);
      const body = (await res.json()) as { data: { health: Record<string, unknown> } };
      assert.equal(body.data.health.databaseKind, kind);
      assert.match(String(body.data.health.version), /^\d+\.\d+\.\d+/);
      assert.deepEqual(body.data.health.migrations, {
        ...(body.data.health.migrations as object),
        pending: [],
        upToDate: true,
      });

      const page = await fetch(app.url);
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-type') ?? '', /text\/html/);
      assert.match(await page.text(), /rwa-lab/);

      // An encoded traversal outside the dashboard folder is refused (fetch would normalise a plain ../).
      const escape = await fetch(`${app.url}..%2f..%2f..%2fpackage.json`);
      assert.equal(escape.status, 404);
      assert.equal((await fetch(`${app.url}missing.js`)).status, 404);

      const huge = await fetch(`${app.url}graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ health { version } }', pad: 'x'.repeat(2 << 20) }),
      });
      assert.equal(huge.status, 413);
    } finally {
      await app.close();
      await db.close();
    }
  });
}
