/**
 * A fresh, migrated database per test, on PGlite always and on PostgreSQL when TEST_DATABASE_URL names a
 * server (CI sets it). PGlite: migrations are applied once into a template whose data dump is cached on
 * disk (keyed by the migrations' content), and every test loads a copy in memory. PostgreSQL: a template
 * database per migrations hash, and `CREATE DATABASE ... TEMPLATE` per test, dropped at the end.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { openPostgres, wrapPglite, type Database } from '../../src/server/db/database.js';
import { applyMigrations } from '../../src/server/db/migrate.js';
import { listMigrations } from '../../src/server/db/schema-engine.js';

export type DbKind = 'pglite' | 'postgres';

/** The kinds to run database tests on. */
export const dbKinds: DbKind[] = process.env.TEST_DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];
if (!process.env.TEST_DATABASE_URL && !process.env.RWA_QUIET_SKIPS) {
  console.log('# TEST_DATABASE_URL is unset: PostgreSQL variants of database tests are skipped (.ci/run sets it)');
}

const migrationsHash = crypto.createHash('sha256').update(JSON.stringify(listMigrations())).digest('hex').slice(0, 12);

/** A new empty database (no migrations). */
export async function emptyDatabase(kind: DbKind): Promise<Database> {
  if (kind === 'pglite') return wrapPglite(await PGlite.create(), 'memory (test)');
  const name = `rwa_test_${crypto.randomBytes(6).toString('hex')}`;
  await admin(`CREATE DATABASE ${name}`);
  return dropOnClose(openPostgres(withDatabase(name)), name);
}

/** A new database with every migration applied. */
export async function freshDatabase(kind: DbKind): Promise<Database> {
  if (kind === 'pglite') {
    const dump = await pgliteTemplate();
    const pglite = await PGlite.create({ loadDataDir: new Blob([dump as Uint8Array<ArrayBuffer>]) });
    return wrapPglite(pglite, 'memory (test)');
  }
  const template = await postgresTemplate();
  const name = `rwa_test_${crypto.randomBytes(6).toString('hex')}`;
  await admin(`CREATE DATABASE ${name} TEMPLATE ${template}`);
  return dropOnClose(openPostgres(withDatabase(name)), name);
}

let templateDump: Promise<Uint8Array<ArrayBuffer>> | undefined;

function pgliteTemplate(): Promise<Uint8Array<ArrayBuffer>> {
  templateDump ??= (async () => {
    const file = path.join(os.tmpdir(), `rwa-lab-pglite-template-${migrationsHash}.tar.gz`);
    if (fs.existsSync(file)) return new Uint8Array(fs.readFileSync(file));
    const pglite = await PGlite.create();
    const db = wrapPglite(pglite, 'template');
    await applyMigrations(db);
    await db.prisma.$disconnect();
    const blob = await pglite.dumpDataDir('gzip');
    await pglite.close();
    const bytes = new Uint8Array(await blob.arrayBuffer());
    const tmp = `${file}.${process.pid}`;
    fs.writeFileSync(tmp, bytes);
    fs.renameSync(tmp, file);
    return bytes;
  })();
  return templateDump;
}

let pgTemplate: Promise<string> | undefined;

function postgresTemplate(): Promise<string> {
  pgTemplate ??= (async () => {
    const name = `rwa_test_template_${migrationsHash}`;
    const client = new pg.Client({ connectionString: adminUrl() });
    await client.connect();
    try {
      // One creator at a time across test processes.
      await client.query('SELECT pg_advisory_lock(7142001)');
      const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (exists.rowCount === 0) {
        const building = `${name}_building`;
        await client.query(`DROP DATABASE IF EXISTS ${building}`);
        await client.query(`CREATE DATABASE ${building}`);
        const db = openPostgres(withDatabase(building));
        await applyMigrations(db);
        await db.close();
        await client.query(`ALTER DATABASE ${building} RENAME TO ${name}`);
      }
      await client.query('SELECT pg_advisory_unlock(7142001)');
    } finally {
      await client.end();
    }
    return name;
  })();
  return pgTemplate;
}

function adminUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL is not set');
  return url;
}

function withDatabase(name: string): string {
  const u = new URL(adminUrl());
  u.pathname = `/${name}`;
  return u.toString();
}

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function dropOnClose(db: Database, name: string): Database {
  const close = db.close;
  return {
    ...db,
    async close() {
      await close();
      await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}
