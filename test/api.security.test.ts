import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dbKinds } from './helpers/db.js';
import { http, testApp, TEST_TOKEN, type J } from './helpers/api.js';
import { resolveRunConfig } from '../src/trainer/config.js';
import { createRun } from '../src/trainer/runs.js';

for (const kind of dbKinds) {
  test(`${kind}: mutations need the token, share tokens read their view only, limits and CORS hold`, async () => {
    const { app, db, close } = await testApp(kind, {
      workers: 0,
      maxBodyBytes: 4096,
      maxQueryDepth: 6,
      maxQueryCost: 5000,
      corsOrigins: ['https://lab.example.org'],
    });
    try {
      const cfg = resolveRunConfig({ task: 'adding', taskOptions: { length: 10 }, units: 8, steps: 10 });
      const shared = await createRun(db, cfg, { experiment: 'e' });
      const hidden = await createRun(db, cfg);
      const START = `mutation { startRun(input: { task: "adding", taskOptions: { length: 10 }, steps: 5 }) { id } }`;

      // Mutations: no token, wrong token, the token.
      const none = await http(app, START);
      assert.equal(none.body.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
      const wrong = await http(app, START, {}, 'not-the-token-at-all');
      assert.equal(wrong.status, 401);
      assert.equal(wrong.body.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
      assert.equal(await db.prisma.run.count(), 2);
      const good = await http(app, START, {}, TEST_TOKEN);
      assert.equal(good.body.errors, undefined, JSON.stringify(good.body.errors));
      // Queries are open by default.
      assert.equal((await http(app, `{ runs { totalCount } }`)).body.data?.runs.totalCount, 3);

      // A share link: read its runs, nothing else, write nothing.
      const link = await http(
        app,
        `mutation ($v: ShareViewInput!) { createShareLink(view: $v) { token url view { runIds metric smoothing } } }`,
        { v: { runIds: [shared.id], smoothing: 0.6 } },
        TEST_TOKEN,
      );
      const { token, url, view } = link.body.data!.createShareLink as J;
      assert.match(token, /^share_[A-Za-z0-9_-]{32}$/);
      assert.equal(url, `${app.url}share/${token}`);
      assert.deepEqual(view, { runIds: [shared.id], metric: 'loss', smoothing: 0.6 });
      assert.equal((await fetch(url)).status, 200, 'the share URL opens the dashboard page');
      const sv = await http(app, `query ($t: String!) { shareView(token: $t) { view { runIds } } }`, { t: token });
      assert.deepEqual(sv.body.data?.shareView.view.runIds, [shared.id]);
      const read = await http(app, `{ runs { totalCount nodes { id } } a: run(id: ${shared.id}) { id } }`, {}, token);
      assert.deepEqual(read.body.data, { runs: { totalCount: 1, nodes: [{ id: shared.id }] }, a: { id: shared.id } });
      const other = await http(app, `{ run(id: ${hidden.id}) { id } }`, {}, token);
      assert.equal(other.body.errors?.[0]?.extensions?.code, 'NOT_FOUND');
      const curves = await http(app, `{ curves(runIds: [${shared.id}, ${hidden.id}]) { runId } }`, {}, token);
      assert.equal(curves.body.errors?.[0]?.extensions?.code, 'NOT_FOUND');
      const exps = await http(app, `{ experiments { totalCount } }`, {}, token);
      assert.equal(exps.body.errors?.[0]?.extensions?.code, 'FORBIDDEN');
      for (const m of [
        START,
        `mutation { cancelRun(id: ${shared.id}) { id } }`,
        `mutation { deleteRun(id: ${shared.id}) }`,
      ]) {
        const r = await http(app, m, {}, token);
        assert.equal(r.body.errors?.[0]?.extensions?.code, 'FORBIDDEN', m);
      }
      assert.equal(await db.prisma.run.count(), 3);
      assert.equal((await fetch(`${app.url}api/runs/${shared.id}/export.json?token=${token}`)).status, 200);
      assert.equal((await fetch(`${app.url}api/runs/${hidden.id}/export.json?token=${token}`)).status, 404);
      const ev = await fetch(`${app.url}api/events?runs=${hidden.id}&token=${token}`);
      assert.equal(ev.status, 404);
      await ev.body?.cancel();

      // Depth and cost limits, body size, CORS.
      const deep = await http(
        app,
        `{ runs { nodes { experiment { runs { nodes { experiment { runs { nodes { id } } } } } } } } }`,
      );
      assert.equal(deep.status, 400);
      assert.equal(deep.body.errors?.[0]?.extensions?.code, 'QUERY_TOO_DEEP');
      const costly = await http(
        app,
        `{ runs(first: 100) { nodes { curve(maxPoints: 1000) { points { step value } } } } }`,
      );
      assert.equal(costly.body.errors?.[0]?.extensions?.code, 'QUERY_TOO_COSTLY');
      const viaVars = await http(
        app,
        `query ($n: Int!) { runs(first: $n) { nodes { curve(maxPoints: $n) { points { step } } } } }`,
        { n: 500 },
      );
      assert.equal(viaVars.body.errors?.[0]?.extensions?.code, 'QUERY_TOO_COSTLY');
      const big = await fetch(`${app.url}graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ health { version } }', pad: 'x'.repeat(5000) }),
      });
      assert.equal(big.status, 413);
      const pre = await fetch(`${app.url}graphql`, {
        method: 'OPTIONS',
        headers: { origin: 'https://lab.example.org', 'access-control-request-method': 'POST' },
      });
      assert.equal(pre.status, 204);
      assert.equal(pre.headers.get('access-control-allow-origin'), 'https://lab.example.org');
      assert.match(pre.headers.get('access-control-allow-headers') ?? '', /authorization/);
      const evil = await fetch(`${app.url}graphql?query=%7Bhealth%7Bversion%7D%7D`, {
        headers: { origin: 'https://evil.example.com', 'apollo-require-preflight': 'true' },
      });
      assert.equal(evil.headers.get('access-control-allow-origin'), null);
    } finally {
      await close();
    }
  });
}

test('pglite: with RWA_QUERIES_NEED_TOKEN queries need the API token or a share token', async () => {
  const { app, close } = await testApp('pglite', { workers: 0, queriesNeedToken: true });
  try {
    const open = await http(app, `{ runs { totalCount } }`);
    assert.equal(open.body.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
    assert.equal((await fetch(`${app.url}api/events?runs=1`)).status, 401);
    const withToken = await http(app, `{ runs { totalCount } }`, {}, TEST_TOKEN);
    assert.equal(withToken.body.data?.runs.totalCount, 0);
    // Health stays open for probes.
    assert.ok((await http(app, `{ health { version } }`)).body.data?.health.version);
  } finally {
    await close();
  }
});
