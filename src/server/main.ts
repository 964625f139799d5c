/**
 * rwa-lab server: migrates the database, then serves GraphQL at /graphql and the dashboard at /.
 *   npm start                      embedded PGlite in ./data (RWA_DATA_DIR to change)
 *   DATABASE_URL=postgres://... npm start
 * Environment variables: see src/server/config.ts.
 */
import { loadConfig } from './config.js';
import { RwaLabError } from './errors.js';
import { startApp } from './app.js';

async function main() {
  const t0 = performance.now();
  const config = loadConfig();
  const app = await startApp(config);
  const seconds = ((performance.now() - t0) / 1000).toFixed(1);
  if (app.migrated.length) console.log(`applied migrations: ${app.migrated.join(', ')}`);
  console.log(`rwa-lab on ${app.db.kind} (${app.db.location}), ready in ${seconds} s`);
  // With a token kept in the data folder (this machine's own), the printed link signs the browser in, so the
  // dashboard can start runs at once; a token from RWA_API_TOKEN is never printed.
  console.log(`  dashboard  ${app.url}${config.apiToken ? '' : `#token=${app.apiToken}`}`);
  console.log(`  GraphQL    ${app.url}graphql`);
  console.log(
    `  API token  ${config.apiToken ? '(RWA_API_TOKEN)' : `${app.apiToken}  (kept in ${config.dataDir}/api-token${app.apiTokenGenerated ? ', new' : ''})`}`,
  );
  console.log(
    `  workers    ${config.workers} in this process${config.database.kind === 'postgres' ? '; add more with `npx rwa-lab worker`' : ''}`,
  );
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: shutting down`);
    await app.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err: unknown) => {
  if (err instanceof RwaLabError) console.error(`rwa-lab: ${err.message}`);
  else console.error(err);
  process.exit(1);
});
