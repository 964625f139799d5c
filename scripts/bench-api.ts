/**
 * API benchmark, on fresh databases: metric ingest in points/s (appendPoints in 5,000-point calls, as the
 * recorder flushes), latency of a 1,000-point bucketed curve (with and without smoothing) from each ingested
 * series through the real GraphQL resolver, and latency of a 1000 x 250 hidden-state snapshot (compressed
 * bytes as base64, and decoded to numbers). Runs on an in-memory PGlite, and on PostgreSQL when
 * TEST_DATABASE_URL or DATABASE_URL is set (a scratch database is created there and dropped at the end; the
 * user needs CREATEDB). Prints a table, then one JSON document.
 *
 *   npm run bench:api                                  # 100k and 1M points, both databases
 *   npm run bench:api -- --quick                       # 100k points, 2 repeats
 *   node dist/scripts/bench-api.js --db postgres --sizes 100000 --repeats 3 --json bench-api.json
 *
 * Flags: --db pglite,postgres  --sizes 100000,1000000  --repeats N (timed queries, default 5; fewer when a
 * query's repeats pass 10 s)  --quick (= --sizes 100000 --repeats 2)  --json FILE.
 * Query latencies are apollo.executeOperation plus JSON.stringify of the result (what the HTTP layer adds
 * but the socket), median and fastest of the repeats after one warm-up. The table is ANALYZEd after ingest,
 * as autovacuum would. The machine may be shared: cpu ms (this process) next to wall ms shows contention;
 * for PostgreSQL the server's CPU is not in it.
 */
import crypto from 'node:crypto';
import { writeFileSync } from 'node:fs';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { startApp, type App } from '../src/server/app.js';
import { loadConfig } from '../src/server/config.js';
import { openPostgres, wrapPglite, type Database } from '../src/server/db/database.js';
import { applyMigrations } from '../src/server/db/migrate.js';
import { appendPoints, seriesId, type MetricPointInput } from '../src/server/db/metrics.js';
import { encodeHidden } from '../src/trainer/codec/index.js';
import { randomWalkSnapshot, rwaSnapshot } from '../src/trainer/codec/samples.js';
import { resolveRunConfig } from '../src/trainer/config.js';
import { createRun } from '../src/trainer/runs.js';

type Kind = 'pglite' | 'postgres';

interface Options {
  dbs: Kind[];
  sizes: number[];
  repeats: number;
  json?: string;
}

interface Result {
  db: Kind;
  what: string;
  /** Points per second (ingest), or query latency in ms. */
  pointsPerSecond?: number;
  medianMs?: number;
  minMs?: number;
  wallMs?: number;
  cpuMs?: number;
  repeats?: number;
  responseBytes?: number;
}

const RECORDER_FLUSH = 5000;
const T = 1000;
const UNITS = 250;

function parseArgs(argv: string[]): Options {
  const pgUrl = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;
  const o: Options = { dbs: pgUrl ? ['pglite', 'postgres'] : ['pglite'], sizes: [100_000, 1_000_000], repeats: 5 };
  const int = (v: string | undefined, flag: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} needs positive integers, got '${v}'`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = () => argv[++i] ?? '';
    if (flag === '--quick') {
      o.sizes = [100_000];
      o.repeats = 2;
    } else if (flag === '--db') {
      o.dbs = value()
        .split(',')
        .map((d) => {
          if (d !== 'pglite' && d !== 'postgres') throw new Error(`--db: unknown database '${d}'`);
          if (d === 'postgres' && !pgUrl) throw new Error('--db postgres needs TEST_DATABASE_URL or DATABASE_URL');
          return d;
        });
    } else if (flag === '--sizes')
      o.sizes = value()
        .split(',')
        .map((v) => int(v, flag));
    else if (flag === '--repeats') o.repeats = int(value(), flag);
    else if (flag === '--json') o.json = value();
    else throw new Error(`unknown flag '${flag}' (see the header of scripts/bench-api.ts)`);
  }
  return o;
}

/** A fresh migrated database, and how to get rid of it. */
async function scratchDatabase(kind: Kind): Promise<{ db: Database; drop(): Promise<void> }> {
  if (kind === 'pglite') {
    const db = wrapPglite(await PGlite.create(), 'memory (bench)');
    await applyMigrations(db);
    return { db, drop: () => db.close() };
  }
  const adminUrl = (process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL)!;
  const name = `rwa_bench_${crypto.randomBytes(6).toString('hex')}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const db = openPostgres(url.toString());
  await applyMigrations(db);
  return {
    db,
    async drop() {
      await db.close();
      await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

/** A noisy decaying loss with the odd NaN, as training produces. */
function lossSeries(n: number): MetricPointInput[] {
  let s = 12345;
  const rand = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  const points = new Array<MetricPointInput>(n);
  for (let i = 0; i < n; i++) {
    const value = i % 99_991 === 777 ? NaN : 2 * Math.exp(-i / (n / 5)) + 0.3 * (rand() - 0.5);
    points[i] = { step: i + 1, value, wallTime: i * 0.01 };
  }
  return points;
}

async function timed<T>(f: () => Promise<T>): Promise<{ value: T; wallMs: number; cpuMs: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await f();
  const wallMs = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { value, wallMs, cpuMs: (c.user + c.system) / 1000 };
}

/** One warm-up, then up to `repeats` timed runs (at least 2, stopping once they pass 10 s). */
async function latency(repeats: number, f: () => Promise<number>) {
  await f();
  const ms: number[] = [];
  let bytes = 0;
  const t0 = performance.now();
  while (ms.length < repeats && (ms.length < 2 || performance.now() - t0 < 10_000)) {
    const t = performance.now();
    bytes = await f();
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  return { medianMs: ms[Math.floor(ms.length / 2)]!, minMs: ms[0]!, repeats: ms.length, responseBytes: bytes };
}

/** Runs a query in-process; returns the size of its JSON response (throws on GraphQL errors). */
async function query(app: App, source: string, variables: Record<string, unknown>): Promise<number> {
  const res = await app.apollo.executeOperation({ query: source, variables }, { contextValue: app.context() });
  if (res.body.kind !== 'single') throw new Error('incremental result');
  const { errors } = res.body.singleResult;
  if (errors?.length) throw new Error(`GraphQL: ${errors.map((e) => e.message).join('; ')}`);
  return JSON.stringify(res.body.singleResult).length;
}

const CURVE = `query ($id: Int!, $w: Float!) { run(id: $id) { curve(metric: "loss", split: TRAIN, maxPoints: 1000, smoothing: $w) {
  totalPoints points { step fromStep toStep count value min max smoothed smoothedMin smoothedMax wallTime } } } }`;
const SNAPSHOT_BYTES = `query ($id: Int!, $step: Int!) { run(id: $id) { stateSnapshot(step: $step) { shape codec codecParams events byteLength dataBase64 } } }`;
const SNAPSHOT_DECODED = `query ($id: Int!, $step: Int!) { run(id: $id) { stateSnapshot(step: $step) { shape decoded } } }`;

async function benchDatabase(kind: Kind, o: Options, log: (r: Result) => void): Promise<void> {
  const { db, drop } = await scratchDatabase(kind);
  let app: App | undefined;
  try {
    const config = loadConfig({}, { port: 0, apiToken: 'bench-token-0123456789', workers: 0 });
    app = await startApp(config, { db, noHttp: true });
    const cfg = resolveRunConfig({ task: 'adding', taskOptions: { length: 1000 }, model: 'rwa', units: UNITS });
    const runs: { size: number; id: number }[] = [];
    for (const size of o.sizes) {
      const run = await createRun(db, cfg, { experiment: 'bench:api' });
      const series = await seriesId(db.prisma, run.id, 'loss', 'TRAIN');
      const points = lossSeries(size);
      const t = await timed(async () => {
        for (let i = 0; i < points.length; i += RECORDER_FLUSH)
          await appendPoints(db.prisma, series, points.slice(i, i + RECORDER_FLUSH));
      });
      log({
        db: kind,
        what: `ingest ${size} points`,
        pointsPerSecond: Math.round((size / t.wallMs) * 1000),
        wallMs: t.wallMs,
        cpuMs: t.cpuMs,
      });
      runs.push({ size, id: run.id });
    }
    await db.prisma.$executeRawUnsafe('ANALYZE "MetricPoint"');
    for (const { size, id } of runs) {
      for (const w of [0, 0.6]) {
        const r = await latency(o.repeats, () => query(app!, CURVE, { id, w }));
        log({ db: kind, what: `curve 1000 of ${size}${w ? `, smoothing ${w}` : ''}`, ...r });
      }
    }
    // A real RWA's h_1..h_1000 on an adding sample (compresses well: saturated units), and the codec's hard
    // case, a random walk (near its 128 KB bound); stored as the recorder stores them.
    const snapRun = runs[0]?.id ?? (await createRun(db, cfg)).id;
    const samples = [
      ['rwa', rwaSnapshot(T, UNITS)],
      ['random walk', randomWalkSnapshot(T, UNITS)],
    ] as const;
    for (const [i, [name, h]] of samples.entries()) {
      const enc = encodeHidden(h, T, UNITS);
      const step = 1000 + i;
      await db.prisma.hiddenStateSnapshot.create({
        data: {
          runId: snapRun,
          step,
          sample: 0,
          layer: 0,
          timeSteps: T,
          units: UNITS,
          codec: enc.codec,
          codecParams: enc.params as object,
          data: new Uint8Array(enc.bytes),
          events: { markers: [3, 71] },
        },
      });
      const what = `snapshot ${T}x${UNITS} ${name}`;
      const bytes = await latency(o.repeats, () => query(app!, SNAPSHOT_BYTES, { id: snapRun, step }));
      log({ db: kind, what: `${what}, bytes (${(enc.bytes.length / 1024).toFixed(0)} KiB)`, ...bytes });
      const decoded = await latency(o.repeats, () => query(app!, SNAPSHOT_DECODED, { id: snapRun, step }));
      log({ db: kind, what: `${what}, decoded`, ...decoded });
    }
  } finally {
    await app?.close();
    await drop();
  }
}

function row(r: Result): string {
  const num = (v: number | undefined, digits = 0) => (v === undefined ? '' : v.toFixed(digits));
  const size = r.responseBytes === undefined ? '' : `${(r.responseBytes / 1024).toFixed(0)} KiB`;
  return [
    r.db.padEnd(8),
    r.what.padEnd(44),
    num(r.pointsPerSecond).padStart(9),
    num(r.wallMs).padStart(8),
    num(r.cpuMs).padStart(7),
    num(r.medianMs, 1).padStart(9),
    num(r.minMs, 1).padStart(8),
    String(r.repeats ?? '').padStart(3),
    size.padStart(9),
  ].join(' ');
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const results: Result[] = [];
  console.log(
    [
      'db'.padEnd(8),
      'measure'.padEnd(44),
      'points/s'.padStart(9),
      'wall ms',
      ' cpu ms',
      'median ms',
      ' min ms',
      '  n',
      'response',
    ].join(' '),
  );
  for (const kind of o.dbs) {
    await benchDatabase(kind, o, (r) => {
      results.push(r);
      console.log(row(r));
    });
  }
  const doc = { node: process.version, date: new Date().toISOString(), options: o, results };
  console.log(JSON.stringify(doc, null, 2));
  if (o.json) writeFileSync(o.json, JSON.stringify(doc, null, 2) + '\n');
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
