/**
 * Applies the committed migrations (prisma/migrations) to a database, PGlite or PostgreSQL, and reports
 * the migration state for the health query. `npm run db:migrate` runs this; so does `npm start`.
 */
import type { Database } from './database.js';
import { listMigrations, migrationList, openSchemaEngine, SCHEMA_FILTERS } from './schema-engine.js';
import { RwaLabError } from '../errors.js';

export interface MigrationState {
  /** Migrations committed with this version of rwa-lab. */
  known: number;
  /** Of those, applied to the database. */
  applied: number;
  /** Committed but not applied. */
  pending: string[];
  latest: string | null;
}

/** Applies every pending migration; returns the names applied now (empty when up to date). */
export async function applyMigrations(db: Database): Promise<string[]> {
  try {
    const session = await openSchemaEngine(db.adapter);
    try {
      const result = await session.engine.applyMigrations({ migrationsList: migrationList(), filters: SCHEMA_FILTERS });
      return result.appliedMigrationNames;
    } finally {
      await session.close();
    }
  } catch (err) {
    throw new RwaLabError('MIGRATION_FAILED', `applying migrations to ${db.location} failed: ${errorText(err)}`);
  }
}

export async function migrationState(db: Database): Promise<MigrationState> {
  const known = listMigrations().map((m) => m.name);
  let applied: string[] = [];
  const exists = await db.prisma.$queryRaw<{ t: string | null }[]>`SELECT to_regclass('_prisma_migrations')::text AS t`;
  if (exists[0]?.t) {
    const rows = await db.prisma.$queryRaw<{ migration_name: string }[]>`
      SELECT migration_name FROM _prisma_migrations
      WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL ORDER BY migration_name`;
    applied = rows.map((r) => r.migration_name);
  }
  const appliedSet = new Set(applied);
  return {
    known: known.length,
    applied: known.filter((n) => appliedSet.has(n)).length,
    pending: known.filter((n) => !appliedSet.has(n)),
    latest: applied.at(-1) ?? null,
  };
}

function errorText(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'object' && err !== null) return JSON.stringify(err);
  return String(err);
}
