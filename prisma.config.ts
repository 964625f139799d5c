// Prisma CLI configuration (prisma generate / validate / format). Migrations are created and applied
// offline through the wasm schema engine: see scripts/db-migration.ts and src/server/db/migrate.ts.
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
});
