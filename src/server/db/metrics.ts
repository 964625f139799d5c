/**
 * Metric points: the big table. Writes go in batches through one INSERT ... SELECT FROM unnest(...)
 * (four array parameters whatever the batch size); reads range-scan the (seriesId, step) primary key.
 */
import type { PrismaClient } from '../../generated/prisma/client.js';
import type { Split } from '../../generated/prisma/enums.js';

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

/** Rows per INSERT: large enough to amortise the round trip, small enough to keep statements modest. */
export const POINT_BATCH = 10_000;

/** Inserts points; a point at an existing step replaces it (a resumed run re-records from its checkpoint). */
export async function appendPoints(
  prisma: PrismaClient,
  series: number,
  points: readonly MetricPointInput[],
): Promise<void> {
  for (let i = 0; i < points.length; i += POINT_BATCH) {
    const chunk = points.slice(i, i + POINT_BATCH);
    const ids = new Array<number>(chunk.length).fill(series);
    const steps = chunk.map((p) => p.step);
    const values = chunk.map((p) => p.value);
    const walls = chunk.map((p) => p.wallTime);
    await prisma.$executeRaw`
      INSERT INTO "MetricPoint" ("seriesId", "step", "value", "wallTime")
      SELECT * FROM unnest(${ids}::int4[], ${steps}::int4[], ${values}::float8[], ${walls}::float4[])
      ON CONFLICT ("seriesId", "step") DO UPDATE SET "value" = EXCLUDED."value", "wallTime" = EXCLUDED."wallTime"`;
  }
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
