/**
 * Curves and summaries in SQL: a metric series bucketed to at most maxPoints buckets (min, max and last
 * value per bucket), optionally smoothed first, without loading the points into Node.
 *
 * Smoothing is TensorBoard's exponential moving average with debiasing, computed on the full-resolution
 * series before bucketing (TensorBoard smooths after subsampling, so its curves change with point count):
 *
 *   last_i = w * last_{i-1} + (1 - w) * v_i,   smoothed_i = last_i / (1 - w^(i+1))   (i over finite values)
 *
 * In SQL without a recursive CTE: last_i = (1 - w) * sum_k v_k w^(i-k). Splitting the index into blocks of
 * B values with w^B < 1e-30, the sum is (within double precision) this block's prefix sum plus the
 * previous block's total, each scaled by powers of w with exponents below 2B, so nothing over- or
 * underflows. One window pass, one group-by of block totals, one bucketing pass.
 * Non-finite values (NaN, +-Infinity) are skipped by the average and kept as themselves, as TensorBoard does.
 */
import { Prisma, type PrismaClient } from '../../generated/prisma/client.js';

export interface CurveBucket {
  seriesId: number;
  /** First and last step of the points in the bucket. */
  fromStep: number;
  toStep: number;
  count: number;
  /** Value (and wall time, smoothed value) of the bucket's last point. */
  value: number;
  wallTime: number;
  /** Extremes of the bucket's finite values (null when it has none). */
  min: number | null;
  max: number | null;
  smoothed: number;
  smoothedMin: number | null;
  smoothedMax: number | null;
}

export interface CurveOptions {
  /** At most this many buckets (1..100,000). */
  maxPoints: number;
  /** EMA weight in [0, 1); 0 = none. */
  smoothing: number;
  fromStep?: number | null;
  toStep?: number | null;
}

const MAX_STEP = 2147483647;
const FINITE = rawSql(`value NOT IN ('NaN'::float8, 'Infinity'::float8, '-Infinity'::float8)`);

/** Block length for weight w: w^B < 1e-30, so blocks older than the previous one are below float64 resolution. */
export function emaBlock(w: number): number {
  if (w <= 0) return 1;
  return Math.max(1, Math.ceil(69.1 / -Math.log(w)));
}

/** Bucketed curves of several series at once (for overlays); buckets ordered by series, then step. */
export async function bucketedCurves(
  prisma: PrismaClient,
  seriesIds: readonly number[],
  options: CurveOptions,
): Promise<CurveBucket[]> {
  if (seriesIds.length === 0) return [];
  const ids = [...seriesIds];
  const from = options.fromStep ?? 0;
  const to = options.toStep ?? MAX_STEP;
  const n = options.maxPoints;
  const w = options.smoothing;
  type Row = {
    sid: number;
    from_step: number;
    to_step: number;
    n: bigint | number;
    value: number;
    wall: number;
    vmin: number | null;
    vmax: number | null;
    smoothed: number;
    smin: number | null;
    smax: number | null;
  };
  let query: ReturnType<typeof prisma.$queryRaw<Row[]>>;
  if (w <= 0) {
    // Without smoothing every aggregate is over a step range: each bucket is one range scan of the primary
    // key, and its last point one index lookup. No sort, no hash of the series, no temporary files (the
    // window-function form below spilled ~130 MB to disk and took ~5 s on a 1M-point series; this ~0.6 s).
    // Bucket b holds steps lo + ceil(b * len / n) .. lo + ceil((b + 1) * len / n) - 1; empty ranges (n > len)
    // are skipped before scanning, and a bucket without points has no last point, so no row.
    const k = Math.max(1, Math.floor(n));
    query = prisma.$queryRaw<Row[]>`
      WITH span AS (
        SELECT s.sid, m.lo, m.hi - m.lo + 1 AS len FROM unnest(${ids}::int4[]) AS s(sid)
        CROSS JOIN LATERAL (SELECT min(step) AS lo, max(step) AS hi FROM "MetricPoint"
                            WHERE "seriesId" = s.sid AND step BETWEEN ${from} AND ${to}) m
        WHERE m.lo IS NOT NULL
      ),
      bounds AS (
        SELECT sid, b, lo + (b * len + ${k}::int8 - 1) / ${k}::int8 AS b_lo, lo + ((b + 1) * len + ${k}::int8 - 1) / ${k}::int8 - 1 AS b_hi
        FROM span CROSS JOIN generate_series(0::int8, ${k}::int8 - 1) AS b
      )
      SELECT bounds.sid, a.from_step, a.to_step, a.n, last.value, last."wallTime"::float8 AS wall,
             a.vmin, a.vmax, last.value AS smoothed, a.vmin AS smin, a.vmax AS smax
      FROM bounds
      CROSS JOIN LATERAL (
        SELECT min(step) AS from_step, max(step) AS to_step, count(*) AS n,
               min(value) FILTER (WHERE ${FINITE}) AS vmin, max(value) FILTER (WHERE ${FINITE}) AS vmax
        FROM "MetricPoint" WHERE "seriesId" = bounds.sid AND step BETWEEN bounds.b_lo AND bounds.b_hi
      ) a
      JOIN "MetricPoint" last ON last."seriesId" = bounds.sid AND last.step = a.to_step
      WHERE bounds.b_lo <= bounds.b_hi
      ORDER BY bounds.sid, bounds.b`;
  } else {
    const B = emaBlock(w);
    const x = 1 / w;
    const wB = Math.pow(w, B);
    const lnw = Math.log(w);
    query = prisma.$queryRaw<Row[]>`
      WITH raw AS (
        SELECT "seriesId" AS sid, step, value, "wallTime"::float8 AS wall,
               value NOT IN ('NaN'::float8, 'Infinity'::float8, '-Infinity'::float8) AS fin
        FROM "MetricPoint" WHERE "seriesId" = ANY(${ids}::int4[]) AND step <= ${to}
      ),
      idx AS (
        SELECT *, count(*) FILTER (WHERE fin) OVER (PARTITION BY sid ORDER BY step ROWS UNBOUNDED PRECEDING) - 1 AS i
        FROM raw
      ),
      blk AS (
        SELECT *, greatest(i, 0) / ${B}::int8 AS b, greatest(i, 0) % ${B}::int8 AS r FROM idx
      ),
      part AS (
        SELECT *, sum(CASE WHEN fin THEN value * power(${x}::float8, r::float8) ELSE 0 END)
                    OVER (PARTITION BY sid, b ORDER BY step ROWS UNBOUNDED PRECEDING) AS p
        FROM blk
      ),
      tot AS (
        SELECT sid, b, sum(CASE WHEN fin THEN value * power(${x}::float8, r::float8) ELSE 0 END) AS t
        FROM blk GROUP BY sid, b
      ),
      pts AS (
        SELECT part.sid, part.step, part.value, part.wall, part.fin,
               CASE WHEN part.fin THEN
                 (1 - ${w}::float8) * power(${w}::float8, part.r::float8)
                   * (part.p + ${wB}::float8 * coalesce(tot.t, 0))
                   / (1 - exp(greatest(-700::float8, (part.i + 1) * ${lnw}::float8)))
               ELSE part.value END AS sm
        FROM part LEFT JOIN tot ON tot.sid = part.sid AND tot.b = part.b - 1
        WHERE part.step >= ${from}
      ),
      ${bucketing(n)}`;
  }
  // PostgreSQL JIT-compiles plans estimated above jit_above_cost (100,000 by default), which these reach:
  // ~0.5 s of compiling per curve that saves nothing (a 100k-point curve took 0.6 s with it, 0.06 s without).
  // The transaction only scopes the setting: no Prisma limits beyond a plain query's (its defaults are 2 s to
  // get a connection and 5 s to finish; a smoothed 1M-point curve can take longer on a busy machine).
  const [, rows] = await prisma.$transaction([prisma.$executeRaw`SET LOCAL jit = off`, query], {
    maxWait: 60_000,
    timeout: 600_000,
  });
  return rows.map((r) => ({
    seriesId: r.sid,
    fromStep: r.from_step,
    toStep: r.to_step,
    count: Number(r.n),
    value: r.value,
    wallTime: r.wall,
    min: r.vmin,
    max: r.vmax,
    smoothed: r.smoothed,
    smoothedMin: r.smin,
    smoothedMax: r.smax,
  }));
}

/** The shared tail: bucket by step range per series, mark each bucket's last point, aggregate. */
function bucketing(maxPoints: number) {
  // Prisma.sql fragments would need the Prisma namespace; the only interpolated value is an integer.
  const n = Math.max(1, Math.floor(maxPoints));
  return rawSql(`
      span AS (SELECT sid, min(step) AS lo, max(step) AS hi FROM pts GROUP BY sid),
      bk AS (
        SELECT pts.*, ((pts.step - span.lo)::int8 * ${n} / (span.hi - span.lo + 1)) AS bucket
        FROM pts JOIN span USING (sid)
      ),
      marked AS (
        SELECT *, (lead(bucket) OVER (PARTITION BY sid ORDER BY step)) IS DISTINCT FROM bucket AS is_last FROM bk
      )
      SELECT sid, min(step) AS from_step, max(step) AS to_step, count(*) AS n,
             max(value) FILTER (WHERE is_last) AS value, max(wall) FILTER (WHERE is_last) AS wall,
             min(value) FILTER (WHERE fin) AS vmin, max(value) FILTER (WHERE fin) AS vmax,
             max(sm) FILTER (WHERE is_last) AS smoothed,
             min(sm) FILTER (WHERE fin) AS smin, max(sm) FILTER (WHERE fin) AS smax
      FROM marked GROUP BY sid, bucket ORDER BY sid, bucket`);
}

function rawSql(text: string) {
  return Prisma.raw(text);
}

export interface SeriesSummary {
  count: number;
  first: { step: number; value: number } | null;
  last: { step: number; value: number } | null;
  min: { step: number; value: number } | null;
  max: { step: number; value: number } | null;
}

/** Count, first, last, min and max (each with its step) of one series, by index scans. */
export async function seriesSummary(prisma: PrismaClient, seriesId: number): Promise<SeriesSummary> {
  type Row = { kind: string; step: number | null; value: number | null; n: bigint | number | null };
  const rows = await prisma.$queryRaw<Row[]>`
    (SELECT 'first' AS kind, step, value, NULL::int8 AS n FROM "MetricPoint" WHERE "seriesId" = ${seriesId} ORDER BY step ASC LIMIT 1)
    UNION ALL
    (SELECT 'last', step, value, NULL FROM "MetricPoint" WHERE "seriesId" = ${seriesId} ORDER BY step DESC LIMIT 1)
    UNION ALL
    (SELECT 'min', step, value, NULL FROM "MetricPoint" WHERE "seriesId" = ${seriesId} AND value <> 'NaN'::float8 ORDER BY value ASC, step ASC LIMIT 1)
    UNION ALL
    (SELECT 'max', step, value, NULL FROM "MetricPoint" WHERE "seriesId" = ${seriesId} AND value <> 'NaN'::float8 ORDER BY value DESC, step ASC LIMIT 1)
    UNION ALL
    (SELECT 'count', NULL, NULL, count(*) FROM "MetricPoint" WHERE "seriesId" = ${seriesId})`;
  const out: SeriesSummary = { count: 0, first: null, last: null, min: null, max: null };
  for (const r of rows) {
    if (r.kind === 'count') out.count = Number(r.n);
    else if (r.step !== null && r.value !== null)
      out[r.kind as 'first' | 'last' | 'min' | 'max'] = { step: r.step, value: r.value };
  }
  return out;
}

/**
 * The first step from which the series stays strictly below (or above) a threshold to its end: the step
 * after the last point that is not below it. Null when the last point is not below it.
 */
export async function settledStep(
  prisma: PrismaClient,
  seriesId: number,
  threshold: number,
  direction: 'below' | 'above',
): Promise<number | null> {
  const rows =
    direction === 'below'
      ? await prisma.$queryRaw<{ step: number | null }[]>`
        SELECT min(step) AS step FROM "MetricPoint"
        WHERE "seriesId" = ${seriesId} AND step > coalesce(
          (SELECT max(step) FROM "MetricPoint" WHERE "seriesId" = ${seriesId} AND NOT (value < ${threshold}::float8)), -1)`
      : await prisma.$queryRaw<{ step: number | null }[]>`
        SELECT min(step) AS step FROM "MetricPoint"
        WHERE "seriesId" = ${seriesId} AND step > coalesce(
          (SELECT max(step) FROM "MetricPoint" WHERE "seriesId" = ${seriesId} AND NOT (value > ${threshold}::float8)), -1)`;
  return rows[0]?.step ?? null;
}
