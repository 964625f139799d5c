/**
 * The one database module. Without DATABASE_URL: an embedded PGlite (Postgres compiled to wasm) in a
 * data folder. With it: a real PostgreSQL server through @prisma/adapter-pg. Same schema, same code.
 */
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { PGlite, type SerializerOptions } from '@electric-sql/pglite';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaPg } from '@prisma/adapter-pg';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { PrismaClient } from '../../generated/prisma/client.js';
import type { DatabaseConfig } from '../config.js';
import { RwaLabError } from '../errors.js';

export type { PrismaClient };

export interface Database {
  kind: 'pglite' | 'postgres';
  prisma: PrismaClient;
  /** Adapter factory for the schema engine (migrations). */
  adapter: SqlMigrationAwareDriverAdapterFactory;
  /** The embedded instance, when kind = pglite (the job queue shares it). */
  pglite?: PGlite;
  /** Where the data is, without credentials: for logs and the health query. */
  location: string;
  /** The connection URL, when kind = postgres (the job queue opens its own pool). */
  url?: string;
  close(): Promise<void>;
}

/**
 * Runs one statement on the driver under a PrismaClient opened here, bypassing Prisma. Uint8Array parameters
 * go in PostgreSQL's binary format (for array_recv and friends: exact floats, NaN and Infinity included).
 */
export type RawStatement = (sql: string, params: readonly unknown[]) => Promise<void>;

const rawStatements = new WeakMap<PrismaClient, RawStatement>();

/** The raw driver under a client that openPostgres or wrapPglite made; undefined for any other client. */
export function rawStatementOf(prisma: PrismaClient): RawStatement | undefined {
  return rawStatements.get(prisma);
}

export async function openDatabase(config: DatabaseConfig): Promise<Database> {
  if (config.kind === 'postgres') return openPostgres(config.url);
  fs.mkdirSync(config.dataDir, { recursive: true });
  const releaseLock = lockDataDir(config.dataDir);
  try {
    const pglite = await PGlite.create(config.dataDir);
    return wrapPglite(pglite, config.dataDir, releaseLock);
  } catch (err) {
    releaseLock();
    throw err;
  }
}

export function openPostgres(url: string): Database {
  // One pool for Prisma and for raw statements (metric ingest).
  const pool = new pg.Pool({ connectionString: url });
  // An idle connection the server closed (a restart, a dropped test database): the pool opens a new one.
  pool.on('error', () => {});
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  rawStatements.set(prisma, async (sql, params) => {
    await pool.query(sql, params as unknown[]);
  });
  return {
    kind: 'postgres',
    prisma,
    // The schema engine gets a factory of its own: each of its connections is a pool that dispose() ends. It
    // holds a session-level advisory lock while migrating; on a connection returned to the shared pool instead,
    // the lock would outlive the migration and block every other process's migrations.
    adapter: new PrismaPg({ connectionString: url }),
    location: redactUrl(url),
    url,
    async close() {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}

/** Wraps an open PGlite (a data folder's, or an in-memory copy made by tests). */
export function wrapPglite(pglite: PGlite, location: string, onClose: () => void = () => {}): Database {
  const adapter = new PrismaPGlite(pglite);
  const prisma = new PrismaClient({ adapter });
  rawStatements.set(prisma, async (sql, params) => {
    await pglite.query(sql, params as unknown[], { serializers: binaryArrays });
  });
  return {
    kind: 'pglite',
    prisma,
    adapter,
    pglite,
    location,
    async close() {
      await prisma.$disconnect();
      if (!pglite.closed) await pglite.close();
      onClose();
    },
  };
}

/**
 * PGlite serialises a parameter by the type PostgreSQL infers for it; for these array types a Uint8Array is
 * passed through unchanged, and PGlite binds it in binary format (its serializer type says string only).
 */
const passThrough = (v: unknown) => v;
const binaryArrays = { 1007: passThrough, 1021: passThrough, 1022: passThrough } as unknown as SerializerOptions;

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable url)';
  }
}

/**
 * PGlite is single-process: two processes writing one folder corrupt it. A lock file holding the
 * owner's pid refuses a second opener while the first is alive, and is taken over when it is stale.
 */
function lockDataDir(dataDir: string): () => void {
  const lockPath = path.join(dataDir, '..', `${path.basename(dataDir)}.lock`);
  const tryTake = () => {
    fs.writeFileSync(lockPath, String(process.pid), { flag: 'wx' });
  };
  try {
    tryTake();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const owner = Number(fs.readFileSync(lockPath, 'utf8').trim());
    if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) {
      throw new RwaLabError(
        'DATA_DIR_LOCKED',
        `the embedded database in ${dataDir} is in use by process ${owner}; stop that process, or set RWA_DATA_DIR to another folder, or set DATABASE_URL to share a PostgreSQL server between processes`,
      );
    }
    fs.rmSync(lockPath, { force: true });
    tryTake();
  }
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    fs.rmSync(lockPath, { force: true });
    process.off('exit', release);
  };
  process.on('exit', release);
  return release;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
