/**
 * Creates the next migration from the change to prisma/schema.prisma, offline (no schema-engine download):
 *   npm run db:migration -- NAME
 * It diffs prisma/migrations/schema.snapshot.prisma (the schema the last migration produced) against the
 * current schema with the wasm schema engine, writes prisma/migrations/<timestamp>_<NAME>/migration.sql and
 * updates the snapshot. The diff needs no database; an in-memory PGlite only hosts the engine.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { openSchemaEngine, readSchema, SCHEMA_FILTERS } from '../src/server/db/schema-engine.js';
import { migrationsDir, schemaPath } from '../src/server/paths.js';

const name = process.argv[2];
if (!name || !/^[a-z0-9_]+$/.test(name)) {
  console.error(
    `usage: npm run db:migration -- NAME   (NAME: lower-case letters, digits, underscores; got ${JSON.stringify(name ?? '')})`,
  );
  process.exit(2);
}
const schema = readSchema();
const snapshotPath = path.join(migrationsDir, 'schema.snapshot.prisma');
const pglite = new PGlite();
const session = await openSchemaEngine(new PrismaPGlite(pglite), schema);
const from = fs.existsSync(snapshotPath)
  ? { tag: 'schemaDatamodel', files: [{ path: schemaPath, content: fs.readFileSync(snapshotPath, 'utf8') }] }
  : { tag: 'empty' };
const result = await session.engine.diff({
  from,
  to: { tag: 'schemaDatamodel', files: [{ path: schemaPath, content: schema }] },
  script: true,
  exitCode: true,
  filters: SCHEMA_FILTERS,
});
await session.close();
await pglite.close();
if (result.exitCode !== 2) {
  console.log('schema.prisma has no changes since the last migration; nothing created');
  process.exit(0);
}
const stamp = new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14);
const dir = path.join(migrationsDir, `${stamp}_${name}`);
fs.mkdirSync(dir, { recursive: true });
fs.writeFileSync(path.join(dir, 'migration.sql'), result.stdout);
fs.writeFileSync(
  path.join(migrationsDir, 'migration_lock.toml'),
  '# Written by npm run db:migration; do not edit.\nprovider = "postgresql"\n',
);
fs.writeFileSync(snapshotPath, schema);
console.log(`created ${path.relative(process.cwd(), dir)}/migration.sql`);
