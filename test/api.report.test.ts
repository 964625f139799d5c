/**
 * Query.report in-process on PGlite and PostgreSQL: a small recorded reproduction (test/helpers/report-data.ts)
 * reported by name and by id, every number equal to what buildReport computes from the same database,
 * paper logs as rows or as reference, bad input rejected with nothing changed, and the access rules (closed
 * queries, a share token reading the report of its own runs only).
 *   npx tsc -p . && node --test dist/test/api.report.test.js
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dbKinds } from './helpers/db.js';
import { errorCode, ok, testApp, type J } from './helpers/api.js';
import { recordReportData, REPORT_EXPERIMENTS as E } from './helpers/report-data.js';
import type { Database } from '../src/server/db/database.js';
import { loadReferenceRuns, loadRuns, resolveExperiments } from '../src/report/data.js';
import { stepsToThreshold } from '../src/report/metrics.js';
import { buildReport } from '../src/report/summary.js';

const SPREAD = 'n mean sd min max';
const REPORT = `query ($names: [String!]!, $paperLogs: Boolean) {
  report(experiments: $names, paperLogs: $paperLogs) {
    experiments { id name }
    groups { key label task length threshold { metric value direction } paperThreshold finalMetric lossUnit
      paperTrainingSteps paperNote sentences beyond referenceRunIds
      rows { label model layers units source runIds runs reached longestSteps
        steps { ${SPREAD} } final { ${SPREAD} } wallSeconds { ${SPREAD} } stepsPerSecond { ${SPREAD} }
        params { ${SPREAD} } paperSteps paperFinal differences verdict } } } }`;

/** The report as `rwa-lab report` computes it, straight from the database, in the API's shape. */
async function expected(db: Database, names: string[], paperLogs: boolean) {
  const experiments = await resolveExperiments(db, names, paperLogs);
  const runs = await loadRuns(
    db,
    experiments.map((e) => e.id),
  );
  const reference = await loadReferenceRuns(
    db,
    [{ task: 'adding', length: 100 }],
    runs.map((r) => r.id),
  );
  return buildReport(runs, reference).map((g) => ({
    key: g.key,
    label: g.label,
    threshold: g.threshold,
    sentences: g.sentences,
    beyond: g.beyond,
    referenceRunIds: g.reference.map((r) => r.run.id),
    rows: g.rows.map((r) => ({
      label: r.label,
      runIds: r.runs.map((s) => s.run.id),
      reached: r.reached,
      steps: r.steps,
      final: r.final,
      wallSeconds: r.wallSeconds,
      stepsPerSecond: r.stepsPerSecond,
      params: r.params,
      paperSteps: r.paperSteps,
      paperFinal: r.paperFinal,
      differences: r.differences,
      verdict: r.verdict,
    })),
  }));
}

const pick = (groups: J[]) =>
  groups.map((g: J) => ({
    key: g.key,
    label: g.label,
    threshold: g.threshold,
    sentences: g.sentences,
    beyond: g.beyond,
    referenceRunIds: g.referenceRunIds,
    rows: g.rows.map((r: J) => ({
      label: r.label,
      runIds: r.runIds,
      reached: r.reached,
      steps: r.steps,
      final: r.final,
      wallSeconds: r.wallSeconds,
      stepsPerSecond: r.stepsPerSecond,
      params: r.params,
      paperSteps: r.paperSteps,
      paperFinal: r.paperFinal,
      differences: r.differences,
      verdict: r.verdict,
    })),
  }));

for (const kind of dbKinds) {
  test(`${kind}: report returns the rows rwa-lab report computes, by experiment name or id`, async () => {
    const { app, db, close } = await testApp(kind, {}, { http: false });
    try {
      const ids = await recordReportData(db);
      const gruExperiment = await db.prisma.experiment.findUniqueOrThrow({ where: { name: E.gru } });
      const names = [E.rwaLstm, String(gruExperiment.id)];
      const { report } = await ok(app, REPORT, { names });

      assert.deepEqual(report.experiments, [
        { id: (await db.prisma.experiment.findUniqueOrThrow({ where: { name: E.rwaLstm } })).id, name: E.rwaLstm },
        { id: gruExperiment.id, name: E.gru },
      ]);
      assert.deepEqual(pick(report.groups), await expected(db, names, false));

      // The facts behind those numbers, read off the recorded curves.
      assert.equal(report.groups.length, 1);
      const g = report.groups[0];
      assert.deepEqual(
        [g.key, g.label, g.task, g.length, g.finalMetric, g.lossUnit, g.paperTrainingSteps, g.paperThreshold],
        ['adding-T100', 'adding T=100', 'adding', 100, 'loss', 'MSE', 50_000, true],
      );
      assert.deepEqual(g.threshold, { metric: 'loss', value: 0.01, direction: 'below' });
      assert.deepEqual(g.referenceRunIds, [ids.paperRwa], "the authors' log of the same task, as reference");
      assert.deepEqual(
        g.rows.map((r: J) => [r.label, r.source, r.runIds, r.runs, r.reached, r.paperSteps]),
        [
          ['RWA', 'TRAINED', ids.rwa, 2, 2, 1000],
          ['LSTM', 'TRAINED', [ids.lstm], 1, 0, 3700],
          ['GRU', 'TRAINED', [ids.gru], 1, 1, null],
        ],
      );
      const [rwa, lstm] = g.rows;
      const crossings = [300, 380].map(
        (tau) =>
          stepsToThreshold(
            Array.from({ length: 31 }, (_, i) => ({ step: i * 100, value: 0.5 * Math.exp((-i * 100) / tau) })),
            0.01,
            'below',
          ).step!,
      );
      assert.deepEqual([rwa.steps.min, rwa.steps.max, rwa.steps.n], [...crossings, 2]);
      assert.equal(rwa.steps.mean, (crossings[0]! + crossings[1]!) / 2);
      assert.deepEqual([rwa.stepsPerSecond.min, rwa.stepsPerSecond.max], [40, 50]);
      assert.equal(rwa.params.mean, 209, 'RWA, 2 inputs, 8 units: cell 200 + readout 9');
      assert.equal(rwa.paperFinal, 1.8e-6);
      assert.equal(lstm.steps, null);
      assert.equal(lstm.longestSteps, 3000);
      assert.ok(rwa.differences.includes('units 8 (paper 250)'));
      assert.match(g.sentences[0], /^Steps to threshold, ours: RWA held under it at [\d,]+ steps; LSTM did not/);

      // paperLogs: the authors' runs become rows (recomputed), no longer reference.
      const withLogs = (await ok(app, REPORT, { names: [E.rwaLstm], paperLogs: true })).report;
      assert.deepEqual(
        withLogs.experiments.map((e: J) => e.name),
        [E.rwaLstm, E.paper],
      );
      assert.deepEqual(pick(withLogs.groups), await expected(db, [E.rwaLstm], true));
      const paperRow = withLogs.groups[0].rows.find((r: J) => r.source === 'IMPORTED');
      assert.deepEqual([paperRow.label, paperRow.runIds], ['RWA (paper log)', [ids.paperRwa]]);
      assert.equal(paperRow.wallSeconds, null, 'imported logs have no wall times');
      assert.deepEqual(withLogs.groups[0].referenceRunIds, []);

      // The same experiment twice, by name and by id, is one experiment.
      const twice = (await ok(app, REPORT, { names: [E.gru, String(gruExperiment.id)] })).report;
      assert.deepEqual(
        twice.groups[0].rows.map((r: J) => r.runIds),
        [[ids.gru]],
      );
    } finally {
      await close();
    }
  });

  test(`${kind}: report rejects bad or unknown experiments, naming the value and the known ones, and changes nothing`, async () => {
    const { app, db, close } = await testApp(kind, {}, { http: false });
    try {
      await recordReportData(db);
      const counts = async () => [
        await db.prisma.experiment.count(),
        await db.prisma.run.count(),
        await db.prisma.metricPoint.count(),
        await db.prisma.shareLink.count(),
      ];
      const before = await counts();
      const unknown = await errorCode(app, REPORT, { names: [E.rwaLstm, 'reproduce quick: nope'] });
      assert.equal(unknown.code, 'BAD_USER_INPUT');
      assert.equal(unknown.extensions.field, 'experiments');
      assert.equal(unknown.extensions.value, 'reproduce quick: nope');
      assert.match(unknown.message, /no experiment "reproduce quick: nope".*known: "reproduce quick: adding T=100"/);
      assert.deepEqual(unknown.extensions.known, [E.rwaLstm, E.gru, E.other, E.paper]);
      const unknownId = await errorCode(app, REPORT, { names: ['999999'] });
      assert.equal(unknownId.code, 'BAD_USER_INPUT');
      assert.match(unknownId.message, /no experiment "999999"/);
      const none = await errorCode(app, REPORT, { names: [] });
      assert.equal(none.code, 'BAD_USER_INPUT');
      assert.match(none.message, /name at least one experiment/);
      const many = await errorCode(app, REPORT, { names: Array.from({ length: 101 }, (_, i) => `e${i}`) });
      assert.equal(many.code, 'BAD_USER_INPUT');
      assert.match(many.message, /at most 100 experiments per report; got 101/);
      const long = await errorCode(app, REPORT, { names: ['x'.repeat(201)] });
      assert.equal(long.code, 'BAD_USER_INPUT');
      assert.match(long.message, /1 to 200 characters; got 201/);
      const empty = await errorCode(app, REPORT, { names: [''] });
      assert.equal(empty.code, 'BAD_USER_INPUT');
      const typed = await errorCode(app, `{ report(experiments: [3]) { groups { key } } }`);
      assert.equal(typed.code, 'GRAPHQL_VALIDATION_FAILED');
      assert.deepEqual(await counts(), before, 'nothing changed');
    } finally {
      await close();
    }
  });

  test(`${kind}: report follows the access rules: closed queries need a token, a share token reads its runs only`, async () => {
    const { app, db, close } = await testApp(kind, { queriesNeedToken: true }, { http: false });
    try {
      const ids = await recordReportData(db);
      const closed = await errorCode(app, REPORT, { names: [E.rwaLstm] }, { role: 'none' });
      assert.equal(closed.code, 'UNAUTHENTICATED');

      // A share link of the Report view names the runs it showed: RWA's and the paper log.
      const share = { role: 'share' as const, token: 'share_x', runIds: new Set([...ids.rwa, ids.paperRwa]) };
      const { report } = await ok(app, REPORT, { names: [E.rwaLstm] }, share);
      assert.deepEqual(
        report.groups[0].rows.map((r: J) => [r.label, r.runIds]),
        [['RWA', ids.rwa]],
        'the LSTM run is not in the view',
      );
      assert.deepEqual(report.groups[0].referenceRunIds, [ids.paperRwa]);
      const all = (await ok(app, REPORT, { names: [E.rwaLstm] })).report;
      assert.deepEqual(report.groups[0].rows[0], all.groups[0].rows[0], 'the same numbers as a full reader sees');
      for (const hidden of [E.gru, E.other]) {
        const e = await errorCode(app, REPORT, { names: [hidden] }, share);
        assert.equal(e.code, 'BAD_USER_INPUT');
        assert.deepEqual(e.extensions.known, [E.rwaLstm, E.paper], 'only experiments with a run in the view');
        assert.doesNotMatch(e.message.split('known:')[1]!, /scratch|gru"/, 'no hidden names in the message');
      }
    } finally {
      await close();
    }
  });
}
