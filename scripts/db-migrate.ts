/**
 * Applies pending migrations to the configured database (DATABASE_URL, else the embedded PGlite):
 *   npm run db:migrate
 */
import { loadConfig } from '../src/server/config.js';
import { openDatabase } from '../src/server/db/database.js';
import { applyMigrations, migrationState } from '../src/server/db/migrate.js';

const config = loadConfig();
const db = await openDatabase(config.database);
try {
  const applied = await applyMigrations(db);
  const state = await migrationState(db);
  console.log(
    applied.length ? `applied ${applied.join(', ')} to ${db.location}` : `${db.location} is up to date`,
    `(${state.applied}/${state.known} migrations, latest ${state.latest})`,
  );
} finally {
  await db.close();
}
