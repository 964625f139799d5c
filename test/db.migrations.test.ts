import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dbKinds, emptyDatabase } from './helpers/db.js';
import { applyMigrations, migrationState } from '../src/server/db/migrate.js';
import { listMigrations, openSchemaEngine, readSchema, SCHEMA_FILTERS } from '../src/server/db/schema-engine.js';
import { schemaPath } from '../src/server/paths.js';
import type { Database } from '../src/server/db/database.js';

/** exitCode 0: the live database matches schema.prisma; 2: it differs (stdout is the SQL to fix it). */
async function driftAgainstSchema(db: Database) {
  const session = await openSchemaEngine(db.adapter);
  try {
    const files = [{ path: schemaPath, content: readSchema() }];
    return await session.engine.diff({
      from: { tag: 'schemaDatasource', files, configDir: '.' },
      to: { tag: 'schemaDatamodel', files },
      script: true,
      exitCode: true,
      filters: SCHEMA_FILTERS,
    });
  } finally {
    await session.close();
  }
}

for (const kind of dbKinds) {
  test(`${kind}: the committed migrations apply to an empty database, once`, async () => {
    const db = await emptyDatabase(kind);
    try {
      const before = await migrationState(db);
      assert.equal(before.applied, 0);
      assert.equal(before.pending.length, listMigrations().length);

      const applied = await applyMigrations(db);
      assert.deepEqual(
        applied,
        listMigrations().map((m) => m.name),
      );
      assert.deepEqual(await applyMigrations(db), [], 'a second apply is a no-op');

      const after = await migrationState(db);
      assert.equal(after.applied, after.known);
      assert.deepEqual(after.pending, []);
      assert.equal(after.latest, applied.at(-1));
    } finally {
      await db.close();
    }
  });

  // Drift is a property of the migration files, checked on PGlite: the wasm schema engine cannot introspect
  // a PostgreSQL server through @prisma/adapter-pg (it fails to deserialise the catalog's "char" columns).
  test(
    `${kind}: the migrations produce exactly schema.prisma (no drift)`,
    { skip: kind === 'postgres' && 'introspection through adapter-pg fails on "char" columns; checked on PGlite' },
    async () => {
      const db = await emptyDatabase(kind);
      try {
        await applyMigrations(db);
        const clean = await driftAgainstSchema(db);
        assert.equal(
          clean.exitCode,
          0,
          `schema.prisma differs from the migrations; run npm run db:migration -- NAME:\n${clean.stdout}`,
        );
        // The check can fail: a column the schema does not have is reported.
        await db.prisma.$executeRawUnsafe('ALTER TABLE "Run" ADD COLUMN "stray" integer');
        const drifted = await driftAgainstSchema(db);
        assert.equal(drifted.exitCode, 2);
        assert.match(drifted.stdout, /stray/);
      } finally {
        await db.close();
      }
    },
  );
}
