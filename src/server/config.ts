/**
 * The one place environment variables are read. Everything else receives a Config.
 *
 * Variables (all optional):
 *   DATABASE_URL    postgres://... of a PostgreSQL server. Unset: an embedded PGlite database in RWA_DATA_DIR.
 *   RWA_DATA_DIR    folder for the embedded database and local state. Default ./data.
 *   PORT            HTTP port, 1..65535 (0 picks a free port). Default 4000.
 *   HOST            interface to listen on. Default 127.0.0.1 (use 0.0.0.0 to serve other machines).
 *   RWA_LOG_LEVEL   error | warn | info | debug. Default info.
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
