/**
 * `rwa-lab report`: our runs beside the paper's numbers, as Markdown with SVG charts (src/report/).
 *
 *   npx rwa-lab report "adding T=100" "adding T=1000" --out docs/reproduction
 *   npx rwa-lab report --paper-logs        # the authors' own logs, recomputed (after rwa-lab import paper-logs)
 *
 * Reads DATABASE_URL's PostgreSQL, or the embedded database in ./data (the server must not hold it).
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../../server/config.js';
import { openDatabase } from '../../server/db/database.js';
import { applyMigrations } from '../../server/db/migrate.js';
import { generateReport } from '../../report/generate.js';
import { fmtInt } from '../../report/summary.js';

const USAGE = `usage: rwa-lab report EXPERIMENT... [--out DIR] [--paper-logs] [--title TEXT]

  EXPERIMENT     experiment name (or id); several make one report
  --out DIR      folder for README.md and the SVG charts (default docs/reproduction)
  --paper-logs   also report the imported paper-log experiments (rwa-lab import paper-logs DIR first)
  --title TEXT   the report's heading

The authors' imported logs of the same tasks are drawn as dashed reference curves whenever they are in the
database.`;

export async function reportMain(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        out: { type: 'string', default: 'docs/reproduction' },
        'paper-logs': { type: 'boolean', default: false },
        title: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    console.error(`rwa-lab report: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length === 0 && !values['paper-logs']) {
    console.error(`rwa-lab report: name at least one experiment (or --paper-logs)\n${USAGE}`);
    return 2;
  }
  const db = await openDatabase(loadConfig().database);
  try {
    await applyMigrations(db);
    const command = ['rwa-lab report', ...argv.map((a) => (/^[\w./=-]+$/.test(a) ? a : JSON.stringify(a)))].join(' ');
    const result = await generateReport(db, {
      experiments: positionals,
      out: values.out,
      paperLogs: values['paper-logs'],
      ...(values.title ? { title: values.title } : {}),
      command,
    });
    for (const g of result.groups)
      for (const row of g.rows) {
        const steps = row.reached ? fmtInt(row.steps!.mean) : 'never';
        const paper = row.paperSteps === null ? '' : ` (paper ${fmtInt(row.paperSteps)})`;
        console.log(`${g.label}, ${row.label}: steps to threshold ${g.threshold ? steps : 'n/a'}${paper}`);
      }
    console.log(`wrote ${result.files.length} files: ${result.files[0]} and ${result.files.length - 1} charts`);
    return 0;
  } catch (err) {
    console.error(`rwa-lab report: ${(err as Error).message}`);
    return 1;
  } finally {
    await db.close();
  }
}
