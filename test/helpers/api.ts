/** Helpers for API tests: an app on a fresh database, GraphQL calls in-process and over HTTP, a JS curve reference. */
import assert from 'node:assert/strict';
import type { GraphQLFormattedError } from 'graphql';
import { startApp, type App } from '../../src/server/app.js';
import { loadConfig, type Config } from '../../src/server/config.js';
import type { Database } from '../../src/server/db/database.js';
import type { Access } from '../../src/server/graphql/context.type.js';
import { freshDatabase, type DbKind } from './db.js';

/** Loosely typed JSON of a response, for tests that assert on its shape. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type J = any;

export const TEST_TOKEN = 'test-token-0123456789abcdef';

export async function testApp(
  kind: DbKind,
  overrides: Partial<Config> = {},
  options: { http?: boolean } = {},
): Promise<{ app: App; db: Database; close(): Promise<void> }> {
  const db = await freshDatabase(kind);
  const config = loadConfig({}, { port: 0, apiToken: TEST_TOKEN, workers: 0, heartbeatSeconds: 10, ...overrides });
  const app = await startApp(config, { db, noHttp: options.http === false });
  return {
    app,
    db,
    async close() {
      await app.close();
      await db.close();
    },
  };
}

export interface Result<T> {
  data?: T | null;
  errors?: readonly GraphQLFormattedError[];
}

/** In-process operation (executeOperation) with the given access (default: admin). */
export async function gql<T = Record<string, unknown>>(
  app: App,
  query: string,
  variables: Record<string, unknown> = {},
  access: Access = { role: 'admin' },
): Promise<Result<T>> {
  const res = await app.apollo.executeOperation({ query, variables }, { contextValue: app.context(access) });
  assert.equal(res.body.kind, 'single');
  if (res.body.kind !== 'single') throw new Error('incremental result');
  return res.body.singleResult as Result<T>;
}

/** Data of an operation that must succeed. */
export async function ok<T = Record<string, J>>(
  app: App,
  query: string,
  variables: Record<string, unknown> = {},
  access?: Access,
): Promise<T> {
  const r = await gql<T>(app, query, variables, access);
  assert.equal(r.errors, undefined, JSON.stringify(r.errors));
  return JSON.parse(JSON.stringify(r.data)) as T;
}

/** The error code of an operation that must fail. */
export async function errorCode(
  app: App,
  query: string,
  variables: Record<string, unknown> = {},
  access?: Access,
): Promise<{ code: string; message: string; extensions: Record<string, unknown> }> {
  const r = await gql(app, query, variables, access);
  assert.ok(r.errors?.length, `expected an error, got ${JSON.stringify(r.data)}`);
  const e = r.errors[0]!;
  return {
    code: String(e.extensions?.code),
    message: e.message,
    extensions: (e.extensions ?? {}) as Record<string, unknown>,
  };
}

/** POST /graphql over HTTP. */
export async function http<T = Record<string, J>>(
  app: App,
  query: string,
  variables: Record<string, unknown> = {},
  token?: string,
): Promise<{ status: number; body: Result<T> }> {
  const res = await fetch(`${app.url}graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, body: (await res.json()) as Result<T> };
}

export interface RefBucket {
  fromStep: number;
  toStep: number;
  count: number;
  value: number;
  min: number | null;
  max: number | null;
  smoothed: number;
}

/** TensorBoard's debiased EMA over the full series, then step-range buckets: the JS statement of Run.curve. */
export function referenceCurve(
  points: { step: number; value: number }[],
  o: { maxPoints: number; smoothing: number; fromStep?: number; toStep?: number },
): RefBucket[] {
  const w = o.smoothing;
  const from = o.fromStep ?? 0;
  const to = o.toStep ?? Infinity;
  let last = 0;
  let n = 0;
  const smoothed: { step: number; value: number; sm: number }[] = [];
  for (const p of points) {
    if (p.step > to) break;
    let sm = p.value;
    if (Number.isFinite(p.value)) {
      last = last * w + (1 - w) * p.value;
      n++;
      sm = w > 0 ? last / (1 - Math.pow(w, n)) : p.value;
    }
    if (p.step >= from) smoothed.push({ step: p.step, value: p.value, sm });
  }
  if (smoothed.length === 0) return [];
  const lo = smoothed[0]!.step;
  const hi = smoothed[smoothed.length - 1]!.step;
  const buckets = new Map<number, RefBucket>();
  for (const p of smoothed) {
    const b = Math.floor(((p.step - lo) * o.maxPoints) / (hi - lo + 1));
    let x = buckets.get(b);
    if (!x)
      buckets.set(
        b,
        (x = { fromStep: p.step, toStep: p.step, count: 0, value: p.value, min: null, max: null, smoothed: p.sm }),
      );
    x.toStep = p.step;
    x.count++;
    x.value = p.value;
    x.smoothed = p.sm;
    if (Number.isFinite(p.value)) {
      x.min = x.min === null ? p.value : Math.min(x.min, p.value);
      x.max = x.max === null ? p.value : Math.max(x.max, p.value);
    }
  }
  return [...buckets.values()];
}
