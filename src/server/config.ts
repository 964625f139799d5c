/**
 * The one place environment variables are read. Everything else receives a Config.
 *
 * Variables (all optional):
 *   DATABASE_URL    postgres://... of a PostgreSQL server. Unset: an embedded PGlite database in RWA_DATA_DIR.
 *   RWA_DATA_DIR    folder for the embedded database and local state. Default ./data.
 *   PORT            HTTP port, 1..65535 (0 picks a free port). Default 4000.
 *   HOST            interface to listen on. Default 127.0.0.1 (use 0.0.0.0 to serve other machines).
 *   RWA_LOG_LEVEL   error | warn | info | debug. Default info.
 *   RWA_API_TOKEN   bearer token that mutations need. Unset: generated at first start into <RWA_DATA_DIR>/api-token.
 *   RWA_QUERIES_NEED_TOKEN  true | false: queries need the token (or a share token) too. Default false.
 *   RWA_CORS_ORIGINS  comma-separated origins allowed to call the API from a browser, or *. Default none.
 *   RWA_MAX_BODY_BYTES  largest request body, 1024..1073741824. Default 1048576 (1 MiB).
 *   RWA_MAX_QUERY_DEPTH  deepest selection a query may nest, 2..100. Default 12.
 *   RWA_MAX_QUERY_COST  largest estimated query cost (fields times list sizes), 1..10000000. Default 200000.
 *   RWA_WORKERS      runs trained at once by the in-process worker of `npm start`, 0..64 (0: serve only). Default 1.
 *   RWA_HEARTBEAT_SECONDS  a run whose worker is silent this long is re-queued, 10..3600. Default 30.
 *   RWA_RUN_RETRIES  times a run is re-queued after losing its worker before it is marked FAILED, 0..100. Default 2.
 *   RWA_PUBLIC_URL   base URL put in share links. Default the server's own URL.
 */
import path from 'node:path';
import { ConfigError } from './errors.js';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

export type DatabaseConfig = { kind: 'pglite'; dataDir: string } | { kind: 'postgres'; url: string };

export interface Config {
  database: DatabaseConfig;
  /** Folder for local state (the embedded database lives in <dataDir>/pglite). */
  dataDir: string;
  port: number;
  host: string;
  logLevel: LogLevel;
  /** Bearer token for mutations; null: generated at first start into <dataDir>/api-token. */
  apiToken: string | null;
  /** Queries need the API token or a share token. */
  queriesNeedToken: boolean;
  /** Browser origins allowed by CORS ('*' for any); empty: none. */
  corsOrigins: string[];
  maxBodyBytes: number;
  maxQueryDepth: number;
  maxQueryCost: number;
  /** Concurrent runs of the in-process worker (npm start); 0: none. */
  workers: number;
  heartbeatSeconds: number;
  runRetries: number;
  publicUrl: string | null;
}

const LOG_LEVELS: readonly LogLevel[] = ['error', 'warn', 'info', 'debug'];

/** Explicit overrides beat the environment. Throws ConfigError naming the variable, the value and the fix. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const dataDir = path.resolve(nonEmpty(env, 'RWA_DATA_DIR') ?? 'data');
  const url = nonEmpty(env, 'DATABASE_URL');
  const database: DatabaseConfig =
    url === undefined
      ? { kind: 'pglite', dataDir: path.join(dataDir, 'pglite') }
      : { kind: 'postgres', url: parsePostgresUrl('DATABASE_URL', url) };
  return {
    database,
    dataDir,
    port: parsePort(env),
    host: nonEmpty(env, 'HOST') ?? '127.0.0.1',
    logLevel: parseEnum(env, 'RWA_LOG_LEVEL', LOG_LEVELS, 'info'),
    apiToken: parseToken(env),
    queriesNeedToken: parseBool(env, 'RWA_QUERIES_NEED_TOKEN', false),
    corsOrigins: parseOrigins(env),
    maxBodyBytes: parseInt(env, 'RWA_MAX_BODY_BYTES', 1024, 1 << 30, 1 << 20),
    maxQueryDepth: parseInt(env, 'RWA_MAX_QUERY_DEPTH', 2, 100, 12),
    maxQueryCost: parseInt(env, 'RWA_MAX_QUERY_COST', 1, 10_000_000, 200_000),
    workers: parseInt(env, 'RWA_WORKERS', 0, 64, 1),
    heartbeatSeconds: parseInt(env, 'RWA_HEARTBEAT_SECONDS', 10, 3600, 30),
    runRetries: parseInt(env, 'RWA_RUN_RETRIES', 0, 100, 2),
    publicUrl: parsePublicUrl(env),
    ...overrides,
  };
}

function nonEmpty(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

export function parsePostgresUrl(variable: string, value: string): string {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new ConfigError(
      variable,
      value,
      'expected a URL like postgres://user@127.0.0.1:5432/rwa_lab (or unset it to use the embedded database)',
    );
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') {
    throw new ConfigError(variable, value, `the scheme must be postgres:// or postgresql://, not ${u.protocol}//`);
  }
  if (!u.hostname && !u.searchParams.get('host')) {
    throw new ConfigError(variable, value, 'the URL names no host; e.g. postgres://user@127.0.0.1:5432/rwa_lab');
  }
  if (u.pathname.replace(/^\//, '') === '') {
    throw new ConfigError(
      variable,
      value,
      'the URL names no database; add one, e.g. postgres://user@127.0.0.1:5432/rwa_lab',
    );
  }
  return value;
}

function parsePort(env: NodeJS.ProcessEnv): number {
  const raw = nonEmpty(env, 'PORT');
  if (raw === undefined) return 4000;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isInteger(n) || n < 0 || n > 65535) {
    throw new ConfigError('PORT', raw, 'expected an integer port in 0..65535 (0 picks a free port); default 4000');
  }
  return n;
}

function parseEnum<T extends string>(env: NodeJS.ProcessEnv, name: string, allowed: readonly T[], fallback: T): T {
  const raw = nonEmpty(env, name);
  if (raw === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(name, raw, `expected one of ${allowed.join(', ')}; default ${fallback}`);
  }
  return raw as T;
}

function parseInt(env: NodeJS.ProcessEnv, name: string, min: number, max: number, fallback: number): number {
  const raw = nonEmpty(env, name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min || n > max) {
    throw new ConfigError(name, raw, `expected an integer in ${min}..${max}; default ${fallback}`);
  }
  return n;
}

function parseBool(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = nonEmpty(env, name);
  if (raw === undefined) return fallback;
  if (['true', '1', 'yes'].includes(raw.toLowerCase())) return true;
  if (['false', '0', 'no'].includes(raw.toLowerCase())) return false;
  throw new ConfigError(name, raw, `expected true or false; default ${fallback}`);
}

function parseToken(env: NodeJS.ProcessEnv): string | null {
  const raw = nonEmpty(env, 'RWA_API_TOKEN');
  if (raw === undefined) return null;
  if (raw.length < 16 || !/^[\x21-\x7e]+$/.test(raw)) {
    throw new ConfigError(
      'RWA_API_TOKEN',
      '(hidden)',
      'expected at least 16 printable characters without spaces (e.g. `openssl rand -hex 24`), or unset it to generate one',
    );
  }
  return raw;
}

function parseOrigins(env: NodeJS.ProcessEnv): string[] {
  const raw = nonEmpty(env, 'RWA_CORS_ORIGINS');
  if (raw === undefined) return [];
  const origins = raw
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  for (const o of origins) {
    if (o === '*') continue;
    let u: URL | undefined;
    try {
      u = new URL(o);
    } catch {
      u = undefined;
    }
    if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:') || u.origin !== o) {
      throw new ConfigError(
        'RWA_CORS_ORIGINS',
        raw,
        `${JSON.stringify(o)} is not an origin; expected e.g. https://lab.example.org,http://localhost:5173 or *`,
      );
    }
  }
  return origins;
}

function parsePublicUrl(env: NodeJS.ProcessEnv): string | null {
  const raw = nonEmpty(env, 'RWA_PUBLIC_URL');
  if (raw === undefined) return null;
  let u: URL | undefined;
  try {
    u = new URL(raw);
  } catch {
    u = undefined;
  }
  if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:'))
    throw new ConfigError('RWA_PUBLIC_URL', raw, 'expected an http(s) URL such as https://lab.example.org/');
  return u.toString().endsWith('/') ? u.toString() : `${u.toString()}/`;
}
