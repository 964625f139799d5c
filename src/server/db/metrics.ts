/**
 * Metric points: the big table. Writes go in batches through one INSERT ... SELECT FROM unnest(...)
 * (three binary array parameters whatever the batch size); reads range-scan the (seriesId, step) primary key.
 */
import type { PrismaClient } from '../../generated/prisma/client.js';
import type { Split } from '../../generated/prisma/enums.js';
import { rawStatementOf } from './database.js';

export interface MetricPointInput {
  step: number;
  value: number;
  /** Seconds since the run started. */
  wallTime: number;
}

/** The series id for (run, name, split), created on first use. */
export async function seriesId(prisma: PrismaClient, runId: number, name: string, split: Split): Promise<number> {
  const series = await prisma.metricSeries.upsert({
    where: { runId_name_split: { runId, name, split } },
    create: { runId, name, split },
    update: {},
    select: { id: true },
  });
  return series.id;
}

/** Rows per INSERT: large enough to amortise the round trip (larger batches measured no faster). */
export const POINT_BATCH = 10_000;

const UPSERT = `INSERT INTO "MetricPoint" ("seriesId", "step", "value", "wallTime")
  SELECT $1::int4, * FROM unnest($2::int4[], $3::float8[], $4::float4[])
  ON CONFLICT ("seriesId", "step") DO UPDATE SET "value" = EXCLUDED."value", "wallTime" = EXCLUDED."wallTime"`;

/**
 * Inserts points; a point at an existing step replaces it (a resumed run re-records from its checkpoint).
 * Values may be NaN or +-Infinity. The arrays go to the driver in PostgreSQL's binary format (exact, and
 * cheapest to build and to parse); a client not opened by database.ts gets text arrays through Prisma.
 */
export async function appendPoints(
  prisma: PrismaClient,
  series: number,
  points: readonly MetricPointInput[],
): Promise<void> {
  const raw = rawStatementOf(prisma);
  for (let i = 0; i < points.length; i += POINT_BATCH) {
    const chunk = points.slice(i, i + POINT_BATCH);
    for (const p of chunk) if ((p.step | 0) !== p.step) throw new RangeError(`step ${p.step} is not an int4`);
    if (raw) {
      await raw(UPSERT, [
        series,
        binaryArray(INT4, chunk, (p) => p.step),
        binaryArray(FLOAT8, chunk, (p) => p.value),
        binaryArray(FLOAT4, chunk, (p) => p.wallTime),
      ]);
    } else {
      // Text arrays: Prisma sends number arrays as JSON, where NaN and Infinity become null (and -0 is 0).
      const text = (f: (p: MetricPointInput) => number) =>
        `{${chunk.map((p) => (Object.is(f(p), -0) ? '-0' : f(p))).join(',')}}`;
      await prisma.$executeRawUnsafe(
        UPSERT,
        series,
        text((p) => p.step),
        text((p) => p.value),
        text((p) => p.wallTime),
      );
    }
  }
}

type ElementType = { oid: number; size: number; write: (view: DataView, at: number, v: number) => void };
const INT4: ElementType = { oid: 23, size: 4, write: (d, at, v) => d.setInt32(at, v) };
const FLOAT4: ElementType = { oid: 700, size: 4, write: (d, at, v) => d.setFloat32(at, v) };
const FLOAT8: ElementType = { oid: 701, size: 8, write: (d, at, v) => d.setFloat64(at, v) };

/** A one-dimensional array without nulls in PostgreSQL's binary format (array_recv), big-endian. */
function binaryArray<T>(type: ElementType, items: readonly T[], get: (item: T) => number): Uint8Array {
  const bytes = new Uint8Array(20 + items.length * (4 + type.size));
  const view = new DataView(bytes.buffer);
  view.setInt32(0, 1); // dimensions
  view.setInt32(4, 0); // flags: no nulls
  view.setInt32(8, type.oid);
  view.setInt32(12, items.length);
  view.setInt32(16, 1); // lower bound
  let at = 20;
  for (const item of items) {
    view.setInt32(at, type.size);
    type.write(view, at + 4, get(item));
    at += 4 + type.size;
  }
  return bytes;
}

/** Points of one series in step order, optionally within [fromStep, toStep]. */
export async function readPoints(
  prisma: PrismaClient,
  series: number,
  fromStep = 0,
  toStep = 2147483647,
): Promise<MetricPointInput[]> {
  const rows = await prisma.metricPoint.findMany({
    where: { seriesId: series, step: { gte: fromStep, lte: toStep } },
    orderBy: { step: 'asc' },
    select: { step: true, value: true, wallTime: true },
  });
  return rows;
}
