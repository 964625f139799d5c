/**
 * HTTP routes beside /graphql (same tokens: Authorization: Bearer, or ?token= for links and EventSource):
 *   GET /api/runs/:id/curve.csv|json?metric=loss&split=TEST&maxPoints=1000&smoothing=0&fromStep=&toStep=
 *       one curve, bucketed as Run.curve (maxPoints=0: every point at full resolution)
 *   GET /api/runs/:id/export.csv|json    the run: its config and every point of every series (streamed)
 *   GET /api/events?runs=1,2,3           Server-Sent Events: `run` events (status, step, latest metrics)
 *                                        whenever a run changes, `end` once all are finished
 */
import type http from 'node:http';
import { GraphQLError } from 'graphql';
import type { Config } from './config.js';
import { accessFor, bearerToken } from './auth.js';
import type { Database } from './db/database.js';
import type { Access } from './graphql/context.type.js';
import { loadCurves } from './graphql/curve.resolver.js';
import { sendText } from './http.js';
import type { RunQueue } from './queue/queue.js';

export interface RouteDeps {
  db: Database;
  config: Config;
  apiToken: string;
  queue: RunQueue;
}

const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED', 'DIVERGED']);
const EXPORT_CHUNK = 20_000;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function apiRoutes(deps: RouteDeps) {
  return async (req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<boolean> => {
    if (!url.pathname.startsWith('/api/')) return false;
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, `use GET on ${url.pathname}`);
      let access: Access;
      try {
        access = await accessFor(deps.db, deps.config, deps.apiToken, bearerToken(req, url));
      } catch (err) {
        throw new HttpError(401, (err as Error).message);
      }
      if (access.role === 'none') throw new HttpError(401, 'this server needs a bearer token for reading');
      const canRead = (runId: number) => access.role !== 'share' || access.runIds.has(runId);
      let m = /^\/api\/runs\/(\d{1,9})\/curve\.(csv|json)$/.exec(url.pathname);
      if (m) return await curve(deps, res, url, Number(m[1]), m[2] as 'csv' | 'json', canRead);
      m = /^\/api\/runs\/(\d{1,9})\/export\.(csv|json)$/.exec(url.pathname);
      if (m) return await exportRun(deps, res, Number(m[1]), m[2] as 'csv' | 'json', canRead);
      if (url.pathname === '/api/events') return await events(deps, req, res, url, canRead);
      throw new HttpError(404, `no route ${url.pathname}`);
    } catch (err) {
      if (res.headersSent) {
        res.destroy();
        return true;
      }
      if (err instanceof HttpError) sendText(res, err.status, err.message);
      else if (err instanceof GraphQLError) sendText(res, 400, err.message);
      else throw err;
      return true;
    }
  };
}

async function readableRun(deps: RouteDeps, runId: number, canRead: (id: number) => boolean) {
  const run = canRead(runId) ? await deps.db.prisma.run.findUnique({ where: { id: runId } }) : null;
  if (!run) throw new HttpError(404, `run ${runId} does not exist`);
  return run;
}

function intParam(url: URL, name: string): number | null {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === '') return null;
  if (!/^\d{1,10}$/.test(raw))
    throw new HttpError(400, `${name} must be a non-negative integer; got ${JSON.stringify(raw)}`);
  return Number(raw);
}

async function curve(
  deps: RouteDeps,
  res: http.ServerResponse,
  url: URL,
  runId: number,
  format: 'csv' | 'json',
  canRead: (id: number) => boolean,
): Promise<true> {
  await readableRun(deps, runId, canRead);
  const metric = url.searchParams.get('metric') ?? 'loss';
  const split = (url.searchParams.get('split') ?? 'TEST').toUpperCase();
  if (split !== 'TRAIN' && split !== 'TEST') throw new HttpError(400, `split must be TRAIN or TEST; got ${split}`);
  const maxPoints = intParam(url, 'maxPoints') ?? 1000;
  const smoothingRaw = url.searchParams.get('smoothing');
  const smoothing = smoothingRaw === null ? 0 : Number(smoothingRaw);
  const fromStep = intParam(url, 'fromStep');
  const toStep = intParam(url, 'toStep');
  const name = `run-${runId}-${split.toLowerCase()}-${metric.replace(/[^A-Za-z0-9_.-]/g, '_')}`;
  if (maxPoints === 0) {
    // Full resolution: stream the points in step order.
    const series = await deps.db.prisma.metricSeries.findUnique({
      where: { runId_name_split: { runId, name: metric, split } },
    });
    if (!series) throw new HttpError(404, `run ${runId} has no ${split} series ${JSON.stringify(metric)}`);
    start(res, format, name);
    if (format === 'csv') res.write('step,value,wall_time\n');
    else res.write(`{"runId":${runId},"metric":${JSON.stringify(metric)},"split":"${split}","points":[`);
    let first = true;
    for await (const chunk of pointChunks(deps.db, series.id, fromStep ?? 0, toStep ?? 2147483647)) {
      let out = '';
      for (const p of chunk) {
        if (format === 'csv') out += `${p.step},${p.value},${p.wallTime}\n`;
        else {
          out += `${first ? '' : ','}[${p.step},${jsonNumber(p.value)},${jsonNumber(p.wallTime)}]`;
          first = false;
        }
      }
      if (!res.write(out)) await new Promise((r) => res.once('drain', r));
    }
    res.end(format === 'csv' ? '' : ']}\n');
    return true;
  }
  const [c] = await loadCurves({ db: deps.db, config: deps.config, access: { role: 'reader' } }, [runId], {
    metric,
    split,
    maxPoints,
    smoothing,
    fromStep,
    toStep,
  });
  start(res, format, name);
  if (format === 'json') {
    res.end(JSON.stringify(c));
    return true;
  }
  let out = 'step,from_step,to_step,count,value,min,max,smoothed,smoothed_min,smoothed_max,wall_time\n';
  for (const p of c!.points)
    out += `${p.step},${p.fromStep},${p.toStep},${p.count},${csv(p.value)},${csv(p.min)},${csv(p.max)},${csv(p.smoothed)},${csv(p.smoothedMin)},${csv(p.smoothedMax)},${p.wallTime}\n`;
  res.end(out);
  return true;
}

async function exportRun(
  deps: RouteDeps,
  res: http.ServerResponse,
  runId: number,
  format: 'csv' | 'json',
  canRead: (id: number) => boolean,
): Promise<true> {
  const run = await readableRun(deps, runId, canRead);
  const series = await deps.db.prisma.metricSeries.findMany({
    where: { runId },
    orderBy: [{ name: 'asc' }, { split: 'asc' }],
  });
  start(res, format, `run-${runId}`);
  if (format === 'csv') res.write('metric,split,step,value,wall_time\n');
  else {
    const { config, ...fields } = run;
    res.write(`{"run":${JSON.stringify({ ...fields, config })},"series":[`);
  }
  let firstSeries = true;
  for (const s of series) {
    if (format === 'json') {
      res.write(`${firstSeries ? '' : ','}{"metric":${JSON.stringify(s.name)},"split":"${s.split}","points":[`);
      firstSeries = false;
    }
    let first = true;
    for await (const chunk of pointChunks(deps.db, s.id, 0, 2147483647)) {
      let out = '';
      for (const p of chunk) {
        if (format === 'csv') out += `${s.name},${s.split},${p.step},${p.value},${p.wallTime}\n`;
        else {
          out += `${first ? '' : ','}[${p.step},${jsonNumber(p.value)},${jsonNumber(p.wallTime)}]`;
          first = false;
        }
      }
      if (!res.write(out)) await new Promise((r) => res.once('drain', r));
    }
    if (format === 'json') res.write(']}');
  }
  res.end(format === 'json' ? ']}\n' : '');
  return true;
}

async function* pointChunks(db: Database, seriesId: number, from: number, to: number) {
  let after = from - 1;
  for (;;) {
    const rows = await db.prisma.metricPoint.findMany({
      where: { seriesId, step: { gt: after, lte: to } },
      orderBy: { step: 'asc' },
      take: EXPORT_CHUNK,
      select: { step: true, value: true, wallTime: true },
    });
    if (rows.length === 0) return;
    yield rows;
    after = rows[rows.length - 1]!.step;
    if (rows.length < EXPORT_CHUNK) return;
  }
}

function start(res: http.ServerResponse, format: 'csv' | 'json', name: string) {
  res.statusCode = 200;
  res.setHeader('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json');
  res.setHeader('content-disposition', `attachment; filename="${name}.${format}"`);
  res.setHeader('cache-control', 'no-store');
}

const csv = (v: number | null) => (v === null ? '' : String(v));
const jsonNumber = (v: number) => (Number.isFinite(v) ? String(v) : 'null');

async function events(
  deps: RouteDeps,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  url: URL,
  canRead: (id: number) => boolean,
): Promise<true> {
  const raw = url.searchParams.get('runs') ?? '';
  if (!/^\d{1,9}(,\d{1,9}){0,99}$/.test(raw))
    throw new HttpError(400, 'runs must be 1 to 100 run ids separated by commas, e.g. /api/events?runs=3,4');
  const ids = [...new Set(raw.split(',').map(Number))];
  for (const id of ids) if (!canRead(id)) throw new HttpError(404, `run ${id} does not exist`);
  const prisma = deps.db.prisma;
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.write('retry: 2000\n\n');
  let closed = false;
  req.on('close', () => (closed = true));
  const sent = new Map<number, string>();
  let lastWrite = Date.now();
  while (!closed) {
    const runs = await prisma.run.findMany({
      where: { id: { in: ids } },
      select: {
        id: true,
        status: true,
        currentStep: true,
        totalSteps: true,
        error: true,
        heartbeatAt: true,
        finishedAt: true,
      },
    });
    const changed = runs.filter((r) => sent.get(r.id) !== `${r.status}:${r.currentStep}`);
    if (changed.length) {
      const latest = await prisma.$queryRaw<
        { runId: number; name: string; split: string; step: number; value: number }[]
      >`
        SELECT s."runId", s.name, s.split::text AS split, p.step, p.value
        FROM "MetricSeries" s
        JOIN LATERAL (SELECT step, value FROM "MetricPoint" WHERE "seriesId" = s.id ORDER BY step DESC LIMIT 1) p ON true
        WHERE s."runId" = ANY(${changed.map((r) => r.id)}::int4[])`;
      for (const r of changed) {
        sent.set(r.id, `${r.status}:${r.currentStep}`);
        const metrics = latest
          .filter((l) => l.runId === r.id)
          .map((l) => ({
            name: l.name,
            split: l.split,
            step: l.step,
            value: Number.isFinite(l.value) ? l.value : null,
          }));
        res.write(`event: run\ndata: ${JSON.stringify({ ...r, metrics })}\n\n`);
      }
      lastWrite = Date.now();
    }
    if (runs.length === 0 || runs.every((r) => TERMINAL.has(r.status))) {
      res.write(`event: end\ndata: ${JSON.stringify({ runs: runs.map((r) => ({ id: r.id, status: r.status })) })}\n\n`);
      break;
    }
    if (Date.now() - lastWrite > 15_000) {
      res.write(': keep-alive\n\n');
      lastWrite = Date.now();
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  res.end();
  return true;
}
