/**
 * `rwa-lab import paper-logs DIR`: the paper authors' training logs as IMPORTED runs (reference curves).
 */
import { loadConfig } from '../../server/config.js';
import { openDatabase } from '../../server/db/database.js';
import { applyMigrations } from '../../server/db/migrate.js';
import { importPaperLogs } from '../import/paper-logs.js';

const USAGE = 'usage: rwa-lab import paper-logs DIR   (e.g. ../shared/reference/paper-logs)';

export async function importMain(argv: string[]): Promise<number> {
  const [kind, dir, ...rest] = argv;
  if (kind === '--help' || kind === '-h') {
    console.log(USAGE);
    return 0;
  }
  if (kind !== 'paper-logs' || !dir || rest.length) {
    console.error(
      `rwa-lab import: ${kind === undefined ? 'say what to import' : kind !== 'paper-logs' ? `unknown source ${JSON.stringify(kind)}; known: paper-logs` : dir ? `unexpected arguments ${rest.join(' ')}` : 'give the folder of the logs'}\n${USAGE}`,
    );
    return 2;
  }
  const db = await openDatabase(loadConfig().database);
  try {
    await applyMigrations(db);
    const imported = await importPaperLogs(db, dir);
    for (const r of imported) console.log(`run ${r.runId}: ${r.file} -> "${r.experiment}" (${r.points} points)`);
    return 0;
  } catch (err) {
    console.error(`rwa-lab import: ${(err as Error).message}`);
    return 1;
  } finally {
    await db.close();
  }
}
